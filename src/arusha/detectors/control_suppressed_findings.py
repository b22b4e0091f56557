"""control.suppressed_findings — controls that find less than peers find on the same goods."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
from pydantic import Field

from arusha.detectors.peers import (
    CONTROL_CHANNELS,
    TEST_COLUMNS,
    PeerParams,
    PeerTest,
    assigned_work,
    funnel_chart,
    officer_finding,
    peer_group,
    peer_measures,
    peer_test,
    rate,
)
from arusha.engine.detector import Chart, Detector, Finding
from arusha.engine.tables import Tables

CENT = 0.005  # an assessment above the declared duties by less than this is rounding
INDICATORS = ("found", "uplifted")  # discrepancies; controls where duties were raised


class SuppressedFindings(Detector):
    """Officers whose documentary (yellow) and physical (red) controls find fewer discrepancies, and
    raise the duties declared less often, than peers' controls of comparable declarations. An
    officer paid to let goods through can still perform the control the risk engine asks for,
    and simply record that nothing was found; the trace is a find rate far below what the same
    goods yield for colleagues. Each officer's discrepancies, and controls where duties assessed
    exceed duties declared, are compared with the numbers expected from other officers' controls
    at the same office, on goods of the same HS chapter (main item), in the same channel, flow
    and quarter. So an officer posted to high-risk goods (a tobacco desk) is compared with
    others on those goods, and neither the posting nor its high find rate makes the officer, or
    colleagues on other goods, look unusual. The comparison allows for real differences between
    officers (funnel plot with random effects), uses an exact test for small numbers, and
    officers with few controls are not tested."""

    id = "control.suppressed_findings"
    title = "Controls that find nothing"
    reference = (
        "WCO Revised Arusha Declaration (2003), factors 4 (Automation) and 6 (Audit and "
        "investigation); Chalendard C, Raballand G, Rakotoarisoa A (2019) The use of detailed "
        "statistical data in customs reforms: the case of Madagascar, Development Policy "
        "Review 37(4):546-563 (results of each inspector's controls as indicators); "
        "Spiegelhalter DJ (2005) Stat Med 24:1185-1202 (funnel plots); Simes RJ (1986) "
        "Biometrika 73:751-754 (combining the two indicators)"
    )
    needs = ("declarations", "items")

    class Params(PeerParams):
        max_ratio: float = Field(
            0.6,
            gt=0,
            lt=1,
            description="largest ratio of observed to expected findings that alerts",
        )
        min_shortfall: float = Field(
            5.0, ge=1, description="smallest number of findings below expectation that alerts"
        )

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        work = assigned_work(tables, params)
        work = work.filter(work.final_channel.isin(CONTROL_CHANNELS))
        raised = work.duties_assessed - work.duties_declared
        work = work.mutate(
            channel=work.final_channel,  # the control performed: documentary or physical
            found=(work.inspection_outcome == "discrepancy").cast("int64"),
            uplifted=(raised > CENT).cast("int64"),
            uplift=ibis.greatest(raised, 0.0),
            declared=work.duties_declared,
        )
        return peer_measures(work, ["found", "uplifted"], ["uplift", "declared"])

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        tests = self._tests(measures, params)
        rows = _combined(measures, tests, params)
        return [self._finding(row, tests, params) for row in rows.itertuples()]

    def chart(self, measures: pd.DataFrame, params: Params) -> Chart:
        return funnel_chart(
            "Discrepancies found per officer: observed / expected from peers on the same goods",
            "Discrepancies found, observed / expected",
            self._tests(measures, params)["found"],
        )

    def _tests(self, measures: pd.DataFrame, params: Params) -> dict[str, PeerTest]:
        return {name: peer_test(measures, name, params, tail="lower") for name in INDICATORS}

    def _finding(self, row, tests: dict[str, PeerTest], params: Params) -> Finding:
        o, e, n = int(row.found), float(row.found_expected), int(row.n)
        up, up_e = int(row.uplifted), float(row.uplifted_expected)
        return officer_finding(
            row,
            score=row.shortfall,
            flagged=bool(row.material),
            summary=(
                f"Officer {row.officer_id} ({row.office_code}) found discrepancies in {o} of "
                f"{n} red or yellow controls, where peers' controls of the same goods would "
                f"have found about {e:.1f}; duties were raised in {up} "
                f"control{'' if up == 1 else 's'} against {up_e:.1f} expected ({{q}})."
            ),
            evidence={
                "office_code": row.office_code,
                "peer_group": peer_group(params, "control channel", "red and yellow controls"),
                "controls": n,
                "discrepancies": _indicator(row, tests["found"]),
                "controls_with_duty_uplift": _indicator(row, tests["uplifted"]),
                "duties_declared": float(row.declared),
                "duty_uplift": float(row.uplift),
                "expected_duty_uplift": float(row.uplift_expected),
                "strata_compared": int(row.strata_used),
                "controls_without_peers": int(row.n_dropped),
                "test": "Simes' combination of the two indicators' one-sided tests (each the "
                "largest p of a funnel plot on sqrt(O/E) with overdispersion and exact Poisson "
                "tails with E fixed and E uncertain): p = min(2 min(p1, p2), max(p1, p2))",
            },
        )


def _combined(
    measures: pd.DataFrame, tests: dict[str, PeerTest], params: SuppressedFindings.Params
) -> pd.DataFrame:
    """One row per tested officer: the measures, each indicator's test columns prefixed with
    its name, the Simes p-value and whether either indicator is materially low.

    An officer whose peers never find anything on their work (E = 0) cannot fall short on that
    indicator: its p-value is 1 and it is not material.
    """
    results = pd.concat(
        [t.tested[list(TEST_COLUMNS)].add_prefix(f"{name}_") for name, t in tests.items()],
        axis=1,
    )
    rows = measures.loc[results.index].join(results)
    p = np.sort(rows[[f"{name}_p_value" for name in INDICATORS]].fillna(1.0).to_numpy(), axis=1)
    material = np.column_stack([_material(rows, name, params) for name in INDICATORS])
    ratios = rows[[f"{name}_ratio" for name in INDICATORS]]
    return rows.assign(
        p_value=np.minimum(2 * p[:, 0], p[:, 1]),
        material=material.any(axis=1),
        shortfall=1 - ratios.min(axis=1),
    ).sort_values("officer_id")


def _material(rows: pd.DataFrame, name: str, params: SuppressedFindings.Params) -> np.ndarray:
    ratio, o, e = rows[f"{name}_ratio"], rows[name], rows[f"{name}_expected"]
    return ((ratio <= params.max_ratio) & (e - o >= params.min_shortfall)).to_numpy()


def _indicator(row, test: PeerTest) -> dict:
    """One indicator's figures; the test columns are empty when it was not tested (E = 0)."""
    name = test.event
    o, e, n = getattr(row, name), getattr(row, test.expected), row.n

    def result(column: str) -> float | None:
        value = getattr(row, f"{name}_{column}")
        return None if pd.isna(value) else float(value)

    return {
        "observed": int(o),
        "expected": float(e),
        "rate": rate(o, n),
        "peer_rate_on_same_work": rate(e, n),
        "office_rate": rate(getattr(row, f"office_{name}"), row.office_n),
        "observed_to_expected": result("ratio"),
        "observed_to_expected_ci95": [result("ratio_low"), result("ratio_high")],
        "z": result("z"),
        "p_funnel": result("p_funnel"),
        "p_exact_poisson": result("p_exact"),
        "p_exact_poisson_gamma": result("p_uncertain"),
        "p": result("p_value"),
        "test": test.method(),
    }
