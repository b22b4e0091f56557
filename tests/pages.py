"""Documentation pages for the test detectors, written where `arusha.engine.pages` reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from arusha.engine import pages


def use_pages(folder: Path, monkeypatch: pytest.MonkeyPatch, **innocent: list[str]) -> None:
    """Point the page reader at `folder` and write there, for each detector id (dots as
    underscores in the keyword), a page whose innocent explanations are the given items."""
    for key, items in innocent.items():
        detector_id = key.replace("_", ".")
        bullets = "".join(f"- {item}\n" for item in items)
        (folder / f"{detector_id}.md").write_text(
            f"# {detector_id} — a test detector\n\n## What it looks for\n\nA test. Not this.\n\n"
            f"## Known innocent explanations a reviewer should check\n\n{bullets}\n"
            "## Example alert\n\nNot this.\n",
            encoding="utf-8",
        )
    monkeypatch.setattr(pages, "PAGES_DIR", folder)
