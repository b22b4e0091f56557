"""detectors.roster: desks, postings, receipts and logins make the set of officers on duty.

Also home of `DutyWorld`, the small world builder the assignment tests share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import ibis
import pandas as pd
import pytest

from arusha.detectors.roster import (
    assignments,
    desk_of,
    desks_handled,
    eligible,
    main_items,
    on_duty,
)
from arusha.engine import Tables
from tests.worlds import build, declaration, item

MACHINERY, VEHICLES, TOBACCO = "8471300000", "8703230000", "2402200000"


def day(n: int) -> str:
    """Day `n` of 2025 (0 is 1 January)."""
    return (date(2025, 1, 1) + timedelta(days=n)).isoformat()


@dataclass
class DutyWorld:
    """A world built receipt by receipt: who got which party's declaration on which day, who
    logged in, and the postings (at SEA01 since 2020 unless told otherwise)."""

    declarations: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    postings: list[dict] = field(default_factory=list)
    logins: list[dict] = field(default_factory=list)
    parties: set[str] = field(default_factory=set)

    def post(self, officer: str, office: str = "SEA01", start: str = "2020-01-01",
             end: str = "") -> DutyWorld:  # fmt: skip
        self.postings.append({"officer_id": officer, "office_code": office, "post": "examiner",
                              "start_date": start, "end_date": end})  # fmt: skip
        return self

    def receive(self, officer: str, broker: str, n: int, hs_code: str = MACHINERY,
                office: str = "SEA01", trader: str | None = None, at: str | None = None,
                lodged: str | None = None) -> DutyWorld:  # fmt: skip
        """`officer` receives a declaration of `broker` (and `trader`, by default the broker's
        own client "T" + broker) assigned on day `n` (at 10:00 unless `at` is a timestamp)."""
        trader = trader or f"T{broker}"
        assigned = at or f"{day(n)}T10:00:00"
        number = len(self.declarations)
        row = declaration(number, office_code=office, declarant_id=broker, trader_id=trader,
                          officer_id=officer, lodged_at=lodged or assigned[:11] + "09:00:00",
                          assigned_at=assigned, released_at=assigned[:11] + "23:59:00")  # fmt: skip
        row["declaration_id"] = f"D{number:06d}"
        self.declarations.append(row)
        self.items.append(item(row["declaration_id"], hs_code))
        self.parties |= {broker, trader}
        return self

    def login(self, officer: str, n: int) -> DutyWorld:
        number = len(self.logins)
        self.logins.append({"event_id": f"E{number:06d}", "occurred_at": f"{day(n)}T07:30:00",
                            "user_id": officer, "action": "login", "object_type": "user",
                            "object_id": officer})  # fmt: skip
        return self

    def build(self, tmp_path: Path) -> Tables:
        parties = [{"party_id": p, "role": "trader" if p.startswith("T") else "declarant",
                    "name": f"Party {p}"} for p in sorted(self.parties)]  # fmt: skip
        tables = {"parties": parties, "officers": self.postings,
                  "declarations": self.declarations, "items": self.items}  # fmt: skip
        if self.logins:
            tables["audit_events"] = self.logins
        return build(tmp_path, **tables)


def rows(expr: ibis.Table, *columns: str) -> set[tuple]:
    frame = expr.select(*columns).to_pandas()
    for c in columns:
        if pd.api.types.is_datetime64_any_dtype(frame[c]):
            frame[c] = frame[c].dt.strftime("%Y-%m-%d")
    return set(frame.itertuples(index=False, name=None))


def test_desks_are_chapters_sections_or_the_office():
    hs = ["0101210000", "0511990000", "0601100000", "2402200000", "8703230000", "9701100000"]
    codes = ibis.memtable({"hs": [*hs, None]})
    con = ibis.duckdb.connect()
    levels = {level: con.execute(codes.select(d=desk_of(codes.hs, level)))["d"].tolist()
              for level in ("chapter", "section", "office")}  # fmt: skip
    assert levels["chapter"] == ["01", "05", "06", "24", "87", "97", "unknown"]
    assert levels["section"] == ["I", "I", "II", "IV", "XVII", "XXI", "unknown"]
    assert levels["office"] == ["all"] * 7


def test_the_main_item_is_the_lowest_item_no(tmp_path):
    w = DutyWorld().post("O1").receive("O1", "B1", 0).receive("O1", "B1", 0)
    first, second = (d["declaration_id"] for d in w.declarations)
    w.items = [
        *(item(first, code, item_no=no) for code, no in ((TOBACCO, "3"), (VEHICLES, "2"))),
        *(item(second, code, item_no=no) for code, no in ((MACHINERY, "1"), (VEHICLES, "2"))),
    ]
    main = main_items(w.build(tmp_path).items).to_pandas().set_index("declaration_id")
    assert main["hs_code"].to_dict() == {first: VEHICLES, second: MACHINERY}


def test_only_work_received_in_post_counts_on_the_day_of_assignment(tmp_path):
    w = DutyWorld().post("O1", end="2025-01-10").post("O1", "AIR01", start="2025-01-11")
    w.receive("O1", "B1", 4)  # SEA01, in post: kept
    w.receive("O1", "B1", 9)  # the last day of the posting: kept
    # lodged before midnight on the 10th, assigned on the 11th, at SEA01: no longer in post
    w.receive("O1", "B1", 10, at=f"{day(10)}T00:10:00", lodged=f"{day(9)}T23:50:00")
    w.receive("O1", "B1", 19, office="AIR01")  # the new posting: kept
    w.receive("O1", "B1", 19)  # SEA01 after the transfer: left out
    got = rows(assignments(w.build(tmp_path), "chapter"), "office_code", "day", "desk")
    assert got == {("SEA01", day(4), "84"), ("SEA01", day(9), "84"), ("AIR01", day(19), "84")}


def test_on_duty_means_in_post_and_receiving_work_or_logging_in(tmp_path):
    w = DutyWorld().post("RECEIVES").post("LOGS_IN").post("ON_LEAVE").post("ELSEWHERE", "AIR01")
    w.receive("RECEIVES", "B1", 0).login("LOGS_IN", 0).login("ELSEWHERE", 0)
    tables = w.build(tmp_path)
    work = assignments(tables, "chapter")
    assert rows(on_duty(work), "office_code", "officer_id") == {("SEA01", "RECEIVES")}
    assert rows(on_duty(work, tables), "office_code", "officer_id") == {
        ("SEA01", "RECEIVES"), ("SEA01", "LOGS_IN"), ("AIR01", "ELSEWHERE"),
    }  # fmt: skip


@pytest.fixture(scope="module")
def desks(tmp_path_factory) -> Tables:
    """G1 and G2 on the general desk, V1 on vehicles, days 0-2; G2 on leave on day 3; G1
    examines one vehicle in February."""
    w = DutyWorld().post("G1").post("G2").post("V1")
    for n in range(3):
        w.receive("G1", "B1", n).receive("G2", "B1", n).receive("V1", "B2", n, VEHICLES)
    w.receive("G1", "B1", 3).receive("V1", "B2", 3, VEHICLES)
    w.receive("G1", "B2", 40, VEHICLES)
    return w.build(tmp_path_factory.mktemp("desks"))


def test_eligible_officers_are_on_duty_and_handle_the_desk(desks):
    work = assignments(desks, "chapter")
    k = eligible(work, "month").to_pandas().groupby(["day", "desk"])["k"].first()
    k.index = [(d.strftime("%Y-%m-%d"), desk) for d, desk in k.index]
    assert k[(day(0), "84")] == 2 and k[(day(0), "87")] == 1
    assert k[(day(3), "84")] == 1  # G2 on leave
    assert k[(day(40), "87")] == 1  # G1 in February, the only vehicle examiner on duty
    handled = rows(desks_handled(work, "month"), "window_start", "desk", "officer_id")
    assert ("2025-01-01", "87", "G1") not in handled
    assert ("2025-02-01", "87", "G1") in handled


def test_the_desk_window_decides_who_handles_a_desk(desks):
    work = assignments(desks, "chapter")
    by_quarter = eligible(work, "quarter")
    vehicles = rows(by_quarter.filter(by_quarter.desk == "87"), "day", "officer_id", "k")
    # G1 examined a vehicle in the quarter, so is eligible for vehicles on his duty days
    assert (day(0), "G1", 2) in vehicles and (day(0), "V1", 2) in vehicles
    by_month = eligible(work, "month")
    assert rows(by_month.filter(by_month.desk == "87"), "officer_id") == {("V1",), ("G1",)}
    assert (day(0), "G1") not in rows(by_month.filter(by_month.desk == "87"), "day", "officer_id")
