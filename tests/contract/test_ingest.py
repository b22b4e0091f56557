"""The ingest command end to end: files written, atomic replacement, reruns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from arusha.contract import TABLES, ingest
from tests.contract.world import write_world


def snapshot(db: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.execute("SHOW TABLES").fetchall()]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY ALL').fetchall() for n in names}


def test_ingest_writes_database_and_rejects_csv(world, tmp_path):
    world["items"][0]["origin_country"] = "ZZ"
    report = ingest(write_world(tmp_path / "data", world), tmp_path / "work.duckdb")
    assert report.ok
    assert report.rejects_path == tmp_path / "work.rejects.csv"
    assert report.rejects_path.read_text().splitlines() == [
        "table,file,row,column,value,reason",
        "items,items.csv,2,origin_country,ZZ,not an ISO 3166-1 alpha-2 country code",
    ]
    tables = snapshot(tmp_path / "work.duckdb")
    assert {t.name for t in TABLES} <= set(tables)
    summary = {r[0]: r for r in tables["_load_summary"]}
    assert summary["items"][3:7] == ("loaded", 24, 23, 1)
    assert not list(tmp_path.glob("*.building-*"))


def test_rerun_gives_identical_content(world, tmp_path):
    world["declarations"][3]["flow"] = "re-export"
    data = write_world(tmp_path / "data", world)
    ingest(data, tmp_path / "a.duckdb")
    ingest(data, tmp_path / "b.duckdb")
    assert snapshot(tmp_path / "a.duckdb") == snapshot(tmp_path / "b.duckdb")
    assert (tmp_path / "a.rejects.csv").read_bytes() == (tmp_path / "b.rejects.csv").read_bytes()


def test_refused_ingest_keeps_the_previous_database(world, tmp_path):
    db = tmp_path / "work.duckdb"
    ingest(write_world(tmp_path / "good", world), db)
    before = snapshot(db)
    del world["parties"]
    report = ingest(write_world(tmp_path / "bad", world), db)
    assert not report.ok and report.db_path is None
    assert snapshot(db) == before


def test_not_a_folder(tmp_path):
    from arusha.contract import IngestError

    with pytest.raises(IngestError, match="not a folder"):
        ingest(tmp_path / "nowhere", tmp_path / "w.duckdb")


def test_kill_during_ingest_leaves_previous_database_intact(world, tmp_path):
    db = tmp_path / "work.duckdb"
    ingest(write_world(tmp_path / "v1", world), db)
    before = snapshot(db)

    # A second, larger export: big enough that the build is still running when we kill it.
    big = dict(world)
    big["audit_events"] = [
        {
            "event_id": f"E{n}",
            "occurred_at": "2025-03-02T10:00:00",
            "user_id": "RA1",
            "action": "login",
            "object_type": "user",
            "object_id": "RA1",
        }
        for n in range(400_000)
    ]
    data = write_world(tmp_path / "v2", big)
    proc = subprocess.Popen(
        [sys.executable, "-m", "arusha", "ingest", str(data), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("work.duckdb.building-*")):
        assert proc.poll() is None, "ingest finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assert snapshot(db) == before  # the previous database is untouched and opens cleanly
    assert list(tmp_path.glob("work.duckdb.building-*"))  # the half-built file is left over

    report = ingest(data, db)  # the next run cleans up and succeeds
    assert report.ok
    assert snapshot(db)["audit_events"].__len__() == 400_000
    assert not list(tmp_path.glob("work.duckdb.building-*"))
