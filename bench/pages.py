"""Each page's cost in-process on the large demo: CPU milliseconds of the Django process per
request and queries, for the pages and rotations `make bench` measures, and for the logged-in
pages again with each of this round's caches switched off, so what each one buys is seen on
its own (and without the noise of a busy machine, which weighs on wrk's throughput far more
than on one process's CPU time).

    .venv/bin/python bench/pages.py [--requests 60]

Same database and settings as `make bench` (bench/web.py: DATABASE_URL, REDIS_URL, DEBUG off).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))

from bench import web  # noqa: E402


def measure(page, count, offset=0):
    """Median CPU ms and wall ms, and the mean number of queries, over `count` requests of the rotation."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cpu, wall, queries = [], [], []
    for number in range(count):
        path, cookie = page.requests[(offset + number) % len(page.requests)]
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_HOST="127.0.0.1")
        if cookie:
            name, value = cookie.split("=", 1)
            client.cookies[name] = value
        started_cpu, started = time.process_time(), time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        queries.append(len(captured))
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return statistics.median(cpu), statistics.median(wall), statistics.mean(queries)


def without_comment_fragments():
    from deliberation.templatetags import comment_fragments

    original = comment_fragments.CommentFragmentNode.render
    comment_fragments.CommentFragmentNode.render = lambda self, context: self.nodelist.render(context)
    return lambda: setattr(comment_fragments.CommentFragmentNode, "render", original)


def without_home_figures():
    from civic import home

    original = home.figures

    def counted_every_time():
        from django.core.cache import cache

        cache.delete(home.FIGURES_KEY)
        return original()

    home.figures = counted_every_time
    return lambda: setattr(home, "figures", original)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per page, after a warm-up turn")
    args = parser.parse_args()
    web.configure_environment()
    import django

    django.setup()
    targets = web.Targets(1)
    pages = {page.key: page for page in targets.pages() if page.key != "trivial"}
    variants = [
        ("as built", None, list(pages)),
        ("comment fragments off", without_comment_fragments, ["topic_logged_in"]),
        ("home figures counted every time", without_home_figures, ["home_logged_in"]),
    ]
    print(f"{'page':22} {'variant':34} {'CPU ms':>8} {'wall ms':>8} {'queries':>8}")
    for variant, switch, keys in variants:
        restore = switch() if switch else None
        try:
            for key in keys:
                # Templates, translations, connections, and each path once (the rotation's first
                # turn: what a shared cache holds after a while of real use).
                warm = min(len(pages[key].requests), 50)
                measure(pages[key], warm)
                cpu, wall, queries = measure(pages[key], args.requests, offset=warm)
                print(f"{key:22} {variant:34} {cpu:8.1f} {wall:8.1f} {queries:8.1f}", flush=True)
        finally:
            if restore:
                restore()


if __name__ == "__main__":
    main()
