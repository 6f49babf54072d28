from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_ACCOUNTS = [
    ("admin", "superuser"),
    ("resident", "verified resident of the first community"),
    ("resident2", "verified resident of the first community"),
    ("outsider", "verified resident of another community"),
    ("council", "deliberation-council member of the first community"),
    ("staff", "committee staff of the first community (admin workspace)"),
    ("staff_other", "committee staff of another community"),
    ("official", "official of the first community's district"),
    ("evaluator", "third-party evaluator"),
]


class Command(BaseCommand):
    help = "Print where the portal listens and how to log in to the demo."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        from django.contrib.auth import get_user_model

        shown = "localhost" if host in {"0.0.0.0", "::"} else host  # nosec B104 # compares, binds nothing
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        broker = "redis" if settings.REDIS_URL else "filesystem (var/broker)"
        lines = [
            "",
            f"  Civic is starting at http://{shown}:{port}/  (admin: http://{shown}:{port}/admin/)",
            f"  database: {engine}   broker: {broker}   Ctrl-C stops web, worker and beat",
        ]
        usernames = set(
            get_user_model()
            .objects.filter(username__in=[u for u, _ in DEMO_ACCOUNTS])
            .values_list("username", flat=True)
        )
        if usernames:
            lines.append("  demo logins (password demo-pass-2026):")
            lines += [f"    {name:<12} {who}" for name, who in DEMO_ACCOUNTS if name in usernames]
        self.stdout.write("\n".join(lines) + "\n")
