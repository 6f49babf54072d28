"""The portal's production settings with the benchmark's URLs (the trivial view) added."""

from civic.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Collected apart from the checkout's staticfiles/: a manifest there would make every later
# run (tests, make run) ask for the hashed names of the files as they were at this bench.
STATIC_ROOT = VAR_DIR / "bench" / "static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "bench.storage.BenchStaticStorage"}}  # noqa: F405
