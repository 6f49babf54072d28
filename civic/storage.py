from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # Before collectstatic has run (tests, a first `make run`) fall back to plain names
    # instead of failing the page.
    manifest_strict = False
