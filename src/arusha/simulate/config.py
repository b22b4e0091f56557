"""Parameters of the simulated administration: its offices, desks, rates and span.

Everything a reader may want to tune lives here as data; the generators only read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

CHANNEL_NAMES = ("green", "blue", "yellow", "red")
GREEN, BLUE, YELLOW, RED = range(4)
FLOW_NAMES = ("import", "export", "transit")
IMPORT = 0
OUTCOME_NAMES = ("none", "no_discrepancy", "discrepancy")
NONE, NO_DISCREPANCY, DISCREPANCY = range(3)
POSTS = ("examiner", "valuation", "supervisor", "risk_analyst", "it_admin")
EXAMINER, VALUATION, SUPERVISOR, RISK_ANALYST, IT_ADMIN = range(5)
HEADQUARTERS = "HQ01"  # where risk analysts and IT administrators are posted


@dataclass(frozen=True)
class Desk:
    """A specialised desk: declarations whose main item is in `chapters` go only to its officers."""

    name: str
    chapters: tuple[int, ...]
    examiners: int


@dataclass(frozen=True)
class Office:
    code: str
    kind: str  # seaport, airport, land_border, inland_depot, postal
    city: str
    share: float  # share of the national declaration volume
    open_days: str  # Monday..Sunday, "1" when the office works that day
    hours: tuple[int, int]  # opening and closing hour; (0, 24) round the clock
    selection: tuple[float, float, float]  # random selection to blue, yellow, red
    override_rate: float  # honest share of red/yellow declarations downgraded by officers
    release_factor: float  # multiplies release durations (congestion, procedures)
    flows: tuple[float, float, float]  # import, export, transit
    desks: tuple[Desk, ...] = ()

    @property
    def round_the_clock(self) -> bool:
        return self.hours == (0, 24) and self.open_days == "1111111"


ALL_WEEK = "1111111"
WEEKDAYS = "1111100"

OFFICES: tuple[Office, ...] = (
    Office("SEA01", "seaport", "Bandari", 0.25, ALL_WEEK, (0, 24), (0.06, 0.16, 0.07),
           0.03, 1.3, (0.74, 0.21, 0.05), (Desk("vehicles", (87,), 3),)),
    Office("SEA02", "seaport", "Pwani", 0.09, ALL_WEEK, (0, 24), (0.06, 0.16, 0.07),
           0.03, 1.2, (0.72, 0.23, 0.05)),
    Office("AIR01", "airport", "Uwanja", 0.14, ALL_WEEK, (0, 24), (0.08, 0.12, 0.04),
           0.04, 0.6, (0.70, 0.28, 0.02)),
    Office("AIR02", "airport", "Kisiwa", 0.04, ALL_WEEK, (6, 22), (0.08, 0.12, 0.04),
           0.04, 0.7, (0.66, 0.32, 0.02)),
    Office("LND01", "land_border", "Mpakani", 0.13, ALL_WEEK, (0, 24), (0.05, 0.16, 0.08),
           0.03, 0.9, (0.50, 0.20, 0.30), (Desk("excise", (22, 24), 3),)),
    Office("LND02", "land_border", "Mlimani", 0.07, ALL_WEEK, (0, 24), (0.05, 0.16, 0.08),
           0.03, 0.9, (0.52, 0.23, 0.25)),
    Office("LND03", "land_border", "Ziwani", 0.04, ALL_WEEK, (6, 22), (0.05, 0.16, 0.08),
           0.03, 1.0, (0.55, 0.25, 0.20)),
    Office("ICD01", "inland_depot", "Kati", 0.11, WEEKDAYS, (8, 17), (0.08, 0.15, 0.06),
           0.03, 1.1, (0.86, 0.14, 0.00)),
    Office("ICD02", "inland_depot", "Milima", 0.05, WEEKDAYS, (8, 17), (0.08, 0.15, 0.06),
           0.03, 1.1, (0.85, 0.15, 0.00)),
    # The postal risk profile selects most low-value parcels; officers release many of them
    # after a document check, so the office's override rate is high for everyone.
    Office("PST01", "postal", "Posta", 0.08, "1111110", (8, 16), (0.02, 0.38, 0.04),
           0.25, 1.6, (0.95, 0.05, 0.00)),
)  # fmt: skip

# Sector mix of the traders whose home office is of a given kind.
SECTOR_MIX: dict[str, dict[str, float]] = {
    "seaport": {"vehicles": 0.12, "food": 0.18, "machinery": 0.12, "chemicals": 0.10,
                "textiles": 0.14, "consumer": 0.12, "electronics": 0.08, "metals": 0.08,
                "alcohol": 0.03, "tobacco": 0.02, "pharma": 0.01},
    "airport": {"electronics": 0.35, "pharma": 0.15, "textiles": 0.15, "consumer": 0.25,
                "alcohol": 0.05, "tobacco": 0.02, "machinery": 0.03},
    "land_border": {"food": 0.25, "consumer": 0.15, "textiles": 0.12, "tobacco": 0.10,
                    "alcohol": 0.08, "chemicals": 0.08, "metals": 0.07, "machinery": 0.05,
                    "electronics": 0.05, "vehicles": 0.05},
    "inland_depot": {"machinery": 0.15, "consumer": 0.18, "textiles": 0.15, "food": 0.15,
                     "chemicals": 0.12, "electronics": 0.10, "metals": 0.10, "vehicles": 0.05},
    "postal": {"consumer": 0.45, "electronics": 0.25, "textiles": 0.20, "pharma": 0.10},
}  # fmt: skip

# Consignments are smaller at airports and tiny at the post office.
MASS_FACTOR = {"airport": 0.08, "postal": 0.002}

# Release durations in hours: median per final channel (green, blue, yellow, red) and spread.
RELEASE_MEDIAN_HOURS = (0.4, 1.5, 7.0, 30.0)
RELEASE_SIGMA = (0.9, 0.8, 0.7, 0.6)


@dataclass(frozen=True)
class SimConfig:
    """World parameters; `simulate` uses the defaults, tests may shrink or stretch them."""

    start: date = date(2024, 1, 1)
    months: int = 24
    offices: tuple[Office, ...] = OFFICES
    intervention_month: int = 12  # month index at which the intervention starts
    intervention_offices: tuple[str, ...] = ("SEA01", "ICD01", "LND02")
    intervention_name: str = "random assignment"
    # Staffing: general examiners are sized so that each handles about this many assigned
    # declarations a month, with a floor so that every office has a real peer group.
    examiner_monthly_load: float = 35.0
    min_general_examiners: int = 10
    part_time_offices: tuple[str, ...] = ("AIR01", "LND01", "SEA02")
    part_time_capacity: float = 0.2
    declarations_per_trader: float = 30.0
    declarations_per_broker: float = 2500.0
    specialist_brokers: int = 3  # brokers serving each specialised desk
    carriers: int = 30
    # Channels and controls.
    green_assigned: float = 0.3  # share of green declarations given to a releasing officer
    blue_assigned: float = 0.5
    red_to_yellow: float = 0.04
    upgrade_rate: float = 0.01  # green/blue declarations an officer sends to control
    honest_reassign: float = 0.01
    vat_rate: float = 0.16
    never_released: float = 0.004
    document_replacement: float = 0.004  # honest delete_document before release
    officer_interest_share: float = 0.15  # officers who declared a relative or a business
    trader_rules: int = 12
    # Volume by calendar month (January first) and its yearly growth.
    seasonality: tuple[float, ...] = (0.90, 0.92, 1.02, 1.00, 1.02, 0.98, 1.00, 1.03, 1.02,
                                      1.05, 1.06, 1.10)  # fmt: skip
    annual_growth: float = 0.05
