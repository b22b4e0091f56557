"""An alert in words and figures, for a reviewer at a terminal.

`arusha explain ALERT_ID --out OUT_DIR` reads `OUT_DIR/alerts.parquet` (or `alerts.csv`), finds
the row with `find_alert` and prints `explain(row)`: the summary, who and when, what was compared
with what (the evidence), the test with p and q in one sentence each, and the innocent
explanations a reviewer should rule out before anything else. The evidence formatting here is
also what the analysis report shows, so the terminal and the page say the same thing.
"""

from __future__ import annotations

import difflib
import json
import math
import numbers
import textwrap
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from arusha.engine.detector import SUBJECTS, Detector
from arusha.engine.pages import read_page
from arusha.errors import ArushaError

SUBJECT_LABELS = {
    "officer_id": "Officer",
    "declarant_id": "Broker (declarant)",
    "trader_id": "Trader",
    "user_id": "System user",
    "rule_id": "Risk rule",
}
# Evidence keys shown apart: on the p and q lines.
SHOWN_APART = ("p_value", "q_value")
LIST_ITEMS_SHOWN = 20
GENERIC_INNOCENT = (
    "work that differs from the peers' in ways the data do not show (a specialised desk or "
    "shift, a posting or role change, an approved exception), and errors in the export itself."
)
ACRONYMS = {"ci": "CI", "hs": "HS", "id": "ID", "fdr": "FDR", "od": "OD"}


# --- reading alerts ------------------------------------------------------------------------


def read_alerts(path: Path) -> pd.DataFrame:
    """The alerts written by `arusha analyze`: a folder (its alerts.parquet, else alerts.csv)
    or one of those files. Subject ids are kept as text; absent subjects are empty strings."""
    path = Path(path)
    if path.is_dir():
        path = next(
            (p for p in (path / "alerts.parquet", path / "alerts.csv") if p.is_file()),
            path / "alerts.parquet",
        )
    if not path.is_file():
        raise ArushaError(
            f"{path}: no alerts file",
            hint="run `arusha analyze --db WORK.duckdb --out OUT_DIR` first, then point to OUT_DIR",
        )
    if path.suffix == ".parquet":
        alerts = pd.read_parquet(path)
    else:
        text = ["alert_id", "detector", *SUBJECTS, "summary", "evidence"]
        alerts = pd.read_csv(path, dtype={c: str for c in text}, keep_default_na=False)
        for column in ("score", "p_value", "q_value"):
            alerts[column] = pd.to_numeric(alerts[column].replace("", None), errors="coerce")
    for column in SUBJECTS:
        alerts[column] = alerts[column].fillna("").astype(str)
    return alerts


def find_alert(out_dir: Path, alert_id: str) -> dict:
    """The row of `alert_id` in `out_dir`'s alerts, as a dict. A unique prefix of an id (at
    least 6 characters, any case) is accepted; an unknown id names the closest ones."""
    alerts = read_alerts(out_dir)
    ids = alerts["alert_id"].astype(str).tolist()
    wanted = alert_id.strip()
    matches = [i for i in ids if i == wanted]
    if not matches and len(wanted) >= 6:
        matches = [i for i in ids if i.lower().startswith(wanted.lower())]
    if len(matches) == 1:
        row = alerts.iloc[ids.index(matches[0])].to_dict()
        return {k: None if _missing(v) else v for k, v in row.items()}
    if matches:
        raise ArushaError(
            f"{alert_id!r} matches {len(matches)} alerts",
            hint="give more of the id: " + ", ".join(matches[:5]),
        )
    close = difflib.get_close_matches(wanted, ids, n=3, cutoff=0.5)
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else f"the {len(ids)} alert ids are in {Path(out_dir) / 'alerts.csv'}"
    )
    raise ArushaError(f"no alert {alert_id!r} in {out_dir}", hint=hint)


# --- the explanation -----------------------------------------------------------------------


def explain(row: dict, detector_cls: type[Detector] | None = None) -> str:
    """The alert `row` (as in alerts.parquet) in plain text for a terminal."""
    if detector_cls is None:
        from arusha.detectors.catalogue import by_id  # the catalogue imports the engine

        detector_cls = by_id(str(row.get("detector")))
    evidence = parse_evidence(row.get("evidence"))
    title = f" ({detector_cls.title})" if detector_cls else ""
    lines = [
        f"Alert {row['alert_id']} · {row['detector']}{title}",
        "",
        *_wrap(str(row.get("summary") or "")),
        "",
        *(f"{name + ':':<20}{value}" for name, value in subject_lines(row)),
        f"{'Period:':<20}{period_text(row.get('period_start'), row.get('period_end'))}",
        f"{'Score:':<20}{format_value(row.get('score'))} "
        "(comparable only with other alerts of this detector)",
        "",
        "What was compared",
    ]
    scalars, tables = flatten_evidence(evidence)
    width = max((len(name) for name, _ in scalars), default=0) + 2
    for name, value in scalars:
        lines += _hanging(f"  {name:<{width}}", value)
    if not scalars:
        lines.append("  (no figures)")
    for name, table in tables:
        lines += ["", f"  {name}", *_text_table(table, indent=4)]
    lines += ["", *significance_lines(row, evidence)]
    lines += ["", "Before drawing any conclusion, rule out innocent explanations:"]
    lines += _wrap(innocent_explanations(str(row.get("detector"))), indent=2)
    lines += [
        "",
        *_wrap(
            "An alert is a reason to look at the work, not a finding of wrongdoing: "
            "review the declarations behind it and hear the officer before any decision."
        ),
    ]
    return "\n".join(lines) + "\n"


def subject_lines(row: dict) -> list[tuple[str, str]]:
    return [(SUBJECT_LABELS[s], str(row[s])) for s in SUBJECTS if _given(row.get(s))]


def period_text(start: Any, end: Any) -> str:
    start, end = _day(start), _day(end)
    return start if start == end else f"{start} to {end}"


def significance_lines(row: dict, evidence: dict) -> list[str]:
    """The test, and what p and q mean, each in one sentence."""
    p, q = _number(row.get("p_value")), _number(row.get("q_value"))
    test = next((v for k, v in evidence.items() if _is_test_key(k) and isinstance(v, str)), None)
    if p is None:
        return _wrap(
            "This alert comes from a rule, not a statistical test: it has no p or q; "
            "the figures above are the whole case."
        )
    lines = _wrap(f"Test: {test}.") if test else []
    lines += _wrap(
        f"{p_text(p)}: if the subject worked like comparable peers, a difference at least "
        f"this large would arise by chance {chance_text(p)}."
    )
    if q is not None:
        lines += _wrap(
            f"{q_text(q)}: among this detector's alerts at least this strong, at most "
            f"{_percent(q)} are expected to be chance findings, after correcting for the "
            "number of subjects tested (Benjamini–Hochberg false-discovery rate)."
        )
    return lines


def p_text(p: float) -> str:
    return "p < 0.0001" if p < 0.0001 else f"p = {p:.4f}".rstrip("0").rstrip(".")


def q_text(q: float) -> str:
    return "q < 0.001" if q < 0.001 else f"q = {q:.3f}"


def chance_text(p: float) -> str:
    if p <= 0:
        return "practically never"
    if p < 1e-6:
        return "less than once in a million"
    return f"about once in {_round_count(1 / p):,}"


def innocent_explanations(detector_id: str) -> str:
    """What a reviewer should rule out first: the "Known innocent explanations" of the
    detector's page (docs/detectors/<id>.md), else a general reminder."""
    page = read_page(detector_id)
    items = page.innocent_explanations() if page else []
    return " ".join(items) or GENERIC_INNOCENT


# --- evidence ------------------------------------------------------------------------------


def parse_evidence(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    if _missing(value) or value == "":
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:  # an alerts file edited by hand: show the text as it is
        return {"evidence": str(value)}
    return parsed if isinstance(parsed, dict) else {"evidence": parsed}


def flatten_evidence(
    evidence: dict,
) -> tuple[list[tuple[str, str]], list[tuple[str, list[dict[str, str]]]]]:
    """Evidence as (label, text) pairs, plus its lists of records as small tables.

    Nested mappings are flattened with "·" between the levels, observed and expected figures
    first at each level; p and q are left out (they are explained on their own line); lists of
    scalars are joined, long ones cut with a count.
    """
    scalars: list[tuple[str, str]] = []
    tables: list[tuple[str, list[dict[str, str]]]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key in _reading_order(value):
                walk(f"{prefix} · {label(key)}" if prefix else label(key), value[key])
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            # records may differ in their keys (a case linked by id has no name): every row
            # gets every column, empty where the record has none
            keys = list(dict.fromkeys(k for item in value for k in item))
            rows = [{label(k): format_value(item[k]) if k in item else "" for k in keys}
                    for item in value]  # fmt: skip
            tables.append((prefix, rows))
        elif isinstance(value, list):
            shown = ", ".join(format_value(v) for v in value[:LIST_ITEMS_SHOWN])
            more = len(value) - LIST_ITEMS_SHOWN
            scalars.append((prefix, shown + (f" … and {more} more" if more > 0 else "")))
        else:
            scalars.append((prefix, format_value(value)))

    walk("", {k: v for k, v in evidence.items() if k not in SHOWN_APART})
    return scalars, tables


def comparisons(evidence: dict, within: str = "") -> list[tuple[str, float, float]]:
    """(what, observed, expected) for every pair of numeric figures the evidence compares, at
    any depth: keys observed…/expected…, …observed/…expected, or X/expected_X."""
    found = []
    for what, observed, expected in _pairs(evidence):
        name = " · ".join(n for n in (within, what) if n) or "Count"
        found.append((name, float(evidence[observed]), float(evidence[expected])))
    for key, value in evidence.items():
        if isinstance(value, dict):
            found += comparisons(value, f"{within} · {label(key)}" if within else label(key))
    return found


def _pairs(evidence: dict) -> list[tuple[str, str, str]]:
    """(what, observed key, expected key) for the numeric pairs of one level of evidence."""
    pairs = []
    for key in map(str, evidence):
        if key.startswith("observed"):
            what, partner = key[len("observed") :], "expected" + key[len("observed") :]
        elif key.endswith("observed"):
            what, partner = key[: -len("observed")], key[: -len("observed")] + "expected"
        elif f"expected_{key}" in evidence:
            what, partner = key, f"expected_{key}"
        else:
            continue
        if _numeric(evidence.get(key)) and _numeric(evidence.get(partner)):
            pairs.append((label(what.strip("_")), key, partner))
    return pairs


def _reading_order(evidence: dict) -> list:
    """Observed and expected figures first, pair by pair: the comparison a reader looks for."""
    first = [k for _, observed, expected in _pairs(evidence) for k in (observed, expected)]
    return first + [k for k in evidence if k not in first]


def label(key: str) -> str:
    """An evidence key as a heading: 'peer_ci_low' → 'Peer CI low'."""
    words = [ACRONYMS.get(w, w) for w in str(key).split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def format_value(value: Any) -> str:
    """A figure as a reader wants it: thousands separated, three significant digits."""
    if _missing(value):
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) < 0.001:
            return f"{value:.2e}"
        return f"{value:.3g}"
    if isinstance(value, datetime | date | pd.Timestamp):
        return _day(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


# --- helpers -------------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays
        return False


def _is_test_key(key: str) -> bool:
    """'test', 'method', 'combined_test': the evidence naming the test behind p."""
    return key in ("test", "method") or key.endswith("_test")


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _given(value: Any) -> bool:
    return not _missing(value) and str(value) != ""


def _number(value: Any) -> float | None:
    return None if _missing(value) else float(value)


def _day(value: Any) -> str:
    if _missing(value):
        return "–"
    if isinstance(value, datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return value.isoformat() if isinstance(value, date) else str(value)


def _percent(share: float) -> str:
    return "0.1%" if share < 0.001 else f"{100 * share:.1f}%".replace(".0%", "%")


def _round_count(n: float) -> int:
    """1/p to two significant digits: 'about once in 2,500', not 'in 2,487'."""
    n = max(1.0, n)
    digits = max(0, math.floor(math.log10(n)) - 1)
    return int(round(n, -digits))


def _wrap(text: str, width: int = 92, indent: int = 0) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, width, initial_indent=pad, subsequent_indent=pad) or [""]


def _hanging(head: str, text: str, width: int = 92) -> list[str]:
    """`head` then `text`, wrapped, continuation lines aligned under the text."""
    wrapped = textwrap.wrap(text, max(40, width - len(head))) or [""]
    return [head + wrapped[0], *(" " * len(head) + line for line in wrapped[1:])]


def _text_table(rows: list[dict[str, str]], indent: int) -> Iterable[str]:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    shown = rows[:LIST_ITEMS_SHOWN]
    widths = {c: max(len(c), *(len(r.get(c, "")) for r in shown)) for c in columns}
    pad = " " * indent
    yield pad + "  ".join(f"{c:<{widths[c]}}" for c in columns).rstrip()
    for r in shown:
        yield pad + "  ".join(f"{r.get(c, ''):<{widths[c]}}" for c in columns).rstrip()
    if len(rows) > len(shown):
        yield f"{pad}… and {len(rows) - len(shown)} more rows"
