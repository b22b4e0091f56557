"""Ingest throughput: 1M simulated declarations with their items, from CSV and from Parquet.

    .venv/bin/python bench/ingest.py --declarations 1000000

Prints wall time, rows per second and peak RSS for each format, against the targets of
issue #3: >= 200k declaration rows/s from CSV including validation, >= 500k/s from Parquet,
peak RSS < 2 GiB. The time covers the whole folder (every table, with validation, reference
checks and the atomic swap), not the declarations table alone.
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
            "from pathlib import Path\n"
            "from arusha.contract import ingest\n"
            f"report = ingest(Path({str(folder)!r}), Path({str(db)!r}))\n"
            "result = {t.table: t.read for t in report.tables}"
        )
        declarations = m.result["declarations"]
        rows = sum(m.result.values())
        rate = declarations / m.seconds
        ok = rate >= target and m.peak_rss_mib < RSS_TARGET_MIB
        print(f"{fmt:<8} {declarations:>10,} {rows:>11,} {m.seconds:>8.2f} {rate:>10,.0f} "
              f"{rows / m.seconds:>10,.0f} {m.peak_rss_mib:>7,.0f} MiB  {verdict(ok)} "
              f"(>= {target:,} decl/s, < {RSS_TARGET_MIB} MiB)")  # fmt: skip


if __name__ == "__main__":
    main()
