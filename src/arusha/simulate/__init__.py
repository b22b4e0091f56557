"""A synthetic Customs administration with planted corruption and honest confounders.

`simulate(out_dir, declarations, seed)` writes one file per contract table and a truth file
listing every planted instance; see `docs/simulation.md`.
"""

from arusha.simulate.run import SimulationResult, simulate

__all__ = ["SimulationResult", "simulate"]
