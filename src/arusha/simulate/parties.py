"""Traders, brokers and carriers, with the unequal volumes real registers show.

Traders' volumes follow a Zipf-Mandelbrot law; each trader has a home office, a sector that
fits it, a handful of goods and one to three brokers. Brokers are local firms of one office
(the largest also work at a second); traders in a specialised desk's goods at that office use
only the desk's few specialist brokers, which makes those desks' broker mix concentrated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from arusha.simulate import names
from arusha.simulate.config import SECTOR_MIX, SimConfig
from arusha.simulate.goods import SECTORS, Catalogue

MAX_BROKERS = 3  # brokers per trader
MAX_GOODS = 4  # HS6 lines a trader usually declares
DESK_SECTORS = ("vehicles", "tobacco", "alcohol")  # never a general trader's side line
TRADER_ZIPF = 1.05  # exponents of the volume laws
BROKER_ZIPF = 1.4


@dataclass
class Register:
    """What parties.csv says about a group of parties of one role."""

    role: str
    ids: np.ndarray  # str
    names: list[str]
    registration: list[str | None]
    addresses: list[str]
    owners: list[list[str]]  # planting adds relatives of officers here


@dataclass
class Brokers:
    register: Register
    home: np.ndarray  # home office
    desk: np.ndarray  # specialised desk served at the home office, 0 = general
    office_lists: list[tuple[np.ndarray, np.ndarray]]  # per office: brokers, weights


@dataclass
class Traders:
    register: Register
    office: np.ndarray  # home office; all of a trader's declarations are lodged there
    sector: np.ndarray
    weight: np.ndarray  # relative declaration volume
    first_month: np.ndarray
    last_month: np.ndarray
    brokers: np.ndarray  # [trader, MAX_BROKERS] broker index, -1 unused
    broker_cum: np.ndarray  # cumulative share of the trader's declarations per broker
    goods: np.ndarray  # [trader, MAX_GOODS] HS6 index
    goods_cum: np.ndarray
    price: np.ndarray  # the trader's price level around the market median
    size: np.ndarray  # the trader's consignment size factor

    def steady(self, months: int) -> np.ndarray:
        """Traders active the whole span: the only ones planted schemes may use."""
        return (self.first_month == 0) & (self.last_month == months - 1)


@dataclass
class Parties:
    traders: Traders
    brokers: Brokers
    carriers: Register


def build_parties(
    cfg: SimConfig, declarations: int, catalogue: Catalogue, rng: np.random.Generator
) -> Parties:
    brokers = _brokers(cfg, declarations, rng)
    traders = _traders(cfg, declarations, catalogue, brokers, rng)
    cities = list(rng.choice([o.city for o in cfg.offices], size=cfg.carriers))
    carriers = _register("carrier", "CA", cfg.carriers, names.CARRIER_FORMS, cities, rng)
    return Parties(traders, brokers, carriers)


def _register(
    role: str,
    prefix: str,
    n: int,
    forms: tuple[str, ...],
    cities: list[str],
    rng: np.random.Generator,
    owners: tuple[int, int] = (0, 0),
    registered: float = 1.0,
) -> Register:
    serials = rng.choice(10 ** (6 if n < 10**5 else 7), size=n, replace=False)
    reg = names.registration_numbers(f"{role[0].upper()}R-", 1_000_000, n)
    has_reg = rng.random(n) < registered
    n_owners = rng.integers(owners[0], owners[1] + 1, size=n)
    people = names.person_names(rng, int(n_owners.sum()))
    cut = np.cumsum(n_owners)[:-1]
    return Register(
        role=role,
        ids=np.array([f"{prefix}{s:06d}" for s in serials]),
        names=names.company_names(rng, n, forms),
        registration=[r if h else None for r, h in zip(reg, has_reg, strict=True)],
        addresses=names.addresses(rng, cities),
        owners=[list(group) for group in np.split(np.array(people, dtype=object), cut)],
    )


def _brokers(cfg: SimConfig, declarations: int, rng: np.random.Generator) -> Brokers:
    offices = cfg.offices
    total = max(60, round(declarations / cfg.declarations_per_broker))
    general = [max(4, round(o.share * total)) for o in offices]
    home = np.repeat(np.arange(len(offices)), general)
    desk = np.zeros(len(home), dtype=int)
    for o, office in enumerate(offices):
        for d, _ in enumerate(office.desks, start=1):
            home = np.append(home, [o] * cfg.specialist_brokers)
            desk = np.append(desk, [d] * cfg.specialist_brokers)
    weight = np.empty(len(home))
    lists = []
    for o in range(len(offices)):
        mine = np.flatnonzero(home == o)
        weight[mine] = 1.0 / (rng.permutation(len(mine)) + 1.0) ** BROKER_ZIPF
        lists.append(mine)
    # The largest general brokers of each office also work at one other office.
    extra: list[list[tuple[int, float]]] = [[] for _ in offices]
    for o, mine in enumerate(lists):
        big = mine[desk[mine] == 0][np.argsort(-weight[mine[desk[mine] == 0]])[:2]]
        for b in big:
            other = int(rng.choice([k for k in range(len(offices)) if k != o]))
            extra[other].append((int(b), weight[b] * 0.3))
    office_lists = []
    for o, mine in enumerate(lists):
        more = np.array([b for b, _ in extra[o]], dtype=int)
        more_w = np.array([w for _, w in extra[o]])
        office_lists.append((np.concatenate((mine, more)), np.concatenate((weight[mine], more_w))))
    cities = [offices[o].city for o in home]
    register = _register("declarant", "BR", len(home), names.BROKER_FORMS, cities, rng, (1, 2))
    return Brokers(register, home, desk, office_lists)


def _traders(
    cfg: SimConfig,
    declarations: int,
    catalogue: Catalogue,
    brokers: Brokers,
    rng: np.random.Generator,
) -> Traders:
    n = max(300, round(declarations / cfg.declarations_per_trader))
    weight = 1.0 / (np.arange(n) + 5.0) ** TRADER_ZIPF
    office = _home_offices(cfg, weight)
    sector = np.array([_draw_sector(cfg.offices[o].kind, rng) for o in office])
    goods, goods_cum = _goods(sector, catalogue, rng)
    desk = _desk_of_trader(cfg, office, goods, catalogue)
    broker_idx, broker_cum = _trader_brokers(office, desk, brokers, rng)
    first, last = _activity(n, cfg.months, rng)
    order = rng.permutation(n)  # ids and names do not reveal size
    cities = [cfg.offices[o].city for o in office[order]]
    register = _register("trader", "TR", n, names.TRADER_FORMS, cities, rng, (1, 3), 0.95)
    return Traders(
        register=register,
        office=office[order],
        sector=sector[order],
        weight=weight[order],
        first_month=first[order],
        last_month=last[order],
        brokers=broker_idx[order],
        broker_cum=broker_cum[order],
        goods=goods[order],
        goods_cum=goods_cum[order],
        price=np.exp(rng.normal(0.0, 0.12, n)),
        size=np.exp(rng.normal(0.0, 0.6, n)),
    )


def _home_offices(cfg: SimConfig, weight: np.ndarray) -> np.ndarray:
    """Deals traders, largest first, to the office furthest below its volume share."""
    share = np.array([o.share for o in cfg.offices])
    share = share / share.sum()
    load = np.zeros(len(share))
    office = np.empty(len(weight), dtype=int)
    total = 0.0
    for i, w in enumerate(weight):
        total += w
        o = int(np.argmax(share * total - load))
        office[i] = o
        load[o] += w
    return office


def _draw_sector(kind: str, rng: np.random.Generator) -> int:
    mix = SECTOR_MIX[kind]
    p = np.array(list(mix.values()))
    return SECTORS.index(str(rng.choice(list(mix), p=p / p.sum())))


def _goods(
    sector: np.ndarray, catalogue: Catalogue, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One to four HS6 of the trader's sector; general traders sometimes have a side line."""
    n = len(sector)
    goods = np.full((n, MAX_GOODS), -1)
    share = np.zeros((n, MAX_GOODS))
    side_sectors = [s for s, name in enumerate(SECTORS) if name not in DESK_SECTORS]
    for i, s in enumerate(sector):
        own = catalogue.goods_of_sector(s)
        k = min(len(own), int(rng.integers(1, MAX_GOODS + 1)))
        picked = list(rng.choice(own, size=k, replace=False))
        if k < MAX_GOODS and SECTORS[s] not in DESK_SECTORS and rng.random() < 0.2:
            side = catalogue.goods_of_sector(int(rng.choice(side_sectors)))
            candidate = int(rng.choice(side))
            if candidate not in picked:
                picked.append(candidate)
        goods[i, : len(picked)] = picked
        w = rng.dirichlet(np.ones(len(picked)) * 1.5)
        share[i, : len(picked)] = -np.sort(-w)  # the first good is the most declared
    return goods, _cumulative(share)


def _cumulative(share: np.ndarray) -> np.ndarray:
    """Row-wise cumulative shares whose last used entry is exactly 1 (no rounding gap)."""
    cum = np.cumsum(share, axis=1)
    cum[cum >= cum[:, -1:] - 1e-12] = 1.0
    return cum


def _desk_of_trader(
    cfg: SimConfig, office: np.ndarray, goods: np.ndarray, catalogue: Catalogue
) -> np.ndarray:
    """The specialised desk (1, 2, ...) of the trader's main good at its office, else 0."""
    desk = np.zeros(len(office), dtype=int)
    chapter = catalogue.chapter[goods[:, 0]]
    for o, off in enumerate(cfg.offices):
        for d, spec in enumerate(off.desks, start=1):
            desk[(office == o) & np.isin(chapter, spec.chapters)] = d
    return desk


def _trader_brokers(
    office: np.ndarray, desk: np.ndarray, brokers: Brokers, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = len(office)
    chosen = np.full((n, MAX_BROKERS), -1)
    share = np.zeros((n, MAX_BROKERS))
    for i in range(n):
        pool, w = brokers.office_lists[office[i]]
        fits = brokers.desk[pool] == desk[i]
        pool, w = pool[fits], w[fits]
        k = min(len(pool), int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15])))
        picked = rng.choice(pool, size=k, replace=False, p=w / w.sum())
        chosen[i, :k] = picked
        share[i, :k] = -np.sort(-rng.dirichlet(np.array([3.0, 1.0, 1.0])[:k]))
    return chosen, _cumulative(share)


def _activity(n: int, months: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Some traders start or stop trading during the span; the largest trade throughout."""
    first = np.zeros(n, dtype=int)
    last = np.full(n, months - 1)
    churn = (rng.random(n) < 0.15) & (np.arange(n) >= n // 50)
    starts = churn & (rng.random(n) < 0.5)
    stops = churn & ~starts
    if months > 8:
        first[starts] = rng.integers(1, months - 6, size=starts.sum())
        last[stops] = rng.integers(6, months - 1, size=stops.sum())
    return first, last
