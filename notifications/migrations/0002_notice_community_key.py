"""A notice names its community by a bare key instead of a foreign key, so that the
notifications app imports no other; every existing notice keeps its community."""

from django.db import migrations, models
from django.db.models import F


def copy_community_to_key(apps, schema_editor):
    Notice = apps.get_model("notifications", "Notice")
    Notice.objects.filter(community__isnull=False).update(community_key=F("community_id"))


def copy_key_to_community(apps, schema_editor):
    Notice = apps.get_model("notifications", "Notice")
    Community = apps.get_model("communities", "Community")
    Notice.objects.filter(community_key__in=Community.objects.values("pk")).update(community_id=F("community_key"))


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="community_key",
            field=models.PositiveIntegerField(blank=True, db_index=True, null=True, verbose_name="community"),
        ),
        migrations.RunPython(copy_community_to_key, copy_key_to_community),
        migrations.RemoveField(model_name="notice", name="community"),
    ]
