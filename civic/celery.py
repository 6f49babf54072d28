import os
import sys
from pathlib import Path

from celery import Celery, beat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic.settings")

app = Celery("civic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_schedule_directory(filename):
    """Beat keeps its schedule in a file (CELERY_BEAT_SCHEDULE_FILENAME, under CIVIC_VAR_DIR):
    on a fresh deployment nothing else makes that directory, and beat would end on the
    missing file. It is made here; when it cannot be, beat stops saying what to do."""
    folder = Path(filename).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".beat-write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as error:
        sys.stderr.write(
            f"celery beat cannot keep its schedule in {folder}: {error.strerror or error}.\n"
            f"Create that directory and let this user write it, or point CIVIC_VAR_DIR (or "
            f"CELERY_BEAT_SCHEDULE_FILENAME) at a directory it may write.\n"
        )
        raise SystemExit(78) from error  # EX_CONFIG: systemd's Restart= does not help here


class PersistentScheduler(beat.PersistentScheduler):
    """Celery's file-backed schedule (CELERY_BEAT_SCHEDULER), its directory made first."""

    def setup_schedule(self):
        ensure_schedule_directory(self.schedule_filename)
        super().setup_schedule()
