"""Tables described as data: which key of each row to show, under which heading, in which format."""

from __future__ import annotations

from dataclasses import dataclass

from arusha.report.formatting import FORMATS, NUMERIC_KINDS


@dataclass(frozen=True)
class Col:
    """One column of a table: `key` in each row, its heading `label`, a format `kind`."""

    key: str
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in FORMATS:
            raise ValueError(f"unknown format {self.kind!r}; use one of {sorted(FORMATS)}")

    @property
    def css(self) -> str:
        return "num" if self.kind in NUMERIC_KINDS else ""
