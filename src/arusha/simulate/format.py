"""Vectorised CSV rendering in the contract's formats.

Timestamps `2025-03-04T09:15:00`, dates `YYYY-MM-DD`, money with two decimals, an empty field
for null, and RFC 4180 quoting only where a field needs it (comma, quote or line break).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from arusha.contract.schema import Kind, TableSpec

ARROW_TYPE = {
    Kind.STRING: pa.string(),
    Kind.INTEGER: pa.int64(),
    Kind.DECIMAL: pa.float64(),
    Kind.TIMESTAMP: pa.timestamp("s"),
    Kind.DATE: pa.date32(),
}
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"


def arrow_schema(spec: TableSpec) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPE[c.kind]) for c in spec.columns])


def money_text(values: np.ndarray) -> pa.Array:
    """Non-negative amounts as text with exactly two decimals."""
    cents = np.rint(np.asarray(values, dtype=np.float64) * 100).astype(np.int64)
    whole = pa.array(cents // 100).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, fraction, ".")


def _text(column: pa.Array, kind: Kind) -> pa.Array:
    if kind is Kind.STRING:
        return _quoted(column)
    if kind is Kind.TIMESTAMP:
        return pc.strftime(column, format=TIMESTAMP_FORMAT)
    if kind is Kind.DECIMAL:
        text = money_text(column.fill_null(0).to_numpy(zero_copy_only=False))
        return pc.if_else(pc.is_null(column), pa.scalar(None, pa.string()), text)
    return column.cast(pa.string())  # integers, dates


def _quoted(text: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(text, r'[",\r\n]')
    doubled = pc.replace_substring(text, '"', '""')
    quoted = pc.binary_join_element_wise('"', doubled, '"', "")
    return pc.if_else(needs, quoted, text)


def csv_header(spec: TableSpec) -> bytes:
    return (",".join(spec.column_names) + "\n").encode()


def csv_body(table: pa.Table, spec: TableSpec) -> bytes:
    """The table's rows as CSV lines, in the spec's column order."""
    if table.num_rows == 0:
        return b""
    columns = [
        _text(table.column(c.name).combine_chunks(), c.kind).fill_null("") for c in spec.columns
    ]
    lines = pc.binary_join_element_wise(*columns, ",")
    lines = pc.binary_join_element_wise(lines, "", "\n")  # a line break after each row
    return _string_bytes(lines)


def _string_bytes(strings: pa.Array) -> bytes:
    """The concatenated UTF-8 of a string array, straight from its data buffer."""
    _, offsets, data = strings.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    return data.to_pybytes()[bounds[0] : bounds[-1]]
