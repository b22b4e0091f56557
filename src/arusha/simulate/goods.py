"""The goods catalogue: HS codes with their unit values, duty, risk and typical origins.

Unit values are per kilogram and log-normal around a per-HS6 median that each origin scales,
so that the reference an undervaluation detector computes (median per HS6 and origin) exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Price level of each origin relative to the HS6 median.
ORIGIN_PRICE = {
    "CN": 0.75, "IN": 0.80, "BD": 0.70, "VN": 0.80, "PK": 0.75, "TR": 0.90, "TH": 0.90,
    "MY": 0.95, "ID": 0.85, "AE": 0.95, "SA": 1.00, "EG": 0.85, "ZA": 1.00, "KE": 0.85,
    "TZ": 0.80, "UG": 0.80, "BR": 0.95, "US": 1.20, "GB": 1.25, "DE": 1.35, "FR": 1.30,
    "IT": 1.30, "NL": 1.25, "BE": 1.20, "JP": 1.30, "KR": 1.10, "CH": 1.50, "CA": 1.15,
}  # fmt: skip


@dataclass(frozen=True)
class Good:
    hs6: str
    sector: str
    unit_value: float  # median customs value per kg
    mass: float  # median net mass of one item line, kg
    duty: float  # duty and excise rate on the customs value
    risk: float  # probability that a control finds a discrepancy
    origins: str  # "CN:5 IN:2": typical origins with weights
    national: tuple[str, ...] = ("00", "90")  # national subdivisions appended to the HS6
    override: float = 1.0  # goods where a documentary check legitimately clears more often


GOODS: tuple[Good, ...] = (
    Good("610910", "textiles", 12.0, 800, 0.25, 0.14, "CN:5 BD:3 IN:2 TR:1 VN:1"),
    Good("620342", "textiles", 15.0, 600, 0.25, 0.14, "CN:5 BD:3 PK:2 TR:1"),
    Good("520812", "textiles", 5.0, 3000, 0.10, 0.10, "CN:4 IN:4 PK:2"),
    Good("630900", "textiles", 1.2, 10000, 0.35, 0.20, "GB:3 US:3 DE:2 CA:1 NL:1"),
    Good("611030", "textiles", 14.0, 500, 0.25, 0.14, "CN:6 BD:2 TR:1"),
    Good("851712", "electronics", 250.0, 150, 0.00, 0.15, "CN:6 VN:3 KR:1 IN:1",
         ("00",)),
    Good("847130", "electronics", 180.0, 300, 0.00, 0.12, "CN:7 MY:1 TH:1 US:1", ("00",)),
    Good("852872", "electronics", 25.0, 1200, 0.25, 0.12, "CN:5 MY:2 KR:2 TH:1"),
    Good("850440", "electronics", 30.0, 400, 0.10, 0.10, "CN:6 DE:1 IN:1"),
    Good("854140", "electronics", 6.0, 4000, 0.00, 0.08, "CN:8 IN:1 MY:1"),
    Good("870323", "vehicles", 9.0, 1400, 0.45, 0.12, "JP:6 AE:2 GB:1 DE:1",
         ("1010", "1090", "9000")),
    Good("870332", "vehicles", 11.0, 1700, 0.45, 0.12, "JP:5 DE:2 GB:1 KR:1"),
    Good("870421", "vehicles", 7.0, 3500, 0.25, 0.10, "JP:5 IN:2 CN:2 DE:1"),
    Good("871120", "vehicles", 6.0, 600, 0.25, 0.10, "IN:6 CN:4"),
    Good("870899", "vehicles", 8.0, 800, 0.10, 0.09, "JP:3 CN:3 DE:2 ZA:1"),
    Good("240220", "tobacco", 25.0, 2000, 1.00, 0.36, "AE:4 ZA:2 CN:1 KE:1", ("10", "90"),
         override=2.5),
    Good("240120", "tobacco", 5.0, 10000, 0.35, 0.30, "TZ:3 UG:3 BR:2 IN:1", override=2.5),
    Good("240311", "tobacco", 12.0, 500, 0.60, 0.38, "AE:5 EG:3 SA:1", override=2.5),
    Good("220421", "alcohol", 3.0, 5000, 0.50, 0.26, "ZA:4 FR:3 IT:2", override=1.8),
    Good("220830", "alcohol", 12.0, 2000, 0.80, 0.30, "GB:6 US:2 IN:1", override=1.8),
    Good("220300", "alcohol", 1.0, 15000, 0.60, 0.24, "ZA:3 NL:3 KE:2 BE:1", override=1.8),
    Good("100630", "food", 0.5, 25000, 0.35, 0.08, "PK:4 IN:4 TH:2 VN:2"),
    Good("170114", "food", 0.45, 25000, 0.35, 0.08, "BR:5 IN:2 TH:2"),
    Good("151190", "food", 0.9, 20000, 0.10, 0.07, "MY:5 ID:5"),
    Good("040221", "food", 3.5, 5000, 0.60, 0.09, "NL:3 FR:2 DE:2 BE:1"),
    Good("030389", "food", 1.8, 20000, 0.25, 0.08, "CN:3 VN:2 IN:2 TH:1"),
    Good("110100", "food", 0.4, 25000, 0.35, 0.07, "TR:4 EG:2 AE:2"),
    Good("842952", "machinery", 12.0, 20000, 0.00, 0.06, "CN:4 JP:3 US:1 KR:1", ("00",)),
    Good("843149", "machinery", 9.0, 1000, 0.00, 0.06, "CN:3 DE:2 US:2 JP:1"),
    Good("841510", "machinery", 8.0, 2000, 0.25, 0.09, "CN:6 TH:2 MY:1"),
    Good("847989", "machinery", 15.0, 1500, 0.10, 0.06, "DE:3 CN:3 IT:2 CH:1"),
    Good("310520", "chemicals", 0.45, 25000, 0.00, 0.07, "SA:3 AE:2 EG:2 CN:2"),
    Good("380893", "chemicals", 4.0, 3000, 0.00, 0.09, "CN:5 IN:3 DE:1"),
    Good("390110", "chemicals", 1.3, 15000, 0.10, 0.07, "SA:4 AE:3 CN:1"),
    Good("320910", "chemicals", 2.5, 4000, 0.25, 0.08, "ZA:3 CN:2 AE:2 DE:1"),
    Good("300490", "pharma", 60.0, 500, 0.00, 0.10, "IN:6 CN:2 DE:1 CH:1",
         ("1000", "2000", "9000")),
    Good("300220", "pharma", 400.0, 100, 0.00, 0.06, "IN:3 BE:3 US:2 FR:2"),
    Good("640299", "consumer", 10.0, 1500, 0.35, 0.15, "CN:7 VN:2 IN:1"),
    Good("950300", "consumer", 6.0, 2000, 0.25, 0.12, "CN:9 VN:1"),
    Good("330499", "consumer", 15.0, 800, 0.25, 0.14, "FR:2 CN:4 AE:2 IN:2"),
    Good("420292", "consumer", 20.0, 700, 0.35, 0.15, "CN:8 IT:1 TR:1"),
    Good("401110", "consumer", 3.0, 5000, 0.25, 0.10, "CN:5 TH:2 JP:1 IN:2"),
    Good("721420", "metals", 0.7, 25000, 0.25, 0.07, "TR:4 CN:3 IN:2 ZA:1"),
    Good("730890", "metals", 1.5, 10000, 0.25, 0.07, "CN:5 TR:2 ZA:2"),
)  # fmt: skip

SECTORS = tuple(dict.fromkeys(g.sector for g in GOODS))

# Offence most often recorded when a control on goods of a sector ends in a case.
SECTOR_OFFENCE = {
    "tobacco": "tobacco", "alcohol": "revenue", "textiles": "counterfeit",
    "consumer": "counterfeit", "electronics": "counterfeit", "pharma": "counterfeit",
}  # fmt: skip


@dataclass(frozen=True)
class Catalogue:
    """The goods as arrays: index i is one HS6, codes are the national tariff lines."""

    hs6: np.ndarray  # str
    sector: np.ndarray  # int, index into SECTORS
    chapter: np.ndarray  # int
    unit_value: np.ndarray
    mass: np.ndarray
    tax: np.ndarray  # duty plus VAT on the duty-inclusive value, as a share of customs value
    risk: np.ndarray
    override: np.ndarray
    countries: np.ndarray  # str, the origin vocabulary
    origin_price: np.ndarray  # price level of each country
    origin_cum: np.ndarray  # [hs6, country] cumulative origin probabilities
    codes: np.ndarray  # str, national tariff lines
    code_hs6: np.ndarray  # int, HS6 of each national line
    code_start: np.ndarray  # first national line of each HS6
    code_count: np.ndarray

    def goods_of_sector(self, sector: int) -> np.ndarray:
        return np.flatnonzero(self.sector == sector)


def build_catalogue(vat_rate: float) -> Catalogue:
    countries = np.array(sorted(ORIGIN_PRICE))
    position = {c: i for i, c in enumerate(countries)}
    weights = np.zeros((len(GOODS), len(countries)))
    for i, good in enumerate(GOODS):
        for part in good.origins.split():
            country, weight = part.split(":")
            weights[i, position[country]] = float(weight)
    codes = [good.hs6 + suffix for good in GOODS for suffix in good.national]
    counts = np.array([len(good.national) for good in GOODS])
    duty = np.array([g.duty for g in GOODS])
    return Catalogue(
        hs6=np.array([g.hs6 for g in GOODS]),
        sector=np.array([SECTORS.index(g.sector) for g in GOODS]),
        chapter=np.array([int(g.hs6[:2]) for g in GOODS]),
        unit_value=np.array([g.unit_value for g in GOODS]),
        mass=np.array([g.mass for g in GOODS]),
        tax=duty + vat_rate * (1.0 + duty),
        risk=np.array([g.risk for g in GOODS]),
        override=np.array([g.override for g in GOODS]),
        countries=countries,
        origin_price=np.array([ORIGIN_PRICE[c] for c in countries]),
        origin_cum=np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1),
        codes=np.array(codes),
        code_hs6=np.repeat(np.arange(len(GOODS)), counts),
        code_start=np.concatenate(([0], np.cumsum(counts)[:-1])),
        code_count=counts,
    )
