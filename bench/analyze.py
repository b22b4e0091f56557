"""Analysis speed: `arusha analyze` at 1M and 10M simulated declarations, against DuckDB's floor.

    .venv/bin/python bench/analyze.py --declarations 1000000 10000000

For each size: the wall time and peak RSS of the whole analysis (ingest of the Parquet
folder, every detector, alerts and report), and in the same run the time DuckDB needs for one
scan-and-aggregate pass over the same Parquet files (the floor no analysis can beat), and their
ratio. Targets (issue #4): 1M in < 60 s; 10M in <= 5x the floor with peak RSS <= 8 GiB.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _harness import measure, verdict, world

FLOOR_SQL = """
SELECT office_code, officer_id, declarant_id, risk_channel, final_channel,
       count(*), sum(duties_assessed - duties_declared),
       avg(epoch(CAST(released_at AS TIMESTAMP)) - epoch(CAST(lodged_at AS TIMESTAMP)))
FROM read_parquet('{folder}/declarations.parquet') GROUP BY ALL;
SELECT declaration_id, count(*), sum(customs_value), sum(net_mass_kg)
FROM read_parquet('{folder}/items.parquet') GROUP BY ALL;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "arusha-bench")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    print(f"{'declarations':>12} {'analyze s':>10} {'peak RSS':>10} {'floor s':>8} {'ratio':>6} "
          f"{'alerts':>7}  verdict")  # fmt: skip
    for size in args.declarations:
        folder = world(args.work, size, args.seed, "parquet")
        out = args.work / f"analysis-{size}"
        run = measure(
            "from pathlib import Path\n"
            "from arusha.pipeline import run_analysis\n"
            "started = time.perf_counter()\n"
            f"output = run_analysis(Path({str(folder)!r}), Path({str(out)!r}))\n"
            "runs = output.analysis.runs\n"
            "result = {'alerts': len(output.analysis.alerts), 'total': time.perf_counter() - "
            "started, 'detectors': {r.detector.id: [r.seconds, len(r.alerts)] for r in runs}}"
        )
        floor = measure(
            "import duckdb\n"
            f"for sql in {FLOOR_SQL.format(folder=folder)!r}.split(';')[:-1]:\n"
            "    duckdb.sql(sql).fetchall()"
        )
        ratio = run.seconds / floor.seconds
        ok = run.seconds < 60 if size <= 1_000_000 else (ratio <= 5 and run.peak_rss_mib <= 8192)
        print(f"{size:>12,} {run.seconds:>10.1f} {run.peak_rss_mib:>7,.0f} MiB "
              f"{floor.seconds:>8.2f} {ratio:>6.1f} {run.result['alerts']:>7,}  "
              f"{verdict(ok)}")  # fmt: skip
        print_breakdown(run.result)


def print_breakdown(result: dict) -> None:
    """Where the time went: each detector, and the rest (ingest, indicators, report)."""
    detectors = result["detectors"]
    spent = sum(seconds for seconds, _ in detectors.values())
    for detector, (seconds, alerts) in detectors.items():
        print(f"{'':>12} {seconds:>10.1f} s  {detector} ({alerts} alerts)")
    print(f"{'':>12} {result['total'] - spent:>10.1f} s  ingest, indicators, alerts and report")


if __name__ == "__main__":
    main()
