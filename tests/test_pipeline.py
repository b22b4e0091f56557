"""`arusha analyze` as one call: outputs written, reruns byte-identical."""

from __future__ import annotations

import pytest

from arusha.pipeline import run_analysis
from arusha.simulate import simulate


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline") / "world"
    simulate(folder, declarations=20_000, seed=5)
    return folder


def test_rerun_on_the_same_input_gives_byte_identical_alerts(world, tmp_path):
    first = run_analysis(world, tmp_path / "a")
    second = run_analysis(world, tmp_path / "b")
    assert first.analysis.alerts, "the simulated world should raise some alerts"
    for name in ("alerts.csv", "alerts.parquet", "indicators.parquet", "rejects.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert [a.row() for a in first.analysis.alerts] == [a.row() for a in second.analysis.alerts]


def test_refused_input_writes_no_alerts(world, tmp_path):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "declarations.csv").write_text("declaration_id\nD1\n")
    output = run_analysis(tmp_path / "bad", tmp_path / "out")
    assert output.analysis is None and not output.ingest.ok
    assert not (tmp_path / "out" / "alerts.csv").exists()
