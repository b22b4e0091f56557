"""How well the alerts find what the simulator planted: recall, precision, innocents flagged.

Only for simulated worlds, whose truth file (`arusha simulate` writes `OUT_DIR.truth.csv`)
lists every planted scheme instance and honest confounder.

The matching rule: an alert **matches** a planted instance when the alert's detector is the
instance's scheme and the alert names every non-empty subject id of the instance, column by
column, among officer_id, declarant_id, trader_id, user_id and rule_id. The alert may name more
subjects than the instance (an officer × broker alert matches an officer-only instance); the
period is not compared, since detectors choose their own windows.

* Recall of scheme S: the share of S's planted instances matched by at least one alert.
  Schemes without a detector among `detectors` are listed as not evaluated.
* Precision: among the alerts of detectors whose scheme has planted instances, the share that
  match one, or that **rightly see** an instance of another scheme: the truth row's
  `also_seen_by` names the detector (a colluding officer also has declarations steered to him
  and finds nothing in his controls), every staff id the alert names is the instance's, and
  every party id the alert names is the instance's where the instance names one. Such alerts
  are correct but do not count towards the recall of the other scheme. The same holds for an
  alert of the instance's own detector that names its staff through another party (the
  traders of a steered broker): correct, but not counted as finding the instance. Alerts of
  detectors with nothing planted are not counted (there, every alert would be a false positive by
  construction of the world, not by fault of the detector).
* Precision on staff: among the same alerts, the share whose staff (officer_id, user_id) are
  all planted wrongdoers of some scheme: a looser reading, printed beside it.
* Innocent staff flagged: staff ids (officer_id, and user_id, which is the officer's system
  account) named by any alert that appear in no planted instance (truth rows of kind
  `scheme` or `intervention`); those that appear in a `confounder` row are the honest
  look-alikes planted to tempt the detectors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from arusha.engine.detector import SUBJECTS
from arusha.errors import ArushaError

STAFF = ("officer_id", "user_id")
TRUTH_TEXT = ("instance_id", "kind", "scheme", *SUBJECTS, "office_code", "description")


@dataclass(frozen=True)
class SchemeRecall:
    scheme: str
    instances: int
    found: int
    evaluated: bool  # False: no detector for this scheme
    missed: tuple[str, ...] = ()

    @property
    def recall(self) -> float | None:
        return self.found / self.instances if self.evaluated and self.instances else None


@dataclass(frozen=True)
class DetectorPrecision:
    detector: str
    alerts: int
    matching: int
    planted: bool  # the truth has instances of this detector's scheme
    on_planted_staff: int = 0  # alerts whose staff are all planted wrongdoers

    @property
    def precision(self) -> float | None:
        return self.matching / self.alerts if self.planted and self.alerts else None

    @property
    def staff_precision(self) -> float | None:
        return self.on_planted_staff / self.alerts if self.planted and self.alerts else None


@dataclass(frozen=True)
class InnocentFlagged:
    staff_id: str
    detectors: tuple[str, ...]
    alerts: int
    confounders: tuple[str, ...]  # the confounder(s) planted on this officer, if any


@dataclass(frozen=True)
class TextTable:
    """A table as text cells, for the CLI to draw with Rich or `format_evaluation` as text."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    numeric: frozenset[int] = frozenset()  # indexes of right-aligned columns


@dataclass(frozen=True)
class Evaluation:
    schemes: list[SchemeRecall]
    detectors: list[DetectorPrecision]
    innocent: list[InnocentFlagged]
    matches: pd.DataFrame = field(repr=False)  # instance_id, alert_id, detector

    @property
    def instances(self) -> int:
        return sum(s.instances for s in self.schemes if s.evaluated)

    @property
    def found(self) -> int:
        return sum(s.found for s in self.schemes if s.evaluated)

    @property
    def recall(self) -> float | None:
        return self.found / self.instances if self.instances else None

    @property
    def alerts_evaluated(self) -> int:
        return sum(d.alerts for d in self.detectors if d.planted)

    @property
    def alerts_matching(self) -> int:
        return sum(d.matching for d in self.detectors if d.planted)

    @property
    def precision(self) -> float | None:
        return self.alerts_matching / self.alerts_evaluated if self.alerts_evaluated else None

    @property
    def alerts_on_planted_staff(self) -> int:
        return sum(d.on_planted_staff for d in self.detectors if d.planted)

    @property
    def staff_precision(self) -> float | None:
        evaluated = self.alerts_evaluated
        return self.alerts_on_planted_staff / evaluated if evaluated else None

    @property
    def confounders_flagged(self) -> list[InnocentFlagged]:
        return [i for i in self.innocent if i.confounders]

    def tables(self) -> list[TextTable]:
        return [_recall_table(self), _precision_table(self), _innocent_table(self)]


def evaluate(
    alerts: pd.DataFrame, truth: pd.DataFrame, detectors: Iterable[str] | None = None
) -> Evaluation:
    """Compare `alerts` (the contract's alert rows) with the simulator's `truth` rows.

    `detectors` are the detector ids that exist (default: the catalogue's, plus any detector
    that raised an alert); a planted scheme with no detector among them is not evaluated.
    """
    alerts = _as_text(alerts, ("alert_id", "detector", *SUBJECTS))
    truth = _as_text(truth, ("instance_id", "kind", "scheme", *SUBJECTS, "also_seen_by"))
    if detectors is None:
        from arusha.detectors.catalogue import CATALOGUE  # the catalogue imports the engine

        detectors = [d.id for d in CATALOGUE]
    known = set(detectors) | set(alerts["detector"])
    planted = truth[truth["kind"] != "confounder"]
    matches = _matches(alerts, planted)
    correct = pd.concat([matches, _seen_by_others(alerts, planted)], ignore_index=True)
    return Evaluation(
        schemes=_recall(planted, matches, known),
        detectors=_precision(alerts, set(planted["scheme"]), correct, _guilty(planted)),
        innocent=_innocent(alerts, truth),
        matches=matches,
    )


def _matches(alerts: pd.DataFrame, planted: pd.DataFrame) -> pd.DataFrame:
    """Every (instance, alert) pair under the matching rule of the module docstring."""
    pairs = planted[["instance_id", "scheme", *SUBJECTS]].merge(
        alerts[["alert_id", "detector", *SUBJECTS]],
        left_on="scheme",
        right_on="detector",
        suffixes=("", "_alert"),
    )
    named = pd.Series(True, index=pairs.index)
    for s in SUBJECTS:
        named &= (pairs[s] == "") | (pairs[s] == pairs[f"{s}_alert"])
    return pairs.loc[named, ["instance_id", "alert_id", "detector"]].reset_index(drop=True)


def _seen_by_others(alerts: pd.DataFrame, planted: pd.DataFrame) -> pd.DataFrame:
    """(instance, alert) pairs in which the alert rightly sees an instance without naming it
    exactly: an instance of another scheme whose truth row names the alert's detector in
    `also_seen_by`, or of its own scheme through another party (a steered broker's traders)."""
    detectors = planted["scheme"] + ";" + planted["also_seen_by"]
    seen = planted.assign(detector=detectors.str.strip(";").str.split(";")).explode("detector")
    pairs = seen[["instance_id", "scheme", "detector", *SUBJECTS]].merge(
        alerts[["alert_id", "detector", *SUBJECTS]], on="detector", suffixes=("", "_alert")
    )
    same = pd.Series(True, index=pairs.index)
    another_party = pd.Series(False, index=pairs.index)
    for s in SUBJECTS:
        named = pairs[f"{s}_alert"]
        if s in STAFF:
            same &= (named == "") | (named == pairs[s])
        else:
            same &= (named == "") | (pairs[s] == "") | (named == pairs[s])
            another_party |= (named != "") & (pairs[s] == "")
    same &= (pairs[[f"{s}_alert" for s in STAFF]] != "").any(axis=1)
    same &= (pairs["scheme"] != pairs["detector"]) | another_party
    return pairs.loc[same, ["instance_id", "alert_id", "detector"]].reset_index(drop=True)


def _recall(planted: pd.DataFrame, matches: pd.DataFrame, known: set[str]) -> list[SchemeRecall]:
    found_ids = set(matches["instance_id"])
    result = []
    for scheme, group in planted.groupby("scheme", sort=True):
        ids = group["instance_id"].tolist()
        evaluated = scheme in known
        result.append(
            SchemeRecall(
                scheme=str(scheme),
                instances=len(ids),
                found=sum(i in found_ids for i in ids) if evaluated else 0,
                evaluated=evaluated,
                missed=tuple(i for i in ids if i not in found_ids) if evaluated else (),
            )
        )
    return result


def _precision(
    alerts: pd.DataFrame, planted_schemes: set[str], matches: pd.DataFrame, guilty: set[str]
) -> list[DetectorPrecision]:
    matching = matches.groupby("detector")["alert_id"].nunique()
    staff = alerts[list(STAFF)]
    on_guilty = ((staff == "") | staff.isin(guilty)).all(axis=1) & (staff != "").any(axis=1)
    return [
        DetectorPrecision(
            detector=str(detector),
            alerts=len(group),
            matching=int(matching.get(detector, 0)),
            planted=detector in planted_schemes,
            on_planted_staff=int(on_guilty[group.index].sum()),
        )
        for detector, group in alerts.groupby("detector", sort=True)
    ]


def _guilty(planted: pd.DataFrame) -> set[str]:
    """Staff ids named by a planted scheme or intervention instance."""
    return {v for s in STAFF for v in planted[s] if v}


def _innocent(alerts: pd.DataFrame, truth: pd.DataFrame) -> list[InnocentFlagged]:
    named = pd.concat(
        [alerts[[s, "detector", "alert_id"]].rename(columns={s: "staff_id"}) for s in STAFF]
    )
    named = named[named["staff_id"] != ""].drop_duplicates()
    guilty = _guilty(truth[truth["kind"] != "confounder"])
    confounders = truth[truth["kind"] == "confounder"]
    result = []
    for staff_id, group in named[~named["staff_id"].isin(guilty)].groupby("staff_id", sort=True):
        on_them = confounders[(confounders[list(STAFF)] == staff_id).any(axis=1)]
        result.append(
            InnocentFlagged(
                staff_id=str(staff_id),
                detectors=tuple(sorted(set(group["detector"]))),
                alerts=group["alert_id"].nunique(),
                confounders=tuple(sorted(set(on_them["scheme"]))),
            )
        )
    return result


def _as_text(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """`columns` as text, missing values (and absent optional columns) as empty strings."""
    frame = frame.copy()
    for column in columns:
        if column not in frame:
            frame[column] = ""
        frame[column] = frame[column].fillna("").astype(str)
    return frame


# --- reading ---------------------------------------------------------------------------------


def read_truth(path: Path) -> pd.DataFrame:
    """The simulator's truth CSV, every id as text and empty cells as empty strings."""
    path = Path(path)
    if not path.is_file():
        raise ArushaError(
            f"{path}: no such truth file",
            hint="`arusha simulate OUT_DIR` writes it next to the data, as OUT_DIR.truth.csv",
        )
    truth = pd.read_csv(path, dtype=dict.fromkeys(TRUTH_TEXT, str), keep_default_na=False)
    missing = [c for c in ("instance_id", "kind", "scheme", *SUBJECTS) if c not in truth]
    if missing:
        raise ArushaError(
            f"{path} is not a truth file: no column {', '.join(missing)}",
            hint="pass the OUT_DIR.truth.csv that `arusha simulate` wrote",
        )
    return truth


# --- rendering -------------------------------------------------------------------------------


def format_evaluation(ev: Evaluation) -> str:
    """The evaluation as plain text: a headline and three aligned tables."""
    parts = [headline(ev)]
    for table in ev.tables():
        parts.append(_text(table))
    return "\n\n".join(parts) + "\n"


def headline(ev: Evaluation) -> str:
    confounders = len(ev.confounders_flagged)
    return "\n".join(
        [
            f"Recall: {ev.found} of {ev.instances} planted instances found ({_pct(ev.recall)}).",
            f"Precision: {ev.alerts_matching} of {ev.alerts_evaluated} alerts of detectors with "
            f"planted instances match a planted instance ({_pct(ev.precision)}); "
            f"{ev.alerts_on_planted_staff} name only planted wrongdoers "
            f"({_pct(ev.staff_precision)}).",
            f"Innocent staff flagged: {len(ev.innocent)}, of whom {confounders} planted "
            "confounder(s).",
        ]
    )


def _recall_table(ev: Evaluation) -> TextTable:
    rows = [
        (s.scheme, str(s.instances), str(s.found), _pct(s.recall), ", ".join(s.missed))
        if s.evaluated
        else (s.scheme, str(s.instances), "–", "–", "not evaluated (no detector)")
        for s in ev.schemes
    ]
    return TextTable(
        "Recall per planted scheme",
        ("scheme", "instances", "found", "recall", "instances missed"),
        rows,
        frozenset({1, 2, 3}),
    )


def _precision_table(ev: Evaluation) -> TextTable:
    rows = [
        (d.detector, str(d.alerts), str(d.matching), _pct(d.precision),
         str(d.on_planted_staff), _pct(d.staff_precision))
        if d.planted
        else (d.detector, str(d.alerts), "–", "nothing planted", "–", "–")
        for d in ev.detectors
    ]  # fmt: skip
    return TextTable(
        "Precision per detector",
        ("detector", "alerts", "matching an instance", "precision", "on planted staff",
         "staff precision"),
        rows,
        frozenset({1, 2, 3, 4, 5}),
    )  # fmt: skip


def _innocent_table(ev: Evaluation) -> TextTable:
    rows = [
        (i.staff_id, ", ".join(i.detectors), str(i.alerts), ", ".join(i.confounders) or "–")
        for i in ev.innocent
    ]
    return TextTable(
        "Innocent staff flagged (in no planted instance)",
        ("officer / user", "detectors", "alerts", "planted confounder"),
        rows,
        frozenset({2}),
    )


def _text(table: TextTable) -> str:
    if not table.rows:
        return f"{table.title}: none."
    cells = [table.columns, *table.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(table.columns))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(
            v.rjust(w) if i in table.numeric else v.ljust(w)
            for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    return "\n".join([table.title, line(table.columns), *(line(r) for r in table.rows)])


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"
