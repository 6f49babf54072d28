"""The ready-made participation survey's last choice was stored as "7+", which its own field
(a slug: letters, digits, - and _) refuses: it becomes "7-or-more"."""

from django.db import migrations

OLD, NEW = "7+", "7-or-more"


def forwards(apps, schema_editor):
    apps.get_model("surveys", "Choice").objects.filter(value=OLD).update(value=NEW)


def backwards(apps, schema_editor):
    apps.get_model("surveys", "Choice").objects.filter(value=NEW).update(value=OLD)


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
