"""Finding the same person or company in two registers that write names differently.

Staff declarations of interest and the parties register are kept by different clerks. The same
relative is `Aisha Ali Hassan` in one and `HASAN, Aicha Aly` in the other: other case, a comma
form with the surname first, another word order, another transliteration of each word from
Arabic or Swahili. Companies lose or gain their legal form (`Ltd`, `Limited`). This module
links the two in three steps.

1. Keys (`name_keys`). A name becomes its words in lower case without accents or punctuation
   (`exact`: the words sorted, so word order and comma forms do not matter), and the consonant
   skeleton of each word (`phonetic`): digraphs folded (kh → h, ph → f, ch → sh, q and c → k),
   a final h after a vowel dropped, a leading vowel written `a`, the other vowels (y included)
   dropped and doubled letters collapsed. Mohamed, Mohammed, Muhammad and Mohamad all become
   `mhmd`; Hassan and Hasan `hsn`; Aisha, Aicha and Ayesha `ash`; Khamis and Hamisi `hms`.
   A skeleton also merges some different names (Salim and Salma): that is why an exact spelling
   counts for more than an agreeing skeleton, and why each key's own frequency is used.
2. How common a name is (`name_frequencies`). A match on a name a hundred owners carry says
   little about which of them is the declared relative. For each key: the other register
   records carrying it (`namesakes`), and the number expected by chance from the frequencies of
   its words among all owners and declared relatives (`expected`: the chance that a random
   name has that length and those words, times the register's size), which keeps a name seen
   once from passing as unique when its words are common. The larger of the two, over the
   register's size, is the key's term frequency: the u probability of agreeing on it by chance.
3. The probabilistic link (`link_records`), a Fellegi–Sunter model run by Splink on a private
   in-memory DuckDB: candidate pairs share the skeleton key, a pair of skeleton words, or the
   registration number; each pair is scored on its name (levels below) and, for companies, its
   registration number. The m and u probabilities are fixed from stated priors rather than
   trained: the registers are small, EM on them is unstable, and reruns must give the same
   figures. The prior match probability is one over the register's size: the model answers
   "if the declared person is in the register, how likely is it this record?".

Name levels, with m (the chance that the registers write the same person so):

| level | m | u |
|---|---|---|
| the same words | 0.75 | term frequency of the words |
| the same skeletons: another spelling or order | 0.15 | term frequency of the skeletons |
| one name's (2+) skeletons all in the other's | 0.06 | the commoner's, with other words |
| similar: rapidfuzz token-sort ratio ≥ 90 | 0.03 | 0.001 |
| anything else | 0.01 | 0.999 |

(A name more or less: the term frequency is the chance that a random name contains those
words among others, `tf_within` below, of the commoner of the two names.)

Registration numbers (compared letters and digits only): the same number, m = 0.95 and
u = 10⁻⁶ (two companies share a number only through an error); different numbers, m = 0.05
(mistyped or re-registered), u = 1.

References: Fellegi IP, Sunter AB (1969) A theory for record linkage. JASA 64:1183-1210.
Winkler WE (1988) Using the EM algorithm for weight computation in the Fellegi-Sunter model
of record linkage (term-frequency adjustment). Linacre R et al. (2022) Splink: free software
for probabilistic record linkage at scale. IJPDS 7(3). Christen P (2012) Data Matching,
Springer, ch. 4 (phonetic encodings).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from rapidfuzz import fuzz, process
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

# Legal forms and joining words that registers add or drop from company names.
LEGAL_FORMS = frozenset(
    "ltd limited co company plc inc incorporated llc corp corporation pty pvt private sarl "
    "sa gmbh bv and the".split()
)
FOLDS = (("kh", "h"), ("ph", "f"), ("th", "t"), ("dh", "d"), ("gh", "g"), ("ch", "sh"),
         ("ck", "k"), ("q", "k"), ("c", "k"), ("x", "ks"), ("v", "f"))  # fmt: skip
VOWELS = frozenset("aeiouy")
SIMILAR_RATIO = 90  # rapidfuzz token-sort ratio from which two names are similar

NAME_LEVELS = {  # Splink's comparison vector value: (label, m)
    4: ("the same words", 0.75),
    3: ("the same words in another spelling or order", 0.15),
    2: ("the words of one name all in the other", 0.06),
    1: (f"similar names (rapidfuzz token-sort ratio ≥ {SIMILAR_RATIO})", 0.03),
    0: ("different names", 0.01),
}
SIMILAR_U, DIFFERENT_U = 0.001, 0.999
NUMBER_M, NUMBER_U = 0.95, 1e-6  # the same registration number
NUMBER_LEVELS = {-1: "not compared", 1: "the same number", 0: "different numbers"}


# Keys ------------------------------------------------------------------------------------------


def words(name: str, company: bool = False) -> list[str]:
    """The words of a name in lower case, without accents or punctuation ('HASAN, Aïcha' →
    ['hasan', 'aicha']); for a company, without its legal form."""
    text = unicodedata.normalize("NFKD", name).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    found = re.findall(r"[^\W_]+", text)
    return [w for w in found if w not in LEGAL_FORMS] if company else found


@functools.lru_cache(maxsize=1 << 16)  # names repeat: a register has few distinct words
def phonetic(word: str) -> str:
    """The consonant skeleton of a word (see the module docstring); words with digits or
    outside the Latin alphabet are kept as written."""
    if not (word.isascii() and word.isalpha()):
        return word
    for written, sound in FOLDS:
        word = word.replace(written, sound)
    if len(word) > 2 and word[-1] == "h" and word[-2] in VOWELS:
        word = word[:-1]
    skeleton = ("a" if word[0] in VOWELS else word[0]) + "".join(
        c for c in word[1:] if c not in VOWELS
    )
    return re.sub(r"(.)\1+", r"\1", skeleton)


@dataclass(frozen=True)
class NameKeys:
    exact: str  # the words, sorted
    phonetic: str  # their skeletons, sorted
    tokens: list[str]  # the distinct skeletons
    blocks: list[str]  # candidate keys: each pair of skeletons (the skeleton of a one-word name)


def name_keys(name: str | None, company: bool = False) -> NameKeys | None:
    found = words(name, company) if name else []
    if not found:
        return None
    skeletons = sorted(phonetic(w) for w in found)
    tokens = sorted(set(skeletons))
    blocks = [" ".join(p) for p in combinations(tokens, 2)] or tokens
    return NameKeys(" ".join(sorted(found)), " ".join(skeletons), tokens, blocks)


def registration_key(number: str | None) -> str | None:
    """Letters and digits only, upper case: 'tr-100 1076' and 'TR1001076' agree."""
    if number is None or (isinstance(number, float) and math.isnan(number)):
        return None
    key = re.sub(r"[^0-9A-Z]", "", str(number).upper())
    return key or None


# Frequencies -----------------------------------------------------------------------------------


def name_frequencies(
    register: pd.Series, declared: pd.Series, keys: Iterable[str] | None = None
) -> pd.DataFrame:
    """How common each key is, for the register's records (`register`) and the declared names
    (`declared`), both Series of space-separated keys.

    One row per distinct key (of `keys`, by default all of both): `namesakes`, the other
    register records with the key; `expected`, the records expected to carry it by chance, and
    `expected_within`, those expected to carry its words among others (a name more), both from
    the frequencies of the words among all the names given and the share of names of each
    length; and the term frequencies `tf` (the larger of namesakes and expected, over the
    register's size) and `tf_within` (the same with expected_within)."""
    population = pd.concat([register, declared], ignore_index=True).dropna()
    split = [key.split() for key in population]
    counts = Counter(t for tokens in split for t in tokens)
    total = sum(counts.values())
    word_p = {t: c / total for t, c in counts.items()}
    lengths = Counter(len(t) for t in split)
    length_p = sorted((n, c / len(split)) for n, c in lengths.items())
    size = max(len(register.dropna()), 1)
    in_register = register.dropna().value_counts()

    def chance(key: str, within: bool) -> float:
        """P(a random name has exactly these words), or has them among others."""
        tokens = key.split()
        k = len(tokens)
        arrangements = (
            1
            if len(set(tokens)) == k
            else math.prod(math.factorial(r) for r in Counter(tokens).values())
        )
        places = sum(share * math.perm(n, k) for n, share in length_p
                     if n == k or (within and n > k))  # fmt: skip
        return math.prod(word_p[t] for t in tokens) * places / arrangements

    keys = sorted(set(population if keys is None else keys))
    namesakes = np.maximum(in_register.reindex(keys, fill_value=0).to_numpy(float) - 1, 0)
    expected = np.array([size * chance(k, within=False) for k in keys])
    expected_within = np.array([size * chance(k, within=True) for k in keys])
    return pd.DataFrame({
        "key": keys, "namesakes": namesakes, "expected": expected,
        "expected_within": expected_within, "tf": np.maximum(namesakes, expected) / size,
        "tf_within": np.maximum(namesakes, expected_within) / size,
    })  # fmt: skip


# The probabilistic link ------------------------------------------------------------------------


def link_records(
    declared: pd.DataFrame, register: pd.DataFrame, company: bool, min_probability: float
) -> pd.DataFrame:
    """Pairs of a declared name and a register record whose match probability reaches
    `min_probability`, with the figures behind it.

    `declared` has `declared_id` and `name`, `register` has `record_id` and `name`; for
    companies both also have `registration_no`. Both are small (thousands of rows; a register
    of a large administration a few hundred thousand), which is why they are linked in memory.
    One row per pair: `declared_id`, `record_id`, `name_level` and `number_level` (Splink's
    comparison levels: NAME_LEVELS, NUMBER_LEVELS), `prior_weight`, `name_weight` (term
    frequency included), `number_weight`, `match_weight` (their sum, log2 of the odds),
    `match_probability`, `name_m` and `name_u` (the name level's m and u: u is the name's
    term frequency where the level has one), `register_size`, `namesakes` and
    `expected_namesakes` (of the name compared) and `similarity` (rapidfuzz token-sort ratio
    of the two names, 0–100)."""
    left = _records(declared, "declared_id", company)
    everyone = _records(register, "record_id", company)
    right = _candidates(everyone, left)
    if left.empty or right.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    exact, spelling, within = (
        name_frequencies(everyone[column], left[column],
                         pd.concat([left[column], right[column]]).dropna()).set_index("key")
        for column in ("name_exact", "name_phonetic", "name_within")
    )  # fmt: skip
    lookups = {"name_exact": exact["tf"], "name_phonetic": spelling["tf"],
               "name_within": within["tf_within"]}  # fmt: skip
    con = duckdb.connect()  # private to the linkage, whatever backend holds the working tables
    try:
        con.create_function("token_sort_ratio", _token_sort_ratio, ["VARCHAR", "VARCHAR"],
                            "DOUBLE", type="arrow")  # fmt: skip
        api = DuckDBAPI(con)
        inputs = [api.register(left, table_name="declared"),
                  api.register(right, table_name="register")]  # fmt: skip
        linker = Linker(inputs, _settings(company, len(everyone)), log_level=None)
        for column, tf in lookups.items():
            lookup = pd.DataFrame({column: tf.index, f"tf_{column}": tf.to_numpy()})
            linker.table_management.register_term_frequency_lookup(
                api.register(lookup, table_name=f"lookup_{column}"), column
            )
        found = linker.inference.predict(min_probability).as_pandas_dataframe()
    finally:
        con.close()
    return _explain(found, left, right, (exact, spelling, within), len(everyone))


LINK_COLUMNS = [
    "declared_id", "record_id", "name_level", "number_level", "prior_weight", "name_weight",
    "number_weight", "match_weight", "match_probability", "name_m", "name_u", "register_size",
    "namesakes", "expected_namesakes", "similarity",
]  # fmt: skip


def _records(table: pd.DataFrame, id_column: str, company: bool) -> pd.DataFrame:
    distinct = {n: name_keys(n, company) for n in table["name"].dropna().unique()}
    keys = [distinct.get(n) for n in table["name"]]
    records = pd.DataFrame({
        "unique_id": table[id_column].astype(str).to_numpy(),
        "name_exact": [k.exact if k else None for k in keys],
        "name_phonetic": [k.phonetic if k else None for k in keys],
        "name_within": [" ".join(k.tokens) if k else None for k in keys],
        "name_tokens": [k.tokens if k else [] for k in keys],
        "name_blocks": [k.blocks if k else [] for k in keys],
    })  # fmt: skip
    if not company:  # people have no registration number
        return records[records["name_exact"].notna()]
    records["registration_no"] = [registration_key(n) for n in table["registration_no"]]
    return records[records["name_exact"].notna() | records["registration_no"].notna()]


def _candidates(register: pd.DataFrame, declared: pd.DataFrame) -> pd.DataFrame:
    """The register's records that share a blocking key with a declared one: the only ones
    Splink can pair, so the only ones whose frequencies are needed."""
    blocks = set(declared["name_blocks"].explode().dropna())
    shares = register["name_blocks"].explode().isin(blocks).groupby(level=0).any()
    keep = shares.reindex(register.index, fill_value=False)
    if "registration_no" in register:
        numbers = set(declared["registration_no"].dropna())
        keep |= register["registration_no"].isin(numbers)
    return register[keep]


def _token_sort_ratio(left: pa.Array, right: pa.Array) -> pa.Array:
    """rapidfuzz's token-sort ratio of two columns of names, row by row (a DuckDB function)."""
    scores = process.cpdist(left.to_pylist(), right.to_pylist(), scorer=fuzz.token_sort_ratio,
                            workers=1)  # fmt: skip
    return pa.array(scores, pa.float64())


def _settings(company: bool, register_size: int) -> SettingsCreator:
    comparisons = [_name_comparison()]
    blocking = [block_on("name_phonetic"),
                block_on("name_blocks", arrays_to_explode=["name_blocks"])]  # fmt: skip
    if company:
        comparisons.append(_number_comparison())
        blocking.append(block_on("registration_no"))
    return SettingsCreator(
        link_type="link_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        probability_two_random_records_match=1 / max(register_size, 2),
        retain_intermediate_calculation_columns=True,  # the weights, for the evidence
        linker_uid="interests",  # fixed: Splink otherwise draws one at random
    )


def _name_comparison() -> cl.CustomComparison:
    m = {level: m for level, (_, m) in NAME_LEVELS.items()}
    shortest = "least(len(name_tokens_l), len(name_tokens_r))"
    # The u of a level with term frequencies is replaced by the frequency of the name (the
    # commoner of the two where they differ); the value given is never used, as every key is
    # in the lookups.
    by_frequency = {"u_probability": 1e-4, "disable_tf_exact_match_detection": True}
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_exact"),
            cll.ExactMatchLevel("name_exact").configure(
                m_probability=m[4], tf_adjustment_column="name_exact", **by_frequency
            ),
            cll.ExactMatchLevel("name_phonetic").configure(
                m_probability=m[3], tf_adjustment_column="name_phonetic", **by_frequency
            ),
            cll.CustomLevel(
                f"len(list_intersect(name_tokens_l, name_tokens_r)) = {shortest} "
                f"and {shortest} >= 2",
                label_for_charts=NAME_LEVELS[2][0],
            ).configure(m_probability=m[2], tf_adjustment_column="name_within", **by_frequency),
            cll.CustomLevel(
                f"token_sort_ratio(name_exact_l, name_exact_r) >= {SIMILAR_RATIO}",
                label_for_charts=NAME_LEVELS[1][0],
            ).configure(m_probability=m[1], u_probability=SIMILAR_U),
            cll.ElseLevel().configure(m_probability=m[0], u_probability=DIFFERENT_U),
        ],
    )


def _number_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="registration_no",
        comparison_levels=[
            cll.NullLevel("registration_no"),
            cll.ExactMatchLevel("registration_no").configure(
                m_probability=NUMBER_M, u_probability=NUMBER_U
            ),
            cll.ElseLevel().configure(m_probability=1 - NUMBER_M, u_probability=1 - NUMBER_U),
        ],
    )


def _explain(
    found: pd.DataFrame,
    left: pd.DataFrame,
    right: pd.DataFrame,
    frequencies: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame],
    register_size: int,
) -> pd.DataFrame:
    """The pairs Splink found, with the weights and the commonness of the name behind each."""
    if found.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    prior = 1 / max(register_size, 2)
    zero = pd.Series(0.0, index=found.index)
    pairs = pd.DataFrame({
        "declared_id": found["unique_id_l"].astype(str),
        "record_id": found["unique_id_r"].astype(str),
        "name_level": found["gamma_name"].astype(int),
        "number_level": found.get("gamma_registration_no", zero - 1).astype(int),
        "prior_weight": math.log2(prior / (1 - prior)),
        "name_weight": found["mw_name"] + found.get("mw_tf_adj_name", zero),
        "number_weight": found.get("mw_registration_no", zero),
        "match_weight": found["match_weight"],
        "match_probability": found["match_probability"],
    })  # fmt: skip
    ours = left.set_index("unique_id").loc[pairs["declared_id"]]
    theirs = right.set_index("unique_id").loc[pairs["record_id"]]
    commonness = [
        _commonness(level, a, b, *frequencies)
        for level, a, b in zip(pairs["name_level"], ours.itertuples(), theirs.itertuples(),
                               strict=True)
    ]  # fmt: skip
    # The name's weight is log2(m / u); u is the name's term frequency where the level has one.
    pairs["name_m"] = pairs["name_level"].map({k: m for k, (_, m) in NAME_LEVELS.items()})
    pairs["name_u"] = pairs["name_m"] / np.exp2(pairs["name_weight"])
    pairs["register_size"] = register_size
    pairs["namesakes"] = [c[0] for c in commonness]
    pairs["expected_namesakes"] = [c[1] for c in commonness]
    pairs["similarity"] = [
        float(fuzz.token_sort_ratio(a, b)) if a and b else math.nan
        for a, b in zip(ours["name_exact"], theirs["name_exact"], strict=True)
    ]
    return pairs.sort_values(["declared_id", "record_id"], ignore_index=True)[LINK_COLUMNS]


def _commonness(
    level: int, ours, theirs, exact: pd.DataFrame, spelling: pd.DataFrame, within: pd.DataFrame
) -> tuple[float, float]:
    """Namesakes of the name a level compares, in the register and expected by chance: the
    words for the same words, the skeletons for another spelling or similar names, and for a
    name more or less the distinct skeletons with other words allowed; where the two names
    differ, the commoner of the two."""
    if level == 4:
        row = exact.loc[theirs.name_exact]
        return float(row["namesakes"]), float(row["expected"])
    if level < 1:
        return math.nan, math.nan
    table, column, expected = (
        (within, "name_within", "expected_within") if level == 2
        else (spelling, "name_phonetic", "expected")
    )  # fmt: skip
    keys = sorted({getattr(ours, column), getattr(theirs, column)} - {None})
    commoner = table.loc[keys].sort_values(["tf", "tf_within"], ascending=False).iloc[0]
    return float(commoner["namesakes"]), float(commoner[expected])
