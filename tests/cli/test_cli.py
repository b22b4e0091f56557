"""The `arusha` command end to end, as a user runs it: output, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.contract.world import valid_world, write_world


def arusha(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "arusha", *args],
        capture_output=True, text=True, cwd=cwd, env={"COLUMNS": "200", "PATH": "/usr/bin"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    world = valid_world()
    world["items"][0]["origin_country"] = "ZZ"
    return write_world(tmp_path_factory.mktemp("cli") / "export", world)


def test_help_teaches_the_workflow():
    done = arusha("--help")
    assert done.returncode == 0
    for command in ("simulate", "analyze", "explain", "evaluate", "ingest", "detectors"):
        assert command in done.stdout


@pytest.mark.parametrize("command", ["ingest", "simulate", "analyze", "explain", "evaluate"])
def test_every_command_has_examples(command):
    done = arusha(command, "--help")
    assert done.returncode == 0 and "Example" in done.stdout


def test_ingest_prints_counts_and_writes_rejects(data, tmp_path):
    done = arusha("ingest", str(data), "--db", str(tmp_path / "work.duckdb"))
    assert done.returncode == 0, done.stderr
    assert "1 rejected row(s)" in done.stdout
    assert (tmp_path / "work.rejects.csv").read_text().count("\n") == 2


def test_errors_are_one_line_and_a_hint(tmp_path):
    done = arusha("ingest", str(tmp_path / "nowhere"), "--db", str(tmp_path / "w.duckdb"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[0].startswith("Error: ")
    assert done.stderr.splitlines()[1].startswith("Hint: ")


def test_refused_ingest_exits_1(tmp_path):
    world = valid_world()
    del world["declarations"]
    done = arusha("ingest", str(write_world(tmp_path / "x", world)), "--db", str(tmp_path / "w"))
    assert done.returncode == 1
    assert "declarations: required table missing" in done.stdout


def test_analyze_explain_and_detectors(data, tmp_path):
    out = tmp_path / "out"
    done = arusha("analyze", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    for name in ("alerts.csv", "alerts.parquet", "report.html", "rejects.csv", "work.duckdb"):
        assert (out / name).is_file(), name
    alerts = pd.read_parquet(out / "alerts.parquet")
    assert "staff.rotation_overstay" in set(alerts.detector)  # the tiny world has an overstay
    explained = arusha("explain", alerts.alert_id[0], "--out", str(out))
    assert explained.returncode == 0 and alerts.alert_id[0] in explained.stdout
    unknown = arusha("explain", "A-000000000000", "--out", str(out))
    assert unknown.returncode == 2 and "Error:" in unknown.stderr
    listing = arusha("detectors")
    assert listing.returncode == 0 and "staff.rotation_overstay" in listing.stdout
    assert "max_years" in arusha("detectors", "staff.rotation_overstay").stdout


def test_bad_config_names_the_parameter(data, tmp_path):
    config = tmp_path / "arusha.toml"
    config.write_text('[detectors."staff.rotation_overstay"]\nmax_year = 3\n')
    done = arusha("analyze", str(data), "--out", str(tmp_path / "o"), "--config", str(config))
    assert done.returncode == 2
    assert "did you mean 'max_years'?" in done.stderr
