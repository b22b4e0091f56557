"""`arusha analyze` as one call: ingest, run the catalogue, write alerts, indicators and the
report.

The CLI and (later) the web app call this; it knows nothing of either.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arusha.contract import IngestReport, ingest
from arusha.contract.ingest import ProgressCallback
from arusha.engine import Analysis, Tables, analyze, load_config, write_alerts
from arusha.indicators import write_indicators


@dataclass
class AnalysisOutput:
    ingest: IngestReport
    analysis: Analysis | None
    out_dir: Path

    @property
    def alerts_csv(self) -> Path:
        return self.out_dir / "alerts.csv"

    @property
    def indicators(self) -> Path:
        return self.out_dir / "indicators.parquet"

    @property
    def report(self) -> Path:
        return self.out_dir / "report.html"


def run_analysis(
    data_dir: Path,
    out_dir: Path,
    config_path: Path | None = None,
    ingest_progress: ProgressCallback | None = None,
    detector_progress: Callable[[str, int, int], None] | None = None,
) -> AnalysisOutput:
    """Ingest `data_dir` into `out_dir/work.duckdb` and analyse it. When ingest is refused,
    nothing is analysed and the report says why (the previous outputs stay)."""
    config = load_config(config_path)  # a bad config fails before any work is done
    out_dir.mkdir(parents=True, exist_ok=True)
    report = ingest(
        data_dir, out_dir / "work.duckdb", out_dir / "rejects.csv", progress=ingest_progress
    )
    if not report.ok:
        return AnalysisOutput(report, None, out_dir)
    tables = Tables.open(out_dir / "work.duckdb")
    analysis = analyze(tables, config, progress=detector_progress)
    write_outputs(analysis, report, out_dir, tables)
    return AnalysisOutput(report, analysis, out_dir)


def write_outputs(
    analysis: Analysis, ingest_report: IngestReport, out_dir: Path, tables: Tables
) -> None:
    """alerts.csv, alerts.parquet, indicators.parquet and report.html, each replaced only once
    complete."""
    from arusha.report.analysis import write_report

    staging = out_dir / ".writing"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    write_alerts(analysis.alerts, staging)
    write_indicators(tables, staging / "indicators.parquet")
    write_report(analysis, staging / "report.html", load_summary=ingest_report.tables)
    for produced in sorted(staging.iterdir()):
        produced.replace(out_dir / produced.name)
    staging.rmdir()
