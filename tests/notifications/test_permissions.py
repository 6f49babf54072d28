"""Who may see the outbox's notices and resend their deliveries: role x action x whose notice.

notifications names a notice's community by a bare key; the communities app answers who runs
or watches over it (core/scopes.py). One table, asked through the kernel's `can`."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from core.rules import can
from notifications.models import Delivery, Notice
from notifications.permissions import watched_q
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "resident", "council", "staff", "street_official", "district_official", "evaluator", "superuser"]

# action -> the roles allowed on a notice of their OWN community. On another community's
# notice, and on a site-wide notice (no community), only the superuser.
MATRIX = {
    "notice.view": {"staff", "street_official", "district_official", "superuser"},
    "delivery.resend": {"staff", "superuser"},
}


@pytest.fixture
def people(community, admin_user):
    return {
        "anonymous": AnonymousUser(),
        "resident": factories.resident(community, actor=admin_user),
        "council": factories.council_member(community, actor=admin_user),
        "staff": factories.staff_member(community, actor=admin_user),
        "street_official": factories.official(street=community.street, actor=admin_user),
        "district_official": factories.official(district=community.street.district, actor=admin_user),
        "evaluator": factories.evaluator(actor=admin_user),
        "superuser": admin_user,
    }


@pytest.fixture
def notices(community, other_community, admin_user):
    def notice(key):
        found = Notice.objects.create(kind="tests.news", community_key=key, due_at=timezone.now())
        Delivery.objects.create(notice=found, recipient=admin_user, channel=Delivery.Channel.SMS)
        return found

    return {"own": notice(community.pk), "other": notice(other_community.pk), "site_wide": notice(None)}


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(people, notices, role, action):
    user = people[role]
    assert can(user, action, notices["own"]) == (role in MATRIX[action])
    assert can(user, action, notices["other"]) == (role == "superuser")
    assert can(user, action, notices["site_wide"]) == (role == "superuser")
    # A delivery answers as its notice does.
    assert can(user, action, notices["own"].deliveries.get()) == (role in MATRIX[action])


@pytest.mark.parametrize("role", ROLES)
def test_lists_hold_what_the_rule_lets_one_see(people, notices, role):
    user = people[role]
    listed = set(Notice.objects.filter(watched_q(user)))
    assert listed == {n for n in notices.values() if can(user, "notice.view", n)}
    deliveries = set(Delivery.objects.filter(watched_q(user, "notice__")).values_list("notice", flat=True))
    assert deliveries == {n.pk for n in listed}


def test_the_admin_names_and_finds_a_notice_by_its_community(client, people, notices, community, other_community):
    client.force_login(people["district_official"])
    listing = client.get("/admin/notifications/notice/")
    assert listing.status_code == 200
    assert [n.community_name for n in listing.context["cl"].result_list] == [community.name]
    client.force_login(people["superuser"])
    found = client.get("/admin/notifications/notice/", {"q": other_community.name})
    assert [n.pk for n in found.context["cl"].result_list] == [notices["other"].pk]
    opened = client.get(f"/admin/notifications/notice/{notices['own'].pk}/change/")
    assert opened.status_code == 200 and community.name in opened.content.decode()
    # Another community's notice is not there for its staff to open.
    client.force_login(people["staff"])
    assert client.get(f"/admin/notifications/notice/{notices['other'].pk}/change/").status_code == 302
