"""What a detector is: a small self-describing unit the engine runs.

A detector has two halves. `measure` builds, as an Ibis expression, the figures per subject
(officer, officer × broker, ...) over the working tables; the backend (DuckDB, or Spark at
scale) computes them, so no whole table ever reaches Python. `assess` turns that small result
into findings with the statistics of `arusha.stats`. The engine applies Benjamini–Hochberg
across all of a detector's tests and keeps as alerts the findings that are both material
(`flagged`) and significant.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

import ibis
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from arusha.engine.tables import Tables

SUBJECTS = ("officer_id", "declarant_id", "trader_id", "user_id", "rule_id")


class DetectorParams(BaseModel):
    """Parameters every detector has. Subclasses add their own, each with a default and help."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fdr: float = Field(
        0.05, gt=0, lt=1, description="false-discovery rate across this detector's tests"
    )


@dataclass(frozen=True)
class Finding:
    """One tested subject. `summary` may contain `{q}`, filled in once q is known."""

    subjects: dict[str, str]
    period_start: date
    period_end: date
    score: float
    summary: str
    evidence: dict
    p_value: float | None = None
    flagged: bool = True  # material enough to alert, if significant
    office_code: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.subjects) - set(SUBJECTS)
        if unknown:
            raise ValueError(f"unknown subject column(s): {sorted(unknown)}")


@dataclass(frozen=True)
class Chart:
    """How the report draws a detector's measures: a funnel plot of `indicator` against
    `volume`, with the target and the control limits the assessment used."""

    title: str
    volume: str
    indicator: str
    volume_label: str
    indicator_label: str
    data: pd.DataFrame = field(repr=False)
    target: float = 0.0
    limits: pd.DataFrame | None = field(default=None, repr=False)


class Detector(ABC):
    """Subclasses set the class attributes and implement `measure` and `assess`. The class
    docstring is the description users read (in `arusha detectors` and the docs)."""

    id: ClassVar[str]
    title: ClassVar[str]
    reference: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ("declarations",)
    Params: ClassVar[type[DetectorParams]] = DetectorParams

    @classmethod
    def description(cls) -> str:
        return " ".join((cls.__doc__ or "").split())

    @abstractmethod
    def measure(self, tables: Tables, params: DetectorParams) -> ibis.Table:
        """The figures per subject, as an expression the backend computes."""

    @abstractmethod
    def assess(self, measures: pd.DataFrame, params: DetectorParams) -> list[Finding]:
        """Findings for every tested subject (significant or not: FDR needs them all)."""

    def untested(self, measures: pd.DataFrame, params: DetectorParams) -> int:
        """Hypotheses of the detector's family that `measure` screened out, without a p-value,
        because they could not be flagged; the false-discovery correction counts them as p = 1.
        """
        return 0

    def chart(self, measures: pd.DataFrame, params: DetectorParams) -> Chart | None:
        """An optional funnel plot for the report."""
        return None
