"""`arusha.toml`: the analysis settings, typed and checked.

    [detectors."risk.override"]
    fdr = 0.05
    min_controlled = 30

    [detectors."staff.rotation_overstay".max_years]
    examiner = 5
    valuation = 4

An unknown detector or parameter is an error that names it and the nearest valid one.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from arusha.engine.detector import Detector, DetectorParams
from arusha.errors import ArushaError

SECTIONS = ("detectors",)


@dataclass(frozen=True)
class Config:
    params: dict[str, DetectorParams] = field(default_factory=dict)
    source: Path | None = None

    def params_for(self, detector: type[Detector]) -> DetectorParams:
        return self.params.get(detector.id) or detector.Params()


def load_config(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ArushaError(f"{path}: no such configuration file") from err
    except tomllib.TOMLDecodeError as err:
        raise ArushaError(f"{path}: not valid TOML ({err})") from err
    return parse_config(raw, path)


def parse_config(raw: dict, source: Path | None = None) -> Config:
    where = str(source or "configuration")
    for key in raw:
        if key not in SECTIONS:
            raise ArushaError(f"{where}: unknown section [{key}]{_nearest(key, SECTIONS)}")
    from arusha.detectors.catalogue import CATALOGUE, by_id  # the catalogue imports the engine

    params: dict[str, DetectorParams] = {}
    for detector_id, values in raw.get("detectors", {}).items():
        detector = by_id(detector_id)
        if detector is None:
            ids = [d.id for d in CATALOGUE]
            raise ArushaError(
                f"{where}: unknown detector {detector_id!r}{_nearest(detector_id, ids)}",
                hint="`arusha detectors` lists them",
            )
        params[detector_id] = _params(detector, values, where)
    return Config(params, source)


def _params(detector: type[Detector], values: dict, where: str) -> DetectorParams:
    try:
        return detector.Params(**values)
    except ValidationError as err:
        first = err.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        if first["type"] == "extra_forbidden":
            known = list(detector.Params.model_fields)
            message = f"unknown parameter {name!r}{_nearest(name, known)}"
        else:
            message = f"parameter {name!r}: {first['msg']} (got {first.get('input')!r})"
        raise ArushaError(
            f"{where}: detector {detector.id}: {message}",
            hint=f"`arusha detectors {detector.id}` shows its parameters",
        ) from err


def _nearest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
