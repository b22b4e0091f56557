"""The input contract as data: every table, column, type and rule of `docs/data-contract.md`.

This module is the single source of truth for the contract's shape. The ingester turns it into
SQL, the simulator writes its columns in this order, and the docs test checks that the document
and this module agree column for column.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    TIMESTAMP = "timestamp"
    DATE = "date"


# How each kind is stored once loaded. Decimals are doubles: exact to the cent far beyond any
# duty amount, and what every statistic downstream computes with anyway.
SQL_TYPE = {
    Kind.STRING: "VARCHAR",
    Kind.INTEGER: "BIGINT",
    Kind.DECIMAL: "DOUBLE",
    Kind.TIMESTAMP: "TIMESTAMP",
    Kind.DATE: "DATE",
}

CHANNELS = ("green", "blue", "yellow", "red")


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.STRING
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None  # inclusive lower bound
    above: float | None = None  # exclusive lower bound
    pattern: str | None = None  # full-match regular expression, with a human description
    pattern_help: str = ""
    iso_country: bool = False


@dataclass(frozen=True)
class Reference:
    """`column` must name an existing (loaded) row of `table`.`target`."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row. `violated` is SQL over the typed columns."""

    column: str  # the column a reviewer should look at first
    violated: str
    reason: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    rules: tuple[RowRule, ...] = ()
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _money(name: str) -> Column:
    return Column(name, Kind.DECIMAL, minimum=0)


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "parties",
        required=True,
        description="traders, brokers and carriers",
        columns=(
            Column("party_id"),
            Column("role", choices=("trader", "declarant", "carrier")),
            Column("name"),
            Column("registration_no", required=False),
            Column("address", required=False),
            Column("owners", required=False),
        ),
        key=("party_id",),
    ),
    TableSpec(
        "officers",
        required=True,
        description="HR register, one row per officer posting",
        columns=(
            Column("officer_id"),
            Column("office_code"),
            Column("post"),
            Column("start_date", Kind.DATE),
            Column("end_date", Kind.DATE, required=False),
        ),
        key=("officer_id", "start_date"),
        rules=(RowRule("end_date", "end_date < start_date", "posting ends before it starts"),),
    ),
    TableSpec(
        "declarations",
        required=True,
        description="one row per declaration",
        columns=(
            Column("declaration_id"),
            Column("office_code"),
            Column("flow", choices=("import", "export", "transit")),
            Column("declarant_id"),
            Column("trader_id"),
            Column("lodged_at", Kind.TIMESTAMP),
            Column("risk_channel", choices=CHANNELS),
            Column("final_channel", choices=CHANNELS),
            Column("officer_id", required=False),
            Column("assigned_at", Kind.TIMESTAMP, required=False),
            Column("released_at", Kind.TIMESTAMP, required=False),
            Column("inspection_outcome", choices=("none", "no_discrepancy", "discrepancy")),
            _money("duties_declared"),
            _money("duties_assessed"),
        ),
        key=("declaration_id",),
        references=(
            Reference("declarant_id", "parties", "party_id"),
            Reference("trader_id", "parties", "party_id"),
            Reference("officer_id", "officers", "officer_id"),
        ),
        rules=(
            RowRule("released_at", "released_at < lodged_at", "released before it was lodged"),
            RowRule("assigned_at", "assigned_at < lodged_at", "assigned before it was lodged"),
        ),
    ),
    TableSpec(
        "items",
        required=True,
        description="goods items of each declaration",
        columns=(
            Column("declaration_id"),
            Column("item_no", Kind.INTEGER, minimum=1),
            Column("hs_code", pattern=r"[0-9]{6,10}", pattern_help="6 to 10 digits"),
            Column("origin_country", iso_country=True),
            Column("customs_value", Kind.DECIMAL, above=0),
            Column("net_mass_kg", Kind.DECIMAL, above=0),
        ),
        key=("declaration_id", "item_no"),
        references=(Reference("declaration_id", "declarations", "declaration_id"),),
    ),
    TableSpec(
        "audit_events",
        required=False,
        description="the clearance system's own audit trail",
        columns=(
            Column("event_id"),
            Column("occurred_at", Kind.TIMESTAMP),
            Column("user_id"),
            Column("action"),
            Column("object_type"),
            Column("object_id"),
            Column("old_value", required=False),
            Column("new_value", required=False),
            Column("workstation", required=False),
        ),
        key=("event_id",),
    ),
    TableSpec(
        "risk_rules",
        required=False,
        description="the selectivity engine's rules",
        columns=(
            Column("rule_id"),
            Column("description"),
            Column("hs_prefix", required=False, pattern=r"[0-9]{1,10}", pattern_help="digits"),
            Column("trader_id", required=False),
            Column("channel", choices=("yellow", "red")),
        ),
        key=("rule_id",),
        references=(Reference("trader_id", "parties", "party_id"),),
    ),
    TableSpec(
        "interests",
        required=False,
        description="staff declarations of interest and relatives",
        columns=(
            Column("officer_id"),
            Column("person_or_company"),
            Column("relation"),
            Column("registration_no", required=False),
        ),
        references=(Reference("officer_id", "officers", "officer_id"),),
    ),
    TableSpec(
        "enforcement_cases",
        required=False,
        description="seizures and offences, as recorded in an nCEN-style register",
        columns=(
            Column("case_id"),
            Column("detected_on", Kind.DATE),
            Column("office_code"),
            Column("party_id", required=False),
            Column("party_name", required=False),
            Column("offence"),
            Column("declaration_id", required=False),
        ),
        references=(
            Reference("party_id", "parties", "party_id"),
            Reference("declaration_id", "declarations", "declaration_id"),
        ),
    ),
    TableSpec(
        "interventions",
        required=False,
        description="anti-corruption measures to evaluate",
        columns=(
            Column("intervention_id"),
            Column("name"),
            Column("start_date", Kind.DATE),
            Column("office_codes"),
        ),
        key=("intervention_id",),
    ),
)

TABLES_BY_NAME: dict[str, TableSpec] = {t.name: t for t in TABLES}


@dataclass(frozen=True)
class OutputColumn:
    name: str
    sql_type: str
    required: bool = True


ALERT_COLUMNS: tuple[OutputColumn, ...] = (
    OutputColumn("alert_id", "VARCHAR"),
    OutputColumn("detector", "VARCHAR"),
    OutputColumn("officer_id", "VARCHAR", required=False),
    OutputColumn("declarant_id", "VARCHAR", required=False),
    OutputColumn("trader_id", "VARCHAR", required=False),
    OutputColumn("user_id", "VARCHAR", required=False),
    OutputColumn("rule_id", "VARCHAR", required=False),
    OutputColumn("period_start", "DATE"),
    OutputColumn("period_end", "DATE"),
    OutputColumn("score", "DOUBLE"),
    OutputColumn("p_value", "DOUBLE", required=False),
    OutputColumn("q_value", "DOUBLE", required=False),
    OutputColumn("summary", "VARCHAR"),
    OutputColumn("evidence", "VARCHAR"),
)

# ISO 3166-1 alpha-2 codes, plus XK (Kosovo), which Customs systems widely use.
ISO_COUNTRIES: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI
    BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN
    CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
    FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
    """.split()
)
