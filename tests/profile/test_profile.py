import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from arusha.profile import build_profile
from arusha.report import vega_javascript
from tests.profile.world import HOSTILE, REJECT_REASON, make_world
from tests.report.html_tables import rows, section

INTERVENTION = ("I1", "random <b>assignment</b>", "2025-02-01", "ALPHA-01")


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("profile")
    db = make_world(folder / "work.duckdb", extra={"interventions": [INTERVENTION]})
    out = build_profile(db, folder / "out" / "profile.html")
    return out.read_text(encoding="utf-8")


def build(tmp_path: Path, **world) -> str:
    db = make_world(tmp_path / "work.duckdb", **world)
    return build_profile(db, tmp_path / "profile.html").read_text(encoding="utf-8")


def test_counts_per_table(html):
    found = rows(html, "loading")
    assert ["declarations", "declarations.csv", "loaded", "11", "10", "1", "9.1%", "–", "comment",
            "–"] in found  # fmt: skip
    assert ["audit_events (optional)", "–", "absent", "0", "0", "0", "–", "–", "–", "–"] in found


def test_reject_reason_and_sample(html):
    found = rows(html, "rejects")
    assert ["declarations", "duties_declared", REJECT_REASON, "1", "100.0%"] in found
    assert ["declarations", "7", "duties_declared", HOSTILE, REJECT_REASON] in found


def test_hostile_values_are_escaped(html):
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>assignment</b>" not in html


def test_period(html):
    assert "from <strong>2025-01-05</strong>\nto <strong>2025-03-11</strong>" in html


def test_volumes_per_office_show_the_empty_month(html):
    found = rows(html, "volumes")
    assert ["ALPHA-01", "6", "1"] in found
    assert ["BRAVO-02", "4", "0"] in found


def test_channel_shares(html):
    found = rows(html, "channels")
    assert ["ALPHA-01", "6", "50.0%", "16.7%", "50.0%", "16.7%", "33.3%"] in found
    assert ["BRAVO-02", "4", "100.0%", "100.0%", "0.0%", "0.0%", "0.0%"] in found


def test_release_times(html):
    found = rows(html, "release")
    # yellow: released after 12, 24 and 4 hours, one never released
    assert ["yellow", "4", "25.0%", "8.0 h", "12.0 h", "18.0 h", "21.6 h"] in found
    assert ["red", "1", "0.0%", "2.0 days", "2.0 days", "2.0 days", "2.0 days"] in found
    assert ["BRAVO-02", "4", "25.0%", "8.0 h", "12.0 h", "18.0 h", "21.6 h"] in found


def test_officers_per_office_and_post(html):
    found = rows(html, "officers")
    assert found[0] == ["Office", "examiner", "supervisor", "Officers, all posts", "Still in post"]
    assert ["ALPHA-01", "1", "1", "2", "2"] in found
    assert ["BRAVO-02", "1", "0", "1", "0"] in found


def test_declarant_concentration(html):
    found = rows(html, "declarants")
    assert ["1", "D1", "Swift Brokers Ltd", "6", "60.0%", "60.0%"] in found
    assert "half of all declarations were lodged by the 1 largest declarant" in html


def test_charts_are_inlined_and_nothing_is_remote(html):
    assert html.count(str(vega_javascript())) == 1
    assert html.count('class="vega-spec"') == 4  # volumes, channels, release ×2
    assert not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html)


def test_optional_tables_only_when_present(html):
    assert section(html, "audit_events") == ""  # absent: no section, no error
    assert section(html, "risk_rules") == ""
    assert ["I1", "random <b>assignment</b>", "2025-02-01", "ALPHA-01"] in rows(
        html, "interventions"
    )


def test_missing_required_table_is_said_not_hidden(tmp_path):
    html = build(tmp_path, skip=("officers",))
    assert "Not available: the table officers was not loaded" in section(html, "officers")
    assert ["ALPHA-01", "6", "1"] in rows(html, "volumes")


def test_empty_declarations_still_build(tmp_path):
    html = build(tmp_path, extra={"declarations": []})
    assert "No declaration was loaded." in section(html, "volumes")
    assert 'class="vega-spec"' not in html


def test_refuses_what_is_not_a_working_database(tmp_path):
    with pytest.raises(FileNotFoundError, match="arusha ingest"):
        build_profile(tmp_path / "none.duckdb", tmp_path / "p.html")
    duckdb.connect(str(tmp_path / "bare.duckdb")).close()
    with pytest.raises(ValueError, match="arusha ingest"):
        build_profile(tmp_path / "bare.duckdb", tmp_path / "p.html")


BROWSER = next(
    (shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
    None,
)


def test_charts_draw_offline_in_a_browser(tmp_path):
    assert BROWSER, "no Chromium: `make test` installs it (apt-get install chromium)"
    page = build_profile(make_world(tmp_path / "work.duckdb"), tmp_path / "profile.html")
    dom = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    assert dom.count('class="marks"') == 4  # every chart drawn as SVG, with no network
