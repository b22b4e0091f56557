"""staff.rotation_overstay — continuous time in the same office and post beyond the policy."""

from __future__ import annotations

import ibis
import pandas as pd
from pydantic import Field

from arusha.detectors.shared import as_date
from arusha.engine.detector import Detector, DetectorParams, Finding
from arusha.engine.tables import Tables

DAY = ibis.interval(days=1)
# Rotation policies cover the posts that decide on declarations. Headquarters posts (risk
# analysts, IT administrators) are watched through their actions instead (rules.tampering,
# audit.anomalies); an administration whose policy covers them lists them in the config.
CLEARANCE_POSTS = ("examiner", "valuation", "supervisor")


class RotationOverstay(Detector):
    """Officers who have stayed in the same office and post, without a break, longer than the
    rotation policy allows. Long tenure in a sensitive post lets an officer build the stable
    relationships with brokers and traders that collusion needs; rotation breaks them.
    By default the policy covers the clearance posts (examiner, valuation, supervisor).
    Consecutive postings in the same office and post (a re-issued posting, a promotion
    recorded as a new row) count as one stay; a gap of more than `max_gap_days` ends it.
    The stay is measured up to the last lodgement date in the data."""

    id = "staff.rotation_overstay"
    title = "Overstay in a sensitive post"
    reference = (
        "WCO Revised Arusha Declaration (2003), factor 8: Human resource management "
        "(rotation of staff in sensitive posts); WCO Integrity Development Guide (2014), "
        "ch. 4: staff rotation"
    )
    needs = ("officers", "declarations")

    class Params(DetectorParams):
        max_years: float = Field(5.0, gt=0, description="longest continuous stay allowed")
        max_years_by_post: dict[str, float] = Field(
            default_factory=dict, description="post-specific maxima, e.g. {examiner = 4}"
        )
        posts: list[str] = Field(
            default_factory=lambda: list(CLEARANCE_POSTS),
            description='posts the rotation policy covers ("*": every post)',
        )
        max_gap_days: int = Field(31, ge=0, description="a longer break ends a stay")

    def measure(self, tables: Tables, params: Params) -> ibis.Table:
        postings = tables.officers
        as_of = tables.declarations.lodged_at.max().date()
        ordered = ibis.window(group_by=["officer_id"], order_by=["start_date"])
        previous_end = postings.end_date.lag().over(ordered)
        same_place = (postings.office_code == postings.office_code.lag().over(ordered)) & (
            postings.post == postings.post.lag().over(ordered)
        )
        continues = same_place & (
            previous_end.isnull()
            | (postings.start_date <= previous_end + params.max_gap_days * DAY)
        )
        marked = postings.mutate(new_stay=ibis.ifelse(continues, 0, 1))
        marked = marked.mutate(stay=marked.new_stay.cumsum().over(ordered))
        stays = marked.group_by(["officer_id", "stay"]).aggregate(
            office_code=marked.office_code.first(),
            post=marked.post.first(),
            stay_start=marked.start_date.min(),
            open_ended=marked.end_date.isnull().any(),
            stay_end=marked.end_date.max(),
            postings=marked.count(),
        )
        stays = stays.mutate(as_of=as_of)
        current = stays.filter(stays.open_ended | (stays.stay_end >= stays.as_of))
        return current.mutate(
            days=(current.as_of.epoch_days() - current.stay_start.epoch_days())
        ).drop("stay", "open_ended", "stay_end")

    def assess(self, measures: pd.DataFrame, params: Params) -> list[Finding]:
        findings = []
        for row in measures.sort_values(["officer_id", "stay_start"]).itertuples():
            if "*" not in params.posts and row.post not in params.posts:
                continue
            limit = params.max_years_by_post.get(row.post, params.max_years)
            years = row.days / 365.25
            start, as_of = as_date(row.stay_start), as_date(row.as_of)
            findings.append(
                Finding(
                    subjects={"officer_id": row.officer_id},
                    period_start=start,
                    period_end=as_of,
                    score=years / limit,
                    flagged=years > limit,
                    office_code=row.office_code,
                    summary=(
                        f"Officer {row.officer_id} has been {row.post} at {row.office_code} "
                        f"without a break for {years:.1f} years (since {start}); the policy "
                        f"allows {limit:g}."
                    ),
                    evidence={
                        "office_code": row.office_code,
                        "post": row.post,
                        "stay_start": start,
                        "as_of": as_of,
                        "years": years,
                        "max_years": limit,
                        "postings_in_stay": int(row.postings),
                    },
                )
            )
        return findings


