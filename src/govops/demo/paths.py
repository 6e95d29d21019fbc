"""Seeded randomness for demo series: one generator per series, drawn from 2016 forward.

Each series (an indicator for one old province, or for the nation) has its own generator,
seeded from its key, and draws its numbers period by period from the first period on. A
value therefore depends only on the series and the periods up to it: building the demo
on another day adds or drops periods at the end and changes none before them. A path
drawn whole is never followed by more draws from the same generator (they would move
with the length of the path): a second stream of draws gets a generator of its own.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence

DEMO_SEED = "govops demo 2016"


def series_random(*key: str) -> random.Random:
    digest = hashlib.sha256("|".join((DEMO_SEED, *key)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def wander(rng: random.Random, count: int, *, sd: float, persistence: float) -> list[float]:
    """A stationary AR(1) path around zero, one draw per period (used on the log scale)."""
    spread = sd / math.sqrt(1 - persistence**2) if persistence < 1 else sd
    level = rng.gauss(0, spread)
    path = []
    for _ in range(count):
        level = persistence * level + rng.gauss(0, sd)
        path.append(level)
    return path


def poisson(rng: random.Random, mean: float) -> int:
    """A count around ``mean``: exact for small means, the normal approximation above 50."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def units(value: float, decimals: int) -> int:
    """A value as a whole number of its last decimal place (12.34 at 2 decimals is 1234)."""
    return round(value * 10**decimals)


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split a whole number in proportion to weights so the parts add up exactly.

    Largest remainders get the leftover units; ties go to the earlier part.
    """
    weight_sum = sum(weights)
    if weight_sum <= 0:
        raise ValueError("cannot split a total over weights that add up to zero")
    exact = [total * weight / weight_sum for weight in weights]
    parts = [math.floor(value) for value in exact]
    order = sorted(range(len(exact)), key=lambda k: (parts[k] - exact[k], k))
    for k in order[: total - sum(parts)]:
        parts[k] += 1
    return parts


def logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))
