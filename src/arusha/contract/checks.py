"""The contract's row rules, written as SQL so that validation runs inside DuckDB.

Each rule is a (condition, column, reason) triple evaluated over a raw table whose columns are
trimmed text (NULL when empty) and whose typed twins are `TRY_CAST`s of that text. A row is
valid when no condition holds. Reasons are written for the analyst who fixes the file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from arusha.contract.schema import ISO_COUNTRIES, SQL_TYPE, Column, Kind, TableSpec
from arusha.contract.sql import ident, literal

# ISO 8601 as the contract writes it (`2025-03-04T09:15:00`); a space instead of the T is
# accepted because spreadsheet and Parquet round-trips produce it. No zone: times are local.
TIMESTAMP_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
INTEGER_PATTERN = r"[+-]?[0-9]+"
DECIMAL_PATTERN = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?"
FORMAT_PATTERNS = {
    Kind.INTEGER: INTEGER_PATTERN,
    Kind.DECIMAL: DECIMAL_PATTERN,
    Kind.TIMESTAMP: TIMESTAMP_PATTERN,
    Kind.DATE: DATE_PATTERN,
}
TIMESTAMP_REASON = "not an ISO 8601 local timestamp like 2025-03-04T09:15:00"
DATE_REASON = "not a date like 2025-03-04 (YYYY-MM-DD)"


PROBLEM_TYPE = 'STRUCT("column" VARCHAR, value VARCHAR, reason VARCHAR)'


@dataclass(frozen=True)
class Check:
    column: str
    condition: str  # SQL, true when the row breaks the rule
    reason: str
    value: str = ""  # SQL for the offending value as text; the column's raw text by default

    def value_sql(self) -> str:
        return self.value or raw(self.column)


def raw(name: str) -> str:
    """The trimmed text of a column, NULL when empty."""
    return ident(f"raw:{name}")


def typed_ref(column: Column) -> str:
    """The column holding a value as its contract type; text columns need no typed twin."""
    return raw(column.name) if column.kind is Kind.STRING else ident(column.name)


def typed_expression(column: Column) -> str:
    """The value as its contract type; NULL when it does not parse, so that cross-column rules
    never judge a value that is already rejected for its format."""
    v, sql_type = raw(column.name), SQL_TYPE[column.kind]
    if column.kind is Kind.STRING:
        return v
    pattern = FORMAT_PATTERNS.get(column.kind)
    if pattern:
        matches = f"regexp_full_match({v}, {literal(pattern)})"
        return f"CASE WHEN {matches} THEN TRY_CAST({v} AS {sql_type}) END"
    return f"TRY_CAST({v} AS {sql_type})"


def column_checks(column: Column, native: bool = False) -> list[Check]:
    """Rules on one value. Only the first failing rule of a value is reported (see below).

    A `native` column came typed from Parquet (a real timestamp, a double): its format
    cannot be wrong, so its text is made from the value only when a row is reported.
    """
    t, name = typed_ref(column), column.name
    v = f"CAST({ident(name)} AS VARCHAR)" if native else raw(name)
    checks = [replace(c, value=v) for c in _value_checks(column, v, t)]
    return checks


def _value_checks(column: Column, v: str, t: str) -> list[Check]:
    name = column.name
    checks: list[Check] = []
    if column.required:
        checks.append(Check(name, f"{v} IS NULL", "required value is empty"))
    checks.extend(_format_checks(column, v, t))
    if column.choices:
        allowed = ", ".join(column.choices)
        choices = ", ".join(literal(c) for c in column.choices)
        checks.append(Check(name, f"{v} NOT IN ({choices})", f"must be one of: {allowed}"))
    if column.pattern:
        checks.append(
            Check(
                name,
                f"NOT regexp_full_match({v}, {literal(column.pattern)})",
                f"must be {column.pattern_help}",
            )
        )
    if column.iso_country:
        codes = ", ".join(literal(c) for c in sorted(ISO_COUNTRIES))
        checks.append(
            Check(name, f"{v} NOT IN ({codes})", "not an ISO 3166-1 alpha-2 country code")
        )
    if column.minimum is not None:
        checks.append(Check(name, f"{t} < {column.minimum}", f"must be ≥ {column.minimum:g}"))
    if column.above is not None:
        checks.append(Check(name, f"{t} <= {column.above}", f"must be > {column.above:g}"))
    return checks


def _format_checks(column: Column, v: str, t: str) -> list[Check]:
    name = column.name
    if column.kind is Kind.INTEGER:
        return [Check(name, f"{v} IS NOT NULL AND {t} IS NULL", "not a whole number")]
    if column.kind is Kind.DECIMAL:
        return [
            Check(
                name,
                f"{v} IS NOT NULL AND ({t} IS NULL OR NOT isfinite({t}))",
                "not a decimal number (use a point as decimal separator, no thousands separator)",
            )
        ]
    if column.kind is Kind.TIMESTAMP:
        return [Check(name, f"{v} IS NOT NULL AND {t} IS NULL", TIMESTAMP_REASON)]
    if column.kind is Kind.DATE:
        return [Check(name, f"{v} IS NOT NULL AND {t} IS NULL", DATE_REASON)]
    return []


def table_checks(
    table: TableSpec, present: set[str], native: frozenset[str] = frozenset()
) -> list[Check]:
    """Every row rule of a table, for the columns its file has (absent optional columns are
    NULL and pass). Cross-column rules apply only when both values parsed."""
    checks = [
        c
        for col in table.columns
        if col.name in present
        for c in column_checks(col, native=col.name in native)
    ]
    for rule in table.rules:
        value = f"CAST({ident(rule.column)} AS VARCHAR)" if rule.column in native else ""
        checks.append(Check(rule.column, rule.violated, rule.reason, value))
    return checks


def valid_expression(checks: list[Check]) -> str:
    """True when the row breaks no rule. Cheap: the problem list is built only for bad rows."""
    if not checks:
        return "true"
    return "NOT (" + " OR ".join(f"coalesce({c.condition}, false)" for c in checks) + ")"


def problems_expression(checks: list[Check]) -> str:
    """A SQL list of {column, value, reason} structs, one per broken rule of the row.

    Within a column only the first broken rule is kept: an empty value is reported as empty,
    not also as 'not a number'.
    """
    by_column: dict[str, list[Check]] = {}
    for check in checks:
        by_column.setdefault(check.column, []).append(check)
    entries = []
    for column, column_checks_ in by_column.items():
        whens = " ".join(
            f"WHEN {c.condition} THEN {{'column': {literal(column)}, 'value': {c.value_sql()}, "
            f"'reason': {literal(c.reason)}}}"
            for c in column_checks_
        )
        entries.append(f"CASE {whens} END")
    if not entries:
        return f"[]::{PROBLEM_TYPE}[]"
    return f"list_filter([{', '.join(entries)}], lambda p: p IS NOT NULL)"
