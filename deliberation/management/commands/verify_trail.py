from django.core.management.base import BaseCommand, CommandError

from deliberation import trail


class Command(BaseCommand):
    help = "Check every deliberation record's hash chain; exit 1 naming the first broken record."

    def add_arguments(self, parser):
        parser.add_argument(
            "--topic", type=int, action="append", dest="topics", help="Check only this topic (repeatable)."
        )

    def handle(self, *args, topics=None, **options):
        report = trail.verify(topic_ids=topics)
        if not report.intact:
            raise CommandError(
                f"Trail broken at {report.broken} ({report.entries} entries checked in {report.chains} chains)."
            )
        self.stdout.write(self.style.SUCCESS(f"Trail intact: {report.entries} entries in {report.chains} chains."))
