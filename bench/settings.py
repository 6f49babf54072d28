"""The portal's production settings with the benchmark's URLs (the trivial view) added."""

from civic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
