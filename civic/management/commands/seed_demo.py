import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from civic.demo import LARGE, SIZES, SMALL, run_steps
from communities.models import Community


class Command(BaseCommand):
    help = (
        "Load the demo data: 'small' (default) is a city of a few districts with the demo accounts, "
        "'large' adds the benchmark scale on top of it. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=SIZES, default=SMALL, help="How much demo data to load.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load the demo only when the database holds no community yet (what `make run` does).",
        )

    def handle(self, *args, size, if_empty, **options):
        if if_empty and Community.objects.exists():
            self.stdout.write("The database already holds communities: no demo data loaded.")
            return
        # The large size is the small one plus more; each size commits whole or not at all.
        for part in (SMALL, LARGE) if size == LARGE else (SMALL,):
            started = time.monotonic()
            with transaction.atomic():
                results = run_steps(part, self.stdout)
            if any(created for _step, created in results):
                self.analyze()
            seconds = time.monotonic() - started
            for step, created in results:
                if created:
                    summary = ", ".join(f"{count:,} {label}" for label, count in created.items())
                    self.stdout.write(f"{part} demo, {step}: created {summary}.")
                else:
                    self.stdout.write(f"{part} demo, {step}: already loaded, nothing to do.")
            self.stdout.write(self.style.SUCCESS(f"The {part} demo took {seconds:.1f} s."))

    @staticmethod
    def analyze():
        """Fresh planner statistics after a bulk load: tables planned as nearly empty would
        be read with the wrong joins and spill their sorts to disk (benchmarks read these)."""
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
