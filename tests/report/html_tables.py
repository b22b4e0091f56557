"""Read the tables of a rendered page back as text, the way a reader sees them."""

from __future__ import annotations

from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def section(html: str, section_id: str) -> str:
    """The markup of `<section id="section_id">`, or '' when the page has no such section."""
    start = html.find(f'<section id="{section_id}"')
    return "" if start < 0 else html[start : html.index("</section>", start)]


def tables(html: str) -> list[list[list[str]]]:
    """Every table in `html`: a list of rows (the header row first), each a list of cell texts."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def rows(html: str, section_id: str) -> list[list[str]]:
    """All rows of all tables in one section."""
    return [row for table in tables(section(html, section_id)) for row in table]
