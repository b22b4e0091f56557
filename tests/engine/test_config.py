"""arusha.toml: typed parameters; unknown names are errors that suggest the nearest one."""

from __future__ import annotations

import re

import pytest

from arusha.detectors.staff_rotation_overstay import RotationOverstay
from arusha.engine.config import load_config, parse_config
from arusha.errors import ArushaError


def test_defaults_when_no_file():
    assert load_config(None).params_for(RotationOverstay).max_years == 5.0


def test_values_are_read_and_typed(tmp_path):
    path = tmp_path / "arusha.toml"
    path.write_text('[detectors."staff.rotation_overstay"]\nmax_years = 4\nfdr = 0.01\n')
    params = load_config(path).params_for(RotationOverstay)
    assert (params.max_years, params.fdr) == (4.0, 0.01)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"detector": {}}, "unknown section [detector]; did you mean 'detectors'?"),
        ({"detectors": {"staff.rotation_overstays": {}}},
         "unknown detector 'staff.rotation_overstays'; did you mean 'staff.rotation_overstay'?"),
        ({"detectors": {"staff.rotation_overstay": {"max_year": 4}}},
         "unknown parameter 'max_year'; did you mean 'max_years'?"),
        ({"detectors": {"staff.rotation_overstay": {"max_years": "five"}}},
         "parameter 'max_years': Input should be a valid number"),
        ({"detectors": {"staff.rotation_overstay": {"fdr": 1.5}}},
         "parameter 'fdr': Input should be less than 1"),
    ],
)  # fmt: skip
def test_mistakes_are_named(raw, message):
    with pytest.raises(ArushaError, match=re.escape(message)):
        parse_config(raw)


def test_bad_toml_names_the_file(tmp_path):
    path = tmp_path / "arusha.toml"
    path.write_text("[detectors\n")
    with pytest.raises(ArushaError, match=r"arusha\.toml: not valid TOML"):
        load_config(path)
