"""The portal's static storage without the compression step, for the benchmark only: wrk asks
for pages, never for static files, and gzip + brotli of every file took most of a run's start
(minutes on a busy machine). Hashed names, and so every page's markup, stay the same."""

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

from civic.storage import StaticStorage


class BenchStaticStorage(StaticStorage):
    def post_process(self, *args, **kwargs):
        yield from ManifestStaticFilesStorage.post_process(self, *args, **kwargs)
