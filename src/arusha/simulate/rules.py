"""The selectivity engine: national rules on HS prefixes and on known risky traders.

A rule selects a share of the declarations it matches into its channel. While a rule is
disabled, or edited so that it matches nothing, it does not fire: those windows are recorded
on the rule so the engine and the audit trail always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from arusha.simulate.config import GREEN, RED, YELLOW
from arusha.simulate.goods import Catalogue

# HS prefix, channel, share of matches selected, description.
HS_RULES = (
    ("2402", RED, 1.0, "Cigarettes: excise stamps and quantities"),
    ("2403", RED, 0.9, "Water-pipe tobacco: excise"),
    ("2401", YELLOW, 0.7, "Unmanufactured tobacco: permits"),
    ("2208", YELLOW, 0.8, "Spirits: excise and stamps"),
    ("8703", YELLOW, 0.6, "Motor cars: valuation of used vehicles"),
    ("6309", RED, 0.7, "Worn clothing: prohibited items"),
    ("851712", YELLOW, 0.5, "Mobile phones: undervaluation"),
    ("6109", YELLOW, 0.3, "T-shirts: counterfeit brands"),
    ("3004", YELLOW, 0.4, "Medicaments: product registration"),
    ("3808", YELLOW, 0.5, "Pesticides: import permits"),
    ("6402", YELLOW, 0.3, "Footwear: undervaluation"),
    ("4202", YELLOW, 0.3, "Bags: counterfeit brands"),
)


@dataclass
class Rule:
    rule_id: str
    description: str
    channel: int
    hs_prefix: str | None = None
    trader: int = -1  # trader index for trader rules
    rate: float = 1.0
    off: list[tuple[int, int]] = field(default_factory=list)  # [from, to) in epoch seconds

    def fires(self, lodged: np.ndarray) -> np.ndarray:
        on = np.ones(len(lodged), dtype=bool)
        for start, stop in self.off:
            on &= (lodged < start) | (lodged >= stop)
        return on


class RuleBook:
    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    def add_trader_rule(self, trader: int, trader_id: str, channel: int, rate: float) -> Rule:
        rule = Rule(
            f"RR{len(self.rules) + 1:03d}",
            f"Trader {trader_id}: previous offences",
            channel,
            trader=trader,
            rate=rate,
        )
        self.rules.append(rule)
        return rule

    def by_prefix(self, prefix: str) -> Rule:
        return next(r for r in self.rules if r.hs_prefix == prefix)

    def traders(self) -> set[int]:
        return {r.trader for r in self.rules if r.trader >= 0}

    def channel(
        self,
        catalogue: Catalogue,
        trader: np.ndarray,
        lodged: np.ndarray,
        item_decl: np.ndarray,
        item_code: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """The strictest channel any firing rule selects each declaration into."""
        n = len(trader)
        channel = np.full(n, GREEN)
        for rule in self.rules:
            if rule.hs_prefix is not None:
                line_hits = np.char.startswith(catalogue.codes, rule.hs_prefix)[item_code]
                hit = np.bincount(item_decl[line_hits], minlength=n) > 0
            else:
                hit = trader == rule.trader
            hit &= rule.fires(lodged) & (rng.random(n) < rule.rate)
            channel[hit] = np.maximum(channel[hit], rule.channel)
        return channel


def national_rules(
    traders: np.ndarray, trader_ids: np.ndarray, rng: np.random.Generator
) -> RuleBook:
    """HS rules plus red or yellow rules on the given known-risky traders."""
    book = RuleBook(
        [
            Rule(f"RR{k:03d}", description, channel, hs_prefix=prefix, rate=rate)
            for k, (prefix, channel, rate, description) in enumerate(HS_RULES, start=1)
        ]
    )
    for t in traders:
        channel = RED if rng.random() < 0.4 else YELLOW
        book.add_trader_rule(int(t), str(trader_ids[t]), channel, float(rng.uniform(0.6, 1.0)))
    return book
