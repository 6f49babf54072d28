"""The permission matrix: role x action x own / other community, one table."""

import pytest

from communities.models import Community
from communities.permissions import can, community_scope_q, roles_for
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "pending",
    "resident",
    "council",
    "staff",
    "street_official",
    "district_official",
    "evaluator",
    "superuser",
]

# action -> the roles allowed on their OWN community; on another community only the
# superuser (and, for reads, everyone where marked) keeps the right.
MATRIX = {
    "community.change": {"staff", "superuser"},
    "residency.verify": {"staff", "superuser"},
    "body.change": {"staff", "superuser"},
    "role.grant_staff": {"superuser"},
    "community.create": {"superuser"},
}


@pytest.fixture
def people(community, admin_user):
    from django.contrib.auth.models import AnonymousUser

    from communities import services

    pending = factories.UserFactory()
    services.residency_request(user=pending, community=community)
    return {
        "anonymous": AnonymousUser(),
        "pending": pending,
        "resident": factories.resident(community, actor=admin_user),
        "council": factories.council_member(community, actor=admin_user),
        "staff": factories.staff_member(community, actor=admin_user),
        "street_official": factories.official(street=community.street, actor=admin_user),
        "district_official": factories.official(district=community.street.district, actor=admin_user),
        "evaluator": factories.evaluator(actor=admin_user),
        "superuser": admin_user,
    }


@pytest.mark.parametrize("action", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_matrix(people, community, other_community, role, action):
    user = people[role]
    assert can(user, action, community) == (role in MATRIX[action])
    assert can(user, action, other_community) == (role == "superuser")


def test_roles_names(people):
    names = {role: roles_for(user).names for role, user in people.items()}
    assert names["anonymous"] == []
    assert names["pending"] == []
    assert names["resident"] == ["resident"]
    assert names["council"] == ["resident", "council_member"]
    assert names["staff"] == ["committee_staff"]
    assert names["street_official"] == ["street_official"]
    assert names["district_official"] == ["district_official"]
    assert names["evaluator"] == ["evaluator"]
    assert "superuser" in names["superuser"]


def test_scope_follows_the_area(people, community, other_community):
    same_district = factories.CommunityFactory(street__district=community.street.district)

    def scoped(role):
        return set(Community.objects.filter(community_scope_q(people[role])).values_list("pk", flat=True))

    assert scoped("staff") == {community.pk}
    assert scoped("street_official") == {community.pk}
    assert scoped("district_official") == {community.pk, same_district.pk}
    assert scoped("resident") == set()
    assert scoped("superuser") == {community.pk, other_community.pk, same_district.pk}


def test_roles_load_in_a_fixed_number_of_queries(people, django_assert_num_queries):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=people["staff"].pk)
    with django_assert_num_queries(5):
        roles_for(user)
    with django_assert_num_queries(0):
        roles_for(user)


# Rules about a person rather than a place (the navigation's links, the admin's add buttons):
# the same answer whatever the object.
PERSONAL = {
    "dashboard.view": {"street_official", "district_official", "superuser"},
    "admin.open": {"staff", "street_official", "district_official", "evaluator", "superuser"},
    "round.browse": {"staff", "street_official", "district_official", "evaluator", "superuser"},
    "announcement.add": {"staff", "street_official", "district_official", "superuser"},
    "role.grant_official": {"superuser"},
}


@pytest.mark.parametrize("action", sorted(PERSONAL))
def test_personal_rules(people, community, action):
    allowed = {role for role, user in people.items() if can(user, action)}
    assert allowed == PERSONAL[action]
    assert {role for role, user in people.items() if can(user, action, community)} == allowed


LINKS = {"dashboard": "/dashboard/", "evaluation": "/evaluation/", "admin": "/admin/"}


@pytest.mark.parametrize("role", ROLES)
def test_navigation_offers_the_links_the_rules_allow(client, people, role):
    user = people[role]
    if role != "anonymous":
        client.force_login(user)
    page = client.get("/").content.decode()
    nav = page[page.index('<ul class="site-nav__list">') : page.index('<ul class="site-nav__list site-nav__account">')]
    shown = {link for link, path in LINKS.items() if f'href="{path}"' in nav}
    rules = {"dashboard": "dashboard.view", "evaluation": "round.browse", "admin": "admin.open"}
    assert shown == {link for link, action in rules.items() if can(user, action)}
