"""The catalogue: every detector, in the order reports list them. Adding a detector is adding
its module and one line here. The engine knows detectors only through this list."""

from __future__ import annotations

from arusha.detectors.assignment_steering import AssignmentSteering
from arusha.detectors.audit_anomalies import AuditAnomalies
from arusha.detectors.control_suppressed_findings import SuppressedFindings
from arusha.detectors.interests_conflict import InterestConflict
from arusha.detectors.network_crime_links import CrimeLinks
from arusha.detectors.release_selective_speed import SelectiveSpeed
from arusha.detectors.risk_override import RiskOverride
from arusha.detectors.rules_tampering import RulesTampering
from arusha.detectors.staff_rotation_overstay import RotationOverstay
from arusha.detectors.valuation_accepted_undervaluation import AcceptedUndervaluation
from arusha.engine.detector import Detector

CATALOGUE: list[type[Detector]] = [
    RotationOverstay,
    RiskOverride,
    SuppressedFindings,
    AssignmentSteering,
    SelectiveSpeed,
    AcceptedUndervaluation,
    InterestConflict,
    CrimeLinks,
    RulesTampering,
    AuditAnomalies,
]


def by_id(detector_id: str) -> type[Detector] | None:
    return next((d for d in CATALOGUE if d.id == detector_id), None)
