"""Expected counts from comparable work, leaving the unit's own work out of the baseline.

Indirect standardisation: each unit's volume in a stratum (office × desk or HS section × channel
× flow × month, ...) is valued at the rate of its peers in that stratum,

    E_u = sum over strata s of n_us · (Y_s - y_us) / (N_s - n_us),

where n_us, y_us are the unit's volume and events in s and N_s, Y_s the stratum totals. Leaving
the unit out keeps a dominant unit from being its own yardstick, which would pull E towards O
and hide exactly the excess being looked for. A stratum in which the unit is alone has no peers
(N_s = n_us): it is dropped from both O and E and reported in `strata_dropped` / `n_dropped`.

Comparing within strata answers the posting confounder: an officer who handles high-risk goods
is compared with others handling the same goods, so O ≈ E; an officer whose rate is inflated
within a stratum gets O ≫ E.

Two implementations give identical results: `expected_counts` (pandas, for small data and
tests) and `expected_counts_expr` (an Ibis expression built from group-by, window and
aggregate only, so the same expression runs on DuckDB and Spark).

Reference: Breslow NE, Day NE (1987) Statistical Methods in Cancer Research vol. II, IARC,
ch. 2 (indirect standardisation, SMR).
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import numpy as np
import pandas as pd

Columns = str | Sequence[str]
OUTPUT = ("n", "observed", "expected", "strata_used", "strata_dropped", "n_dropped")


def expected_counts(
    cells: pd.DataFrame, unit: Columns, stratum: Columns, n: str, y: str
) -> pd.DataFrame:
    """Per unit: n, observed and expected counts over usable strata, and what was dropped.

    `cells` holds one or more rows per (unit, stratum) with volume `n` and event count `y`.
    Returns the unit columns followed by OUTPUT, sorted by unit.
    """
    units, strata, cell = _columns(unit, stratum)
    c = cells.groupby(cell, as_index=False, dropna=False)[[n, y]].sum()
    totals = c.groupby(strata, dropna=False)[[n, y]].transform("sum")
    peer_n, peer_y = totals[n] - c[n], totals[y] - c[y]
    used = (peer_n > 0).to_numpy()
    expected = np.divide(c[n] * peer_y, peer_n, out=np.zeros(len(c)), where=used)
    per_cell = c[units].assign(
        n=c[n].where(used, 0),
        observed=c[y].where(used, 0),
        expected=expected,
        strata_used=used.astype("int64"),
        strata_dropped=(~used).astype("int64"),
        n_dropped=c[n].where(~used, 0),
    )
    out = per_cell.groupby(units, as_index=False, dropna=False)[list(OUTPUT)].sum()
    return out.sort_values(units, ignore_index=True)


def expected_counts_expr(
    cells: ibis.Table, unit: Columns, stratum: Columns, n: str, y: str
) -> ibis.Table:
    """The same computation as `expected_counts`, as an Ibis expression (nothing is executed)."""
    units, strata, cell = _columns(unit, stratum)
    c = cells.group_by(cell).aggregate(_n=cells[n].sum(), _y=cells[y].sum())
    peers = ibis.window(group_by=strata)
    c = c.mutate(
        _peer_n=c._n.sum().over(peers) - c._n,
        _peer_y=c._y.sum().over(peers) - c._y,
    )
    used = c._peer_n > 0
    # nullif keeps the division defined on engines that raise on division by zero (Spark ANSI).
    contribution = c._n * c._peer_y.cast("float64") / c._peer_n.nullif(0)
    return (
        c.group_by(units)
        .aggregate(
            n=used.ifelse(c._n, 0).sum(),
            observed=used.ifelse(c._y, 0).sum(),
            expected=contribution.sum().fill_null(0.0),
            strata_used=used.cast("int64").sum(),
            strata_dropped=(~used).cast("int64").sum(),
            n_dropped=(~used).ifelse(c._n, 0).sum(),
        )
        .order_by(units)
    )


def _columns(unit: Columns, stratum: Columns) -> tuple[list[str], list[str], list[str]]:
    """Unit columns, stratum columns, and the columns of a cell (a unit within a stratum)."""
    units = [unit] if isinstance(unit, str) else list(unit)
    strata = [stratum] if isinstance(stratum, str) else list(stratum)
    if clash := set(units) & set(OUTPUT):
        raise ValueError(f"unit columns may not be named like an output column: {sorted(clash)}")
    return units, strata, list(dict.fromkeys(units + strata))  # office may be in both
