"""`manage.py openapi`: write the API's OpenAPI schema to docs/openapi.json (`make openapi`).

The committed file is what app developers generate clients from, and a test compares it with
the live schema: every change to the API shows in review as a change to this file."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civic import openapi

DEFAULT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


class Command(BaseCommand):
    help = "Write the API's OpenAPI schema (English, whatever the locale) to docs/openapi.json."

    def add_arguments(self, parser):
        parser.add_argument("--file", default=str(DEFAULT), help="Where to write it (default: docs/openapi.json).")
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; fail if the file differs from the live schema."
        )

    def handle(self, *args, file, check, **options):
        path = Path(file)
        text = openapi.generate_json()
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is not the live schema: run `make openapi` and commit it.")
            self.stdout.write(f"{path} is the live schema.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}.")
