"""Audit events as Arrow tables in the contract's column order (the id is added on writing)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from arusha.contract.schema import TABLES_BY_NAME

EVENT_COLUMNS = tuple(c for c in TABLES_BY_NAME["audit_events"].column_names if c != "event_id")

Text = str | np.ndarray | pa.Array | list[str] | None


def event_table(
    occurred: np.ndarray,
    user: Text,
    action: Text,
    object_type: Text,
    object_id: Text,
    old_value: Text = None,
    new_value: Text = None,
    workstation: Text = None,
) -> pa.Table:
    """Events from per-event arrays; a plain string applies to every event, None is null."""
    occurred = np.asarray(occurred, dtype=np.int64)
    n = len(occurred)
    texts = (user, action, object_type, object_id, old_value, new_value, workstation)
    columns = [pa.array(occurred.astype("datetime64[s]"))]
    columns += [_text(value, n) for value in texts]
    return pa.table(columns, names=list(EVENT_COLUMNS))


def _text(value: Text, n: int) -> pa.Array:
    if value is None:
        return pa.nulls(n, pa.string())
    if isinstance(value, str):
        return pa.array([value] * n, pa.string())
    if isinstance(value, pa.Array | pa.ChunkedArray):
        return value
    return pa.array(np.asarray(value, dtype=object), pa.string())
