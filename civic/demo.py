"""The demo data: an ordered list of steps, one per app, that `seed_demo` runs.

Each step is a function `seed(size, rng, fake, stdout)` that loads its part of the demo
for one size ("small", or the extra rows of "large") and returns what it created as
`{label: count}`, or an empty dict when its part was already there. A step finds out for
itself whether it has run (a marker row), so a step added by a later app still loads
into a database seeded before that app existed. Later apps append their step here;
a step may rely on the rows of the steps before it.
"""

import random
import zlib

from django.utils.module_loading import import_string
from faker import Faker

SMALL = "small"
LARGE = "large"
SIZES = (SMALL, LARGE)

DEMO_STEPS = [
    "communities.demo.seed",
    "deliberation.demo.seed",
    "surveys.demo.seed",
    "information.demo.seed",
]

# Each step draws from its own generators so that its data stays the same whether or not
# the steps before it ran in the same invocation.
_SEED = 2026


def generators(step, size):
    """A seeded `random.Random` and zh_CN `Faker` for one step and size."""
    key = f"{_SEED}:{step}:{size}"
    fake = Faker("zh_CN")
    fake.seed_instance(zlib.crc32(key.encode()))
    return random.Random(key), fake


def run_steps(size, stdout):
    """Run every step for one size; returns [(step path, {label: count})]."""
    results = []
    for path in DEMO_STEPS:
        rng, fake = generators(path, size)
        created = import_string(path)(size, rng, fake, stdout) or {}
        results.append((path, created))
    return results
