"""detectors.name_matching: keys that survive spelling and word order, name frequencies, and
the Splink link with its weights."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arusha.detectors.name_matching import (
    NAME_LEVELS,
    NUMBER_M,
    NUMBER_U,
    link_records,
    name_frequencies,
    name_keys,
    phonetic,
    registration_key,
    words,
)
from arusha.simulate.names import TRANSLITERATION, person_variant


def test_words_drop_case_accents_punctuation_and_legal_forms():
    assert words("HASAN, Aïcha  Aly") == ["hasan", "aicha", "aly"]
    assert words("Baobab Holdings Co. Ltd", company=True) == ["baobab", "holdings"]
    assert words("BAOBAB & SONS LIMITED", company=True) == ["baobab", "sons"]
    assert words("Baobab & Sons Ltd") == ["baobab", "sons", "ltd"]  # a person keeps every word


@pytest.mark.parametrize("name, variants", sorted(TRANSLITERATION.items()))
def test_every_transliteration_the_simulator_writes_has_the_same_skeleton(name, variants):
    for variant in variants:
        assert phonetic(words(variant)[0]) == phonetic(words(name)[0]), variant


def test_skeletons_keep_different_names_apart_where_consonants_differ():
    skeletons = {phonetic(w) for w in ("mohamed", "hassan", "aisha", "ali", "omar", "juma")}
    assert len(skeletons) == 6
    assert phonetic("mohamed") == "mhmd" and phonetic("khamis") == phonetic("hamisi") == "hms"
    assert phonetic("tr1001076") == "tr1001076"  # not a word: kept as written


def test_a_comma_form_in_another_spelling_has_the_same_skeleton_key_but_not_the_same_words():
    declared, registered = name_keys("Aisha Ali Hassan"), name_keys("HASAN, Aicha Aly")
    assert declared.phonetic == registered.phonetic == "al ash hsn"
    assert declared.exact != registered.exact
    assert declared.blocks == ["al ash", "al hsn", "ash hsn"]
    assert name_keys("Juma").blocks == ["jm"] and name_keys(" ; ") is None


@given(st.permutations(["Mohamed", "Ali", "Hassan"]), st.sampled_from([str.upper, str.lower]))
def test_keys_ignore_word_order_and_case(order, case):
    keys = name_keys(case(" ".join(order)))
    assert (keys.exact, keys.phonetic) == ("ali hassan mohamed", "al hsn mhmd")


def test_the_simulators_variants_of_a_person_keep_the_skeleton_key():
    rng = np.random.default_rng(0)
    for name in ("Aisha Ali Hassan", "Omar Ruth Said", "Mohamed Yusuf Abdallah"):
        for _ in range(5):
            assert name_keys(person_variant(name, rng)).phonetic == name_keys(name).phonetic


def test_registration_numbers_compare_letters_and_digits_only():
    assert registration_key("tr-100 1076") == registration_key("TR1001076") == "TR1001076"
    assert registration_key(None) is None and registration_key(float("nan")) is None
    assert registration_key(" - ") is None


def test_name_frequencies_count_namesakes_and_expect_them_from_word_frequencies():
    register = pd.Series(["a b", "a b", "a b", "a c", "c d e"])
    declared = pd.Series(["a b", "b c d"])
    table = name_frequencies(register, declared).set_index("key")
    # Tokens among the 7 names: a 5, b 5, c 3, d 2, e 1 (16); lengths: 2 words 5/7, 3 words 2/7.
    f = {"a": 5 / 16, "b": 5 / 16, "c": 3 / 16, "d": 2 / 16, "e": 1 / 16}
    assert table.loc["a b", "namesakes"] == 2  # three records, the matched one aside
    assert table.loc["a b", "expected"] == pytest.approx(5 * 5 / 7 * 2 * f["a"] * f["b"])
    within = 5 * (5 / 7 * 2 + 2 / 7 * 6) * f["a"] * f["b"]  # also as two words of three
    assert table.loc["a b", "expected_within"] == pytest.approx(within)
    assert table.loc["a b", "tf"] == pytest.approx(2 / 5)  # more namesakes than expected
    assert table.loc["b c d", "namesakes"] == 0  # declared only
    expected = 5 * 2 / 7 * 6 * f["b"] * f["c"] * f["d"]
    assert table.loc["b c d", "tf"] == pytest.approx(expected / 5)


def _register() -> pd.DataFrame:
    """Owners: four namesakes called Mohamed Ali, a rarer name in another spelling, fillers."""
    names = ["Mohamed Ali"] * 4 + ["HASAN, Aicha Aly", "Grace Wanjiru Kamau", "Peter Otieno",
                                   "Joseph Kariuki", "Ruth Njoroge Mbwana"]  # fmt: skip
    return pd.DataFrame({"record_id": [f"R{i}" for i in range(len(names))], "name": names})


def test_the_link_weighs_a_rare_name_in_another_spelling_above_a_common_exact_name():
    declared = pd.DataFrame({"declared_id": ["spouse", "parent"],
                             "name": ["Aisha Ali Hassan", "MOHAMED ALI"]})  # fmt: skip
    links = link_records(declared, _register(), company=False, min_probability=0.0)
    spouse = links[(links["declared_id"] == "spouse") & (links["record_id"] == "R4")].iloc[0]
    parent = links[(links["declared_id"] == "parent") & (links["record_id"] == "R0")].iloc[0]
    assert (spouse["name_level"], parent["name_level"]) == (3, 4)
    assert NAME_LEVELS[3][0] == "the same words in another spelling or order"
    assert parent["namesakes"] == 3
    # With term frequencies, an agreeing name weighs log2(m / tf), tf = namesakes / register.
    assert parent["name_weight"] == pytest.approx(math.log2(NAME_LEVELS[4][1] / (3 / 9)))
    assert spouse["match_probability"] > 0.5 > parent["match_probability"]
    for row in (spouse, parent):
        assert row["prior_weight"] == pytest.approx(math.log2((1 / 9) / (8 / 9)))
        assert row["match_weight"] == pytest.approx(row["prior_weight"] + row["name_weight"])
        assert row["match_probability"] == pytest.approx(1 / (1 + 2 ** -row["match_weight"]))


def test_a_registration_number_identifies_a_company_whatever_its_name():
    declared = pd.DataFrame({"declared_id": ["d"], "name": ["Old Name Trading"],
                             "registration_no": ["tr-000 123"]})  # fmt: skip
    register = pd.DataFrame({"record_id": ["T1", "T2"], "name": ["New Name Ltd", "Other Ltd"],
                             "registration_no": ["TR000123", "TR000999"]})  # fmt: skip
    links = link_records(declared, register, company=True, min_probability=0.0)
    row = links[links["record_id"] == "T1"].iloc[0]
    assert row["number_level"] == 1
    assert row["number_weight"] == pytest.approx(math.log2(NUMBER_M / NUMBER_U))
    assert row["match_probability"] > 0.99


def test_links_are_the_same_on_every_run():
    declared = pd.DataFrame(
        {"declared_id": ["a", "b"], "name": ["Aisha Ali Hassan", "Mohamed Ali"]}
    )
    first = link_records(declared, _register(), company=False, min_probability=0.0)
    again = link_records(declared, _register(), company=False, min_probability=0.0)
    pd.testing.assert_frame_equal(first, again)
    assert len(first) >= 5


def test_nothing_to_link_gives_no_rows():
    declared = pd.DataFrame({"declared_id": ["a"], "name": ["Ngao Lulu Almasi"]})
    assert link_records(declared, _register(), company=False, min_probability=0.01).empty
    assert link_records(declared.iloc[:0], _register(), company=False, min_probability=0.0).empty
