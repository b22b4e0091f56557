"""Running the catalogue over the working tables."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from arusha.engine.alerts import Alert, select_alerts
from arusha.engine.config import Config
from arusha.engine.detector import Chart, Detector, DetectorParams
from arusha.engine.tables import Tables

log = logging.getLogger(__name__)


@dataclass
class DetectorRun:
    detector: type[Detector]
    params: DetectorParams
    skipped: str = ""  # why it did not run, when it did not
    tested: int = 0
    findings: int = 0
    alerts: list[Alert] = field(default_factory=list)
    measures: pd.DataFrame | None = field(default=None, repr=False)
    chart: Chart | None = None
    seconds: float = 0.0


@dataclass
class Analysis:
    runs: list[DetectorRun]

    @property
    def alerts(self) -> list[Alert]:
        return [a for run in self.runs for a in run.alerts]


def analyze(
    tables: Tables,
    config: Config | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    detectors: list[type[Detector]] | None = None,
) -> Analysis:
    """Run every applicable detector; say which were skipped and why."""
    config = config or Config()
    if detectors is None:
        from arusha.detectors.catalogue import CATALOGUE  # the catalogue imports the engine

        detectors = CATALOGUE
    catalogue = detectors
    runs = []
    for index, detector in enumerate(catalogue):
        if progress:
            progress(detector.id, index, len(catalogue))
        runs.append(run_detector(detector, tables, config.params_for(detector)))
    if progress:
        progress("done", len(catalogue), len(catalogue))
    return Analysis(runs)


def run_detector(detector: type[Detector], tables: Tables, params: DetectorParams) -> DetectorRun:
    run = DetectorRun(detector, params)
    missing = tables.missing(detector.needs)
    if missing:
        run.skipped = f"needs {', '.join(missing)}, which the input does not have"
        log.info("%s skipped: %s", detector.id, run.skipped)
        return run
    started = time.perf_counter()
    instance = detector()
    run.measures = instance.measure(tables, params).to_pandas()
    findings = instance.assess(run.measures, params)
    untested = instance.untested(run.measures, params)
    run.alerts, run.tested = select_alerts(detector.id, findings, params.fdr, untested)
    run.findings = len(findings)
    run.chart = instance.chart(run.measures, params)
    run.seconds = time.perf_counter() - started
    return run
