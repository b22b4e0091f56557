"""risk.override — officers who process risk-selected declarations in a less strict channel."""

from __future__ import annotations

import ibis
import pandas as pd
from pydantic import Field

from arusha.detectors.peers import (
    CONTROL_CHANNELS,
    PeerParams,
    PeerTest,
    assigned_work,
    channel_rank,
    funnel_chart,
    officer_finding,
    peer_group,
    peer_measures,
    peer_test,
    rate,
)
from arusha.engine.detector import Chart, Detector, Finding
from arusha.engine.tables import Tables


class RiskOverride(Detector):
    """Officers who process more of the declarations the risk engine sent to red or yellow in a less
    strict channel (red to yellow, blue or green; yellow to blue or green) than peers handling
    comparable declarations. Selectivity is the main defence against fraud at the border; an
    override lets goods through without the control the risk engine asked for, and an officer
    who is paid to override does so again and again. Each officer's overrides are compared with
    the number expected from other officers on the same work: same office, goods (HS chapter of
    the main item), risk channel, flow and quarter. So a desk with risky goods, an office whose
    officers all override often (a postal office releasing parcels after a document check) or a
    busy season sets its own expectation. The comparison allows for real differences between
    officers (funnel plot with random effects) and uses an exact test for small numbers;
    officers with few controlled declarations are not tested, and one override never raises an
    alert."""

    id = "risk.override"
    title = "Risk-engine overrides to a less strict channel"
    reference = (
        "WCO Revised Arusha Declaration (2003), factor 4: Automation (limiting discretion "
        "through risk-based selectivity); WCO Integrity Development Guide (2014); "
        "Spiegelhalter DJ (2005) Stat Med 24:1185-1202 (funnel plots with overdispersion)"
    )
    needs = ("declarations", "items")

    class Params(PeerParams):
        min_ratio: float = Field(
            2.0, gt=1, description="smallest ratio of observed to expected overrides that alerts"
        )
        min_excess: float = Field(
            3.0,
            ge=1,
            description="smallest number of overrides above expectation that alerts (at least "
            "1, so that a single override never alerts)",
        )

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        work = assigned_work(tables, params)
        work = work.filter(work.risk_channel.isin(CONTROL_CHANNELS))
        lowered = channel_rank(work.final_channel) < channel_rank(work.risk_channel)
        work = work.mutate(
            channel=work.risk_channel,
            overrides=lowered.cast("int64"),
            to_green=(work.final_channel == "green").cast("int64"),
        )
        return peer_measures(work, ["overrides"], ["to_green"])

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        test = self._test(measures, params)
        national = rate(measures["overrides"].sum(), measures["n"].sum())
        return [
            self._finding(row, test, params, national)
            for row in test.tested.sort_values("officer_id").itertuples()
        ]

    def chart(self, measures: pd.DataFrame, params: Params) -> Chart:
        return funnel_chart(
            "Overrides per officer: observed / expected from peers on the same work",
            "Overrides, observed / expected",
            self._test(measures, params),
        )

    def _test(self, measures: pd.DataFrame, params: Params) -> PeerTest:
        return peer_test(measures, "overrides", params, tail="upper")

    def _finding(self, row, test: PeerTest, params: Params, national: float | None) -> Finding:
        o, e, n = int(row.overrides), float(row.overrides_expected), int(row.n)
        return officer_finding(
            row,
            score=row.ratio,
            flagged=bool(row.ratio >= params.min_ratio and o - e >= params.min_excess),
            summary=(
                f"Officer {row.officer_id} ({row.office_code}) processed {o} of {n} red or "
                f"yellow declarations in a less strict channel; peers on the same work would "
                f"have done so about {e:.1f} times ({row.ratio:.1f} times as often; {{q}})."
            ),
            evidence={
                "office_code": row.office_code,
                "peer_group": peer_group(params, "risk channel", "red and yellow declarations"),
                "controlled_declarations": n,
                "overrides": o,
                "overrides_to_green": int(row.to_green),
                "expected_overrides": e,
                "excess_overrides": o - e,
                "observed_to_expected": row.ratio,
                "observed_to_expected_ci95": [row.ratio_low, row.ratio_high],
                "override_rate": rate(o, n),
                "peer_rate_on_same_work": rate(e, n),
                "office_override_rate": rate(row.office_overrides, row.office_n),
                "national_override_rate": national,
                "strata_compared": int(row.strata_used),
                "declarations_without_peers": int(row.n_dropped),
                "test": test.method(),
                "z": row.z,
                "p_funnel": row.p_funnel,
                "p_exact_poisson": row.p_exact,
                "p_exact_poisson_gamma": row.p_uncertain,
            },
        )
