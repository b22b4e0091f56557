"""The detection engine: the detector contract, the catalogue, configuration and the runner."""

from arusha.engine.alerts import Alert, write_alerts
from arusha.engine.config import Config, load_config
from arusha.engine.detector import Chart, Detector, DetectorParams, Finding
from arusha.engine.run import Analysis, DetectorRun, analyze
from arusha.engine.tables import Tables

__all__ = [
    "Alert",
    "Analysis",
    "Chart",
    "Config",
    "Detector",
    "DetectorParams",
    "DetectorRun",
    "Finding",
    "Tables",
    "analyze",
    "load_config",
    "write_alerts",
]
