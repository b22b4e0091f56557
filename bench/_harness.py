"""Shared by the benchmarks: simulated worlds cached on disk, and measured child processes.

Each measurement runs in a fresh Python process so that its peak RSS is its own.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

CHILD = """
import json, resource, sys, time
started = time.perf_counter()
exec(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "result": globals().get("result")}))
"""


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_mib: float
    result: object


def measure(code: str) -> Measurement:
    """Run `code` in a new interpreter; it may set `result` to something JSON-serialisable."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, code], capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"benchmark step failed:\n{done.stderr}")
    return Measurement(**json.loads(done.stdout.strip().splitlines()[-1]))


def world(work: Path, declarations: int, seed: int, fmt: str) -> Path:
    """A simulated world, generated once and reused by later runs of the same simulator (a
    changed simulator plants other instances: its truth would no longer describe the data)."""
    folder = work / f"world-{declarations}-{seed}-{fmt}-{simulator_version()}"
    marker = folder / ".complete"
    if not marker.exists():
        started = time.perf_counter()
        print(f"simulating {declarations:,} declarations ({fmt}) into {folder} ...", flush=True)
        from arusha.simulate import simulate

        simulate(folder, declarations=declarations, seed=seed, fmt=fmt)
        marker.write_text(f"{time.perf_counter() - started:.1f} s\n")
    return folder


def simulator_version() -> str:
    """A digest of the simulator's source, so that cached worlds follow its changes."""
    import arusha.simulate

    digest = hashlib.sha256()
    for source in sorted(Path(arusha.simulate.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:8]


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES target"
