"""Small helpers the detectors share."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import ibis
import ibis.selectors as s
import pandas as pd


def left_join(left: ibis.Table, right: ibis.Table, keys: Sequence[str]) -> ibis.Table:
    """`left` with the columns of `right` matched on `keys` (null where none matches), the
    keys once."""
    return left.left_join(right, list(keys)).select(~s.endswith("_right"))


def as_date(value) -> date:
    """A date from what a backend returns for one (a date, a timestamp, a string)."""
    return pd.Timestamp(value).date()
