import pytest
from django.urls import reverse

from communities import services
from communities.models import Body, BodyKind, Community, CommunityUserObjectPermission, Residency
from communities.permissions import roles_for
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(community):
    user = factories.UserFactory(display_name="待审核居民")
    return services.residency_request(user=user, community=community)


def login(client, user):
    client.force_login(user)
    return client


def test_staff_see_only_their_community(client, staff, community, other_community):
    login(client, staff)
    page = client.get(reverse("admin:communities_community_changelist"))
    assert page.status_code == 200
    assert community.name in page.text
    assert other_community.name not in page.text
    # Another community's row answers as missing, never as a page.
    other = client.get(reverse("admin:communities_community_change", args=[other_community.pk]))
    assert other.status_code == 302
    assert Community.objects.get(pk=other_community.pk).name == other_community.name


def test_staff_change_their_facts_but_not_the_typology(client, staff, community):
    login(client, staff)
    url = reverse("admin:communities_community_change", args=[community.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {"name": community.name, "households": 1500, "population": 4100, "address": "新地址 1 号", "typology": "rural"},
    )
    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.households, community.population, community.address) == (1500, 4100, "新地址 1 号")
    assert community.typology == "commercial_housing"


def test_staff_verify_residents_with_the_admin_action(client, staff, community, pending):
    login(client, staff)
    response = client.post(
        reverse("admin:communities_residency_changelist"),
        {"action": "verify", "_selected_action": [pending.pk]},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Residency.Status.VERIFIED
    assert pending.decided_by == staff


def test_staff_cannot_verify_another_communitys_request(client, other_community, pending):
    other_staff = factories.staff_member(other_community)
    login(client, other_staff)
    listing = client.get(reverse("admin:communities_residency_changelist"))
    assert pending.user.display_name not in listing.text
    client.post(
        reverse("admin:communities_residency_changelist"),
        {"action": "verify", "_selected_action": [pending.pk]},
    )
    pending.refresh_from_db()
    assert pending.status == Residency.Status.PENDING


def test_officials_read_their_district_and_change_nothing(client, community, other_community):
    official = factories.official(district=community.street.district)
    login(client, official)
    listing = client.get(reverse("admin:communities_community_changelist"))
    assert community.name in listing.text and other_community.name not in listing.text
    url = reverse("admin:communities_community_change", args=[community.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="households"' not in page.text  # view only
    assert client.post(url, {"name": "改名", "households": 1}).status_code == 403
    community.refresh_from_db()
    assert community.name != "改名"


def test_staff_record_a_council_seat_which_grants_the_role(client, staff, community, admin_user):
    body = services.body_create(
        actor=admin_user, community=community, kind=BodyKind.DELIBERATION_COUNCIL, name="议事会"
    )
    member = factories.resident(community, actor=admin_user)
    login(client, staff)
    response = client.post(
        reverse("admin:communities_membership_add"),
        {"body": body.pk, "user": member.pk, "post": "member", "term_start": "2026-01-01", "term_end": ""},
    )
    assert response.status_code == 302, response.text
    member = type(member).objects.get(pk=member.pk)
    assert roles_for(member).council_of == {community.pk}


def test_staff_cannot_add_a_body_to_another_community(client, staff, other_community):
    login(client, staff)
    response = client.post(
        reverse("admin:communities_body_add"),
        {
            "community": other_community.pk,
            "kind": BodyKind.PARTY_ORGANISATION,
            "name": "越权党委",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200  # the form answers with an error
    assert not Body.objects.filter(name="越权党委").exists()


def test_superuser_grants_staff_in_the_role_admin(client, admin_user, community):
    user = factories.UserFactory()
    login(client, admin_user)
    from django.contrib.auth.models import Permission

    perm = Permission.objects.get(codename="manage_community")
    response = client.post(
        reverse("admin:communities_communityuserobjectpermission_add"),
        {"user": user.pk, "permission": perm.pk, "content_object": community.pk},
    )
    assert response.status_code == 302, response.text
    user.refresh_from_db()
    assert user.is_staff
    assert CommunityUserObjectPermission.objects.filter(user=user, content_object=community).exists()


def test_staff_cannot_open_the_role_admin(client, staff):
    login(client, staff)
    assert client.get(reverse("admin:communities_communityuserobjectpermission_changelist")).status_code == 403


def test_every_admin_list_renders_for_each_role(client, staff, community, admin_user):
    official = factories.official(district=community.street.district)
    urls = [
        reverse(f"admin:communities_{m}_changelist")
        for m in ["community", "body", "membership", "residency", "district", "street", "user"]
    ]
    for user in (admin_user, staff, official):
        login(client, user)
        for url in urls:
            assert client.get(url).status_code in (200, 403), url
        for url in urls[:4]:
            assert client.get(url).status_code == 200, (user, url)
