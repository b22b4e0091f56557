"""The catalogue: every detector, in the order reports list them. Adding a detector is adding
its module and one line here. The engine knows detectors only through this list."""

from __future__ import annotations

from arusha.detectors.assignment_steering import AssignmentSteering
from arusha.detectors.control_suppressed_findings import SuppressedFindings
from arusha.detectors.risk_override import RiskOverride
from arusha.detectors.staff_rotation_overstay import RotationOverstay
from arusha.engine.detector import Detector

CATALOGUE: list[type[Detector]] = [
    RotationOverstay,
    RiskOverride,
    SuppressedFindings,
    AssignmentSteering,
]


def by_id(detector_id: str) -> type[Detector] | None:
    return next((d for d in CATALOGUE if d.id == detector_id), None)
