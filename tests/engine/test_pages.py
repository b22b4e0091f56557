"""Detector pages: every detector in the catalogue has docs/detectors/<id>.md with the agreed
sections, and its parameter table says what the code does. One text serves the docs,
`arusha detectors ID`, `arusha explain` and the report."""

from __future__ import annotations

import tomllib

import pytest

from arusha.detectors.catalogue import CATALOGUE
from arusha.engine.pages import SECTIONS, bullets, parse_page, read_page

IDS = [d.id for d in CATALOGUE]


@pytest.mark.parametrize("detector", CATALOGUE, ids=IDS)
def test_every_detector_has_a_page_with_the_agreed_sections_in_order(detector):
    page = read_page(detector.id)
    assert page is not None, f"docs/detectors/{detector.id}.md is missing"
    assert page.title == detector.title
    present = [heading for heading in page.sections if heading in SECTIONS]
    assert present == list(SECTIONS)
    assert all(page.section(heading) for heading in SECTIONS)
    assert page.first_sentence().endswith(".")
    assert len(page.innocent_explanations()) >= 2


@pytest.mark.parametrize("detector", CATALOGUE, ids=IDS)
def test_the_page_lists_every_parameter_with_the_codes_default(detector):
    documented = read_page(detector.id).parameters()
    fields = detector.Params.model_fields
    assert list(documented) == list(fields) or set(documented) == set(fields)
    for name, spec in fields.items():
        default = spec.default_factory() if spec.default_factory else spec.default
        assert _value(documented[name]) == default, name


def _value(text: str):
    """A default as the page writes it: a TOML value, or a bare word for a string."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def test_page_parsing():
    page = parse_page(
        "x.y",
        "# x.y — A title\n\n## What it looks for\n\nOfficers who *do* `this`. And more.\n\n"
        "## Parameters\n\n| parameter | default | meaning |\n|---|---|---|\n"
        "| `fdr` | 0.05 | rate |\n| `posts` | `[\"a\"]` | which |\n\n"
        "## Known innocent explanations a reviewer should check\n\n- One, on\n  two lines.\n"
        "* Two.\n",
    )
    assert page.title == "A title"
    assert page.first_sentence() == "Officers who do this."
    assert page.parameters() == {"fdr": "0.05", "posts": '["a"]'}
    assert page.innocent_explanations() == ["One, on two lines.", "Two."]
    assert bullets("text\n- a\n- b") == ["a", "b"]


def test_the_readme_lists_every_detector():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert [d for d in IDS if f"| `{d}` |" not in readme] == []
