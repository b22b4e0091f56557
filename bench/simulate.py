"""Times `arusha.simulate` and reports rows per second and peak memory.

.venv/bin/python bench/simulate.py --declarations 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from arusha.simulate import simulate

RSS_PER_MIB = 1024**2 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes or kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--out", type=Path, help="folder to write (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "world"
        start = time.perf_counter()
        result = simulate(out, args.declarations, args.seed, args.format, progress=_progress)
        seconds = time.perf_counter() - start
    total = sum(result.rows.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / RSS_PER_MIB
    print(f"\n{args.declarations:,} declarations ({args.format}) in {seconds:.1f} s")
    for table, rows in result.rows.items():
        print(f"  {table:<18} {rows:>12,}")
    print(f"declarations/s: {args.declarations / seconds:,.0f}")
    print(f"rows/s (all tables): {total / seconds:,.0f}")
    print(f"peak RSS: {peak:,.0f} MiB")


def _progress(done: int, total: int) -> None:
    print(f"\r{done:,} / {total:,} declarations", end="", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
