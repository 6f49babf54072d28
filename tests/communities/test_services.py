import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from communities import services
from communities.models import Residency
from communities.permissions import Role, roles_for
from core.errors import Conflict
from tests import factories

pytestmark = pytest.mark.django_db


def test_sign_up_creates_pending_resident(community):
    user = services.user_sign_up(password="x-strong-pass-91", community=community, phone="13812345678")
    residency = user.residencies.get()
    assert residency.status == Residency.Status.PENDING
    assert residency.community == community
    assert roles_for(user).resident_of is None
    assert roles_for(user).pending_in == community.pk


def test_sign_up_with_taken_phone_changes_nothing(community):
    services.user_sign_up(password="x-strong-pass-91", community=community, phone="13812345678")
    with pytest.raises(ValidationError) as info:
        services.user_sign_up(password="x-strong-pass-92", community=community, phone="138 1234 5678")
    assert "phone" in info.value.message_dict
    assert Residency.objects.count() == 1


def test_verify_records_who_and_when(community, staff):
    user = factories.UserFactory()
    residency = services.residency_request(user=user, community=community)
    services.residency_verify(actor=staff, residency=residency)
    residency.refresh_from_db()
    assert residency.status == Residency.Status.VERIFIED
    assert residency.decided_by == staff
    assert residency.decided_at is not None
    assert Role.RESIDENT in roles_for(user).names


def test_staff_of_another_community_cannot_verify(community, other_community):
    outsider_staff = factories.staff_member(other_community)
    residency = services.residency_request(user=factories.UserFactory(), community=community)
    with pytest.raises(PermissionDenied):
        services.residency_verify(actor=outsider_staff, residency=residency)
    residency.refresh_from_db()
    assert residency.status == Residency.Status.PENDING


def test_a_move_is_recorded_not_overwritten(community, other_community, admin_user):
    user = factories.resident(community, actor=admin_user)
    request = services.residency_request(user=user, community=other_community)
    # Still a resident of the old community until the new one verifies the move.
    assert roles_for(user).resident_of == community.pk
    services.residency_verify(actor=admin_user, residency=request)
    history = list(user.residencies.order_by("requested_at").values_list("community_id", "status", "end_reason"))
    assert history == [
        (community.pk, Residency.Status.ENDED, Residency.EndReason.MOVED),
        (other_community.pk, Residency.Status.VERIFIED, ""),
    ]
    user = type(user).objects.get(pk=user.pk)  # roles are cached per loaded user, as per request
    assert roles_for(user).resident_of == other_community.pk


def test_asking_twice_for_the_same_community_conflicts(community, resident):
    with pytest.raises(Conflict):
        services.residency_request(user=resident, community=community)


def test_council_seat_carries_the_council_role(community, admin_user):
    member = factories.council_member(community, actor=admin_user)
    assert roles_for(member).council_of == {community.pk}
    membership = member.memberships.get()
    services.membership_end(actor=admin_user, membership=membership, on=membership.term_start)
    # The term ends today, so the seat still counts until tomorrow.
    assert roles_for(member).council_of == {community.pk}


def test_staff_role_gives_and_takes_admin_access(community, admin_user):
    user = factories.staff_member(community, actor=admin_user)
    user.refresh_from_db()
    assert user.is_staff and roles_for(user).staff_of == {community.pk}
    services.staff_revoke(actor=admin_user, user=user, community=community)
    user.refresh_from_db()
    assert not user.is_staff
    assert roles_for(user).staff_of == frozenset()


def test_only_superusers_grant_roles(community, staff):
    with pytest.raises(PermissionDenied):
        services.staff_grant(actor=staff, user=factories.UserFactory(), community=community)
