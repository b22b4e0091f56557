"""Ingest throughput: 1M simulated declarations with their items, from CSV and from Parquet.

    .venv/bin/python bench/ingest.py --declarations 1000000

Prints wall time, rows per second and peak RSS for each format, against the targets of
issue #3: >= 200k declaration rows/s from CSV including validation, >= 500k/s from Parquet,
peak RSS < 2 GiB. The verdict uses the time of the whole folder (every table, with
validation, reference checks and the atomic swap: the strictest reading); the time of the
declarations table alone is printed below it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _harness import measure, verdict, world

TARGETS = {"csv": 200_000, "parquet": 500_000}
RSS_TARGET_MIB = 2048


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "arusha-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    print(f"{'format':<8} {'decl.':>10} {'all rows':>11} {'seconds':>8} {'decl/s':>10} "
          f"{'rows/s':>10} {'peak RSS':>10}  verdict")  # fmt: skip
    for fmt, target in TARGETS.items():
        folder = world(args.work, args.declarations, args.seed, fmt)
        db = args.work / f"bench-{fmt}.duckdb"
        m = measure(
            "import time\n"
            "from pathlib import Path\n"
            "from arusha.contract import ingest\n"
            "spans = {}\n"
            "def seen(table, stage, fraction):\n"
            "    now = time.perf_counter()\n"
            "    spans.setdefault(table, [now, now])[1] = now\n"
            f"report = ingest(Path({str(folder)!r}), Path({str(db)!r}), progress=seen)\n"
            "result = {t.table: [t.read, spans[t.table][1] - spans[t.table][0]]\n"
            "          for t in report.tables if t.table in spans}"
        )
        declarations, declarations_seconds = m.result["declarations"]
        rows = sum(read for read, _ in m.result.values())
        rate = declarations / m.seconds
        ok = rate >= target and m.peak_rss_mib < RSS_TARGET_MIB
        print(f"{fmt:<8} {declarations:>10,} {rows:>11,} {m.seconds:>8.2f} {rate:>10,.0f} "
              f"{rows / m.seconds:>10,.0f} {m.peak_rss_mib:>7,.0f} MiB  {verdict(ok)} "
              f"(>= {target:,} decl/s, < {RSS_TARGET_MIB} MiB)")  # fmt: skip
        per_table = ", ".join(f"{t} {s:.1f} s" for t, (_, s) in m.result.items() if s >= 0.05)
        print(
            f"{'':<8} declarations table alone: {declarations_seconds:.2f} s "
            f"({declarations / declarations_seconds:,.0f} decl/s); per table: {per_table}"
        )


if __name__ == "__main__":
    main()
