"""Person and company names, with the spelling variation real registers show.

The pools mix East African, Arabic, South Asian and English names; a few given names and
surnames carry most of the weight, so common full names recur across registers the way
they do in reality. Variants reproduce what makes register matching hard: transliteration
(Mohamed / Mohammed), word order ("HASSAN, Mohamed Ali"), case and legal-form spelling.
"""

from __future__ import annotations

import numpy as np

GIVEN = (
    "Mohamed:9 Ali:4 Hassan:4 Fatuma:4 Amina:4 John:6 Mary:5 Grace:4 Joseph:5 Peter:4 James:4 "
    "Ahmed:4 Omar:3 Yusuf:3 Ibrahim:3 Said:3 Juma:3 Halima:3 Zainab:2 Aisha:3 Rehema:2 "
    "Wanjiru:2 Achieng:2 Neema:2 Baraka:2 Emmanuel:3 Samuel:3 David:3 Daniel:3 Sarah:3 "
    "Esther:2 Ruth:2 Rose:2 Agnes:2 Patrick:2 Francis:2 Moses:2 Isaac:2 Rajesh:1 Priya:1 "
    "Anil:1 Sunil:1 Kofi:1 Kwame:1 Salma:2 Mwanaisha:1 Hamisi:2 Athumani:1 Rashid:2 "
    "Abdallah:2 Khamis:2 Selemani:1 Mariam:3 Joyce:2 Irene:2 Lucy:2 George:2 Charles:2"
)
SURNAMES = (
    "Hassan:6 Ali:6 Mohamed:6 Juma:4 Mwangi:4 Otieno:3 Kamau:3 Omondi:2 Njoroge:2 Kiprop:2 "
    "Mutua:2 Ochieng:3 Said:3 Abdallah:3 Salim:3 Patel:3 Shah:2 Mehta:1 Singh:2 Okafor:1 "
    "Mensah:1 Banda:2 Phiri:2 Moyo:2 Kariuki:2 Kimaro:2 Massawe:2 Mushi:2 Lyimo:2 Mollel:2 "
    "Mrema:2 Swai:1 Ngowi:1 Temba:1 Komba:1 Mbwana:1 Rashid:2 Omari:2 Khamis:2 Athumani:1 "
    "Nyirenda:1 Chande:1 Kassim:2 Bakari:2 Makame:1 Haji:2 Ismail:2 Yusuf:2 Wambura:1 Chacha:1"
)
# Spellings one clerk writes for another's: each key can be written as any of its values.
TRANSLITERATION = {
    "Mohamed": ("Mohammed", "Muhammad", "Mohamad"), "Hassan": ("Hasan",),
    "Yusuf": ("Youssef", "Yousuf"), "Abdallah": ("Abdullah",), "Ahmed": ("Ahmad",),
    "Omar": ("Umar",), "Said": ("Saeed",), "Aisha": ("Aicha", "Ayesha"), "Fatuma": ("Fatma",),
    "Ibrahim": ("Ebrahim",), "Salim": ("Saleem",), "Juma": ("Jumaa",), "Halima": ("Halimah",),
    "Zainab": ("Zeinab",), "Rashid": ("Rashed",), "Khamis": ("Hamisi",), "Ali": ("Aly",),
}  # fmt: skip
# Two-word names so frequent that a match on them alone means little.
COMMON_NAMES = ("Mohamed Ali", "John Mwangi", "Mary Otieno", "Juma Hassan", "Grace Kamau")

TRADE_WORDS = (
    "Sunrise Coastal Savannah Pioneer Golden Highland Unity Eastern Crescent Summit Delta "
    "Meridian Baobab Kilimanjaro Lakeside Victoria Serengeti Zanzibar Horizon Jubilee Amani "
    "Tumaini Neema Faraja Upendo Karibu Imara Bahari Nyota Jua Safari Mwanga Heritage Atlas "
    "Sapphire Emerald Falcon Acacia Cedar Oasis Tropical Continental Premier Royal Orbit "
    "Pamoja Baraka Zawadi Furaha Salama Hodari Jasiri Kesho Maisha Mazao Nuru Shamba Tembo "
    "Simba Twiga Kifaru Pwani Mlima Ziwa Kisima Jabali Anga Upepo Dira Ngao Lulu Almasi "
    "Dhahabu Shaba Mnara Daraja Soko Biashara Ujenzi Usafiri Nishati Kilimo Ufundi Apex "
    "Beacon Cornerstone Crown Eagle Frontier Gateway Harbour Keystone Landmark Liberty "
    "Lighthouse Milestone Northstar Panorama Pinnacle Prime Quantum Rainbow Redwood Skyline "
    "Spectrum Starlight Sterling Sunbeam Trident Vanguard Vertex Vista Zenith Alpha Omega "
    "Fortune Evergreen Greenfield Riverside Ocean"
).split()
TRADER_FORMS = (
    "Trading Ltd",
    "Enterprises Ltd",
    "General Merchants",
    "Imports & Exports Ltd",
    "Holdings Ltd",
    "& Sons Ltd",
    "Industries Ltd",
    "Distributors Ltd",
    "Supplies Co. Ltd",
)
BROKER_FORMS = (
    "Clearing & Forwarding Ltd",
    "Freight Agencies Ltd",
    "Customs Agents Ltd",
    "Logistics Ltd",
    "Cargo Services Ltd",
)
CARRIER_FORMS = ("Shipping Line", "Air Cargo Ltd", "Transporters Ltd", "Haulage Ltd")
STREETS = (
    "Harbour Road",
    "Uhuru Street",
    "Industrial Area",
    "Market Street",
    "Station Road",
    "Mnazi Mmoja",
    "Bandari Road",
    "Airport Road",
    "Umoja Avenue",
    "Kariakoo Lane",
)
LEGAL_FORM_SPELLINGS = (
    (" Ltd", " Limited"),
    (" Co.", " Company"),
    (" & ", " and "),
    (".", ""),
)


def _pool(spec: str) -> tuple[list[str], np.ndarray]:
    names, weights = zip(*(part.split(":") for part in spec.split()), strict=True)
    w = np.array(weights, dtype=float)
    return list(names), w / w.sum()


GIVEN_NAMES, GIVEN_P = _pool(GIVEN)
SURNAME_NAMES, SURNAME_P = _pool(SURNAMES)


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    """Full names: given name, a second given name for most, surname."""
    first = rng.choice(GIVEN_NAMES, size=n, p=GIVEN_P)
    middle = rng.choice(GIVEN_NAMES, size=n, p=GIVEN_P)
    last = rng.choice(SURNAME_NAMES, size=n, p=SURNAME_P)
    has_middle = rng.random(n) < 0.6
    return [
        f"{f} {m} {s}" if h and m != f else f"{f} {s}"
        for f, m, s, h in zip(first, middle, last, has_middle, strict=True)
    ]


def company_names(rng: np.random.Generator, n: int, forms: tuple[str, ...]) -> list[str]:
    """Distinct company names: a family name or trade words, and a legal form. A name already
    registered gets one more word in front, as a registry would require."""
    # Uniform draws: company names are far more varied than the people behind them.
    kind = rng.choice(4, size=n, p=[0.1, 0.2, 0.2, 0.5])  # surname, founder, one, two words
    given = rng.choice(GIVEN_NAMES, size=n)
    surname = rng.choice(SURNAME_NAMES, size=n)
    words = rng.choice(TRADE_WORDS, size=(n, 2))
    form = rng.choice(forms, size=n)
    stems = [
        (surname[i], f"{given[i]} {surname[i]}", words[i, 0], " ".join(words[i]))[kind[i]]
        for i in range(n)
    ]
    names: list[str] = []
    taken: set[str] = set()
    for stem, legal in zip(stems, form, strict=True):
        while f"{stem} {legal}" in taken:
            stem = f"{rng.choice(TRADE_WORDS)} {stem}"
        taken.add(f"{stem} {legal}")
        names.append(f"{stem} {legal}")
    return names


def person_variant(name: str, rng: np.random.Generator) -> str:
    """The same person as another register writes them: 'HASSAN, Mohammed Ali'."""
    words = [_respell(w, rng) for w in name.split()]
    surname, given = words[-1], words[:-1]
    return f"{surname.upper()}, {' '.join(given)}"


def _respell(word: str, rng: np.random.Generator) -> str:
    spellings = TRANSLITERATION.get(word)
    return str(rng.choice(spellings)) if spellings else word


def company_variant(name: str, rng: np.random.Generator) -> str:
    """The same company as a case officer types it: other legal form spelling, case, typo."""
    for short, long in LEGAL_FORM_SPELLINGS:
        if short in name and rng.random() < 0.7:
            name = name.replace(short, long)
    if rng.random() < 0.5:
        name = name.upper()
    return _typo(name, rng) if rng.random() < 0.4 else name


def _typo(name: str, rng: np.random.Generator) -> str:
    """Swaps two adjacent letters inside the first word long enough to have a middle."""
    words = name.split(" ")
    for k, word in enumerate(words):
        if len(word) >= 5:
            i = int(rng.integers(1, len(word) - 2))
            words[k] = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            break
    return " ".join(words)


def name_key(name: str) -> frozenset[str]:
    """What matching tolerates: case, comma, word order and the transliterations above."""
    canonical = {v.lower(): k.lower() for k, vs in TRANSLITERATION.items() for v in vs}
    words = name.replace(",", " ").lower().split()
    return frozenset(canonical.get(w, w) for w in words)


def addresses(rng: np.random.Generator, cities: list[str]) -> list[str]:
    numbers = rng.integers(1, 400, size=len(cities))
    streets = rng.choice(STREETS, size=len(cities))
    return [f"Plot {n}, {s}, {c}" for n, s, c in zip(numbers, streets, cities, strict=True)]


def registration_numbers(prefix: str, first: int, n: int) -> list[str]:
    return [f"{prefix}{first + k:07d}" for k in range(n)]
