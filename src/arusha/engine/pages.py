"""A detector's documentation page: one text for the docs, the terminal and the report.

Each detector has `docs/detectors/<id>.md` (shipped in the package through the symlink
`arusha/detectors/pages`). `arusha detectors ID` prints it, `arusha explain` and the report take
its "Known innocent explanations" section from it, and the catalogue's one-line description is
the first sentence of its "What it looks for". The page's parameter table is checked against
the detector's `Params` by the tests, so text and code cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parents[1] / "detectors" / "pages"
SECTIONS = (
    "What it looks for",
    "Why it indicates corruption risk",
    "What it controls for",
    "Parameters",
    "Known innocent explanations a reviewer should check",
    "Example alert",
    "Limitations",
    "References",
)


@dataclass(frozen=True)
class Page:
    detector_id: str
    title: str  # the text after "# <id> — "
    text: str  # the whole page, Markdown
    sections: dict[str, str]  # level-2 heading -> its body, Markdown

    def section(self, heading: str) -> str:
        return self.sections.get(heading, "")

    def first_sentence(self) -> str:
        """The first sentence of "What it looks for", as plain text."""
        plain = plain_text(self.section("What it looks for"))
        match = re.match(r"(.+?[.!?])(\s|$)", plain)
        return match.group(1) if match else plain

    def innocent_explanations(self) -> list[str]:
        return bullets(self.section("Known innocent explanations a reviewer should check"))

    def parameters(self) -> dict[str, str]:
        """Parameter name -> default as written in the page's parameter table."""
        rows = {}
        for line in self.section("Parameters").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and cells[0].startswith("`"):
                rows[cells[0].strip("`")] = cells[1].strip("`")
        return rows


def page_path(detector_id: str) -> Path:
    return PAGES_DIR / f"{detector_id}.md"


def read_page(detector_id: str) -> Page | None:
    path = page_path(detector_id)
    if not path.is_file():
        return None
    return parse_page(detector_id, path.read_text(encoding="utf-8"))


def parse_page(detector_id: str, text: str) -> Page:
    title, sections, heading, body = "", {}, None, []
    for line in text.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].split("—", 1)[-1].strip()
        elif line.startswith("## "):
            if heading is not None:
                sections[heading] = "\n".join(body).strip()
            heading, body = line[3:].strip(), []
        elif heading is not None:
            body.append(line)
    if heading is not None:
        sections[heading] = "\n".join(body).strip()
    return Page(detector_id, title, text, sections)


def plain_text(markdown: str) -> str:
    """Markdown to one line of plain text: emphasis, code marks and links dropped."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def bullets(markdown: str) -> list[str]:
    """The items of a Markdown bullet list, each as one line of plain text."""
    items: list[list[str]] = []
    for line in markdown.splitlines():
        if re.match(r"^\s*[-*]\s+", line):
            items.append([re.sub(r"^\s*[-*]\s+", "", line)])
        elif line.strip() and items:
            items[-1].append(line)
    return [plain_text(" ".join(item)) for item in items]
