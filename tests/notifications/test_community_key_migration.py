"""notifications 0002: a notice's community became a bare key; no notice loses its community."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notifications.models import Notice
from tests import factories

BEFORE = [("notifications", "0001_initial")]
AFTER = [("notifications", "0002_notice_community_key")]


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


@pytest.mark.django_db(transaction=True)
def test_every_notice_keeps_its_community_both_ways():
    first, second = factories.CommunityFactory(), factories.CommunityFactory()
    old = migrate(BEFORE).get_model("notifications", "Notice")
    now = timezone.now()
    ids = {
        "first": old.objects.create(kind="k", community_id=first.pk, due_at=now).pk,
        "second": old.objects.create(kind="k", community_id=second.pk, due_at=now).pk,
        "site_wide": old.objects.create(kind="k", community_id=None, due_at=now).pk,
    }

    migrate(AFTER)
    keys = dict(Notice.objects.values_list("pk", "community_key"))
    assert keys == {ids["first"]: first.pk, ids["second"]: second.pk, ids["site_wide"]: None}

    old = migrate(BEFORE).get_model("notifications", "Notice")
    assert dict(old.objects.values_list("pk", "community_id")) == keys
    migrate(AFTER)
