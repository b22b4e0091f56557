"""Planting: every scheme and confounder instance, in a fixed order.

Planting also changes the world where an instance needs it: relatives among owners, declared
interests, trader rules, rule windows, a trader's goods or price.
"""

from __future__ import annotations

import numpy as np

from arusha.simulate.plant_confounders import declare_ordinary_interests, plant_confounders
from arusha.simulate.plant_schemes import plant_schemes
from arusha.simulate.planted import Instance
from arusha.simulate.planter import Planter
from arusha.simulate.world import World


def plant(world: World, rng: np.random.Generator) -> list[Instance]:
    planter = Planter(world, rng)
    planted = [*plant_schemes(planter), *plant_confounders(planter)]
    declare_ordinary_interests(planter)  # last: their names avoid every owner planted above
    return planted
