"""The small demo: what `make run` loads and what the demo accounts of CONTRACT.md rely on."""

import io
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from communities.models import (
    CADRE_BODY_KINDS,
    SINGLE_BODY_KINDS,
    Body,
    BodyKind,
    Community,
    CommunityUserObjectPermission,
    DistrictUserObjectPermission,
    Education,
    Membership,
    Post,
    Residency,
    Stage,
    Typology,
)
from communities.permissions import Role, roles_for
from communities.roles import STAFF_GROUP

User = get_user_model()
PASSWORD = "demo-pass-2026"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module; roll it all back afterwards so other modules start empty."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def first(demo, db):
    return Community.objects.select_related("street__district").order_by("code").first()


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def role_rows():
    return (
        set(User.objects.values_list("username", "password", "is_staff", "is_superuser")),
        set(CommunityUserObjectPermission.objects.values_list("user_id", "permission_id", "content_object_id")),
        set(DistrictUserObjectPermission.objects.values_list("user_id", "permission_id", "content_object_id")),
        set(User.groups.through.objects.values_list("user_id", "group_id")),
        set(User.user_permissions.through.objects.values_list("user_id", "permission_id")),
    )


def test_reports_what_it_created(demo):
    assert "43 communities" in demo
    assert "9 demo accounts" in demo
    assert re.search(r"The small demo took \d+\.\d s\.", demo)


def test_second_run_changes_nothing(demo, db):
    counts, roles = row_counts(), role_rows()
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    assert row_counts() == counts
    assert role_rows() == roles


def test_if_empty_leaves_a_seeded_database_alone(demo, db):
    counts = row_counts()
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert "no demo data loaded" in out.getvalue()
    assert row_counts() == counts


def test_city_covers_every_typology_stage_and_ring(demo, db):
    communities = Community.objects.select_related("street__district")
    assert 35 <= communities.count() <= 45
    assert {c.typology for c in communities} == set(Typology.values)
    assert {c.stage for c in communities} == set(Stage.values)
    assert {c.street.district.ring for c in communities} == {1, 2, 3}
    for community in communities:
        assert community.households > 0 and community.population > community.households
        assert community.address.startswith(f"成都市{community.street.district.name}")
        assert community.name.endswith("村" if community.stage == Stage.RURAL else "社区")
    assert not Community.objects.filter(typology=Typology.RURAL).exclude(stage=Stage.RURAL).exists()


def test_every_community_has_its_bodies(demo, db):
    kinds = {}
    for community_id, kind, _name in Body.objects.values_list("community_id", "kind", "name"):
        kinds.setdefault(community_id, set()).add(kind)
    for community in Community.objects.all():
        assert set(SINGLE_BODY_KINDS) <= kinds[community.pk]
        if community.stage != Stage.RURAL:
            assert BodyKind.SOCIAL_ORGANISATION in kinds[community.pk]
    village = Community.objects.filter(stage=Stage.RURAL).first()
    assert village.bodies.get(kind=BodyKind.RESIDENTS_COMMITTEE).name == f"{village.name}村民委员会"


def test_first_community_is_the_demo_residents_urban_wuhou_community(first):
    assert first.code == "510107001001"
    assert first.street.district.name == "武侯区"
    assert first.stage == Stage.URBAN
    for username in ("resident", "resident2", "council"):
        assert roles_for(User.objects.get(username=username)).resident_of == first.pk


EXPECTED_ROLES = {
    "admin": {Role.SUPERUSER, Role.EVALUATOR},
    "resident": {Role.RESIDENT},
    "resident2": {Role.RESIDENT},
    "outsider": {Role.RESIDENT},
    "council": {Role.RESIDENT, Role.COUNCIL_MEMBER},
    "staff": {Role.COMMITTEE_STAFF},
    "staff_other": {Role.COMMITTEE_STAFF},
    "official": {Role.DISTRICT_OFFICIAL},
    "evaluator": {Role.EVALUATOR},
}


@pytest.mark.parametrize("username", sorted(EXPECTED_ROLES))
def test_demo_account_logs_in_with_its_roles_and_a_phone(first, client, username):
    user = User.objects.get(username=username)
    assert client.login(request=HttpRequest(), username=username, password=PASSWORD)
    assert re.fullmatch(r"1[3-9]\d{9}", user.phone)
    assert set(roles_for(user).names) == EXPECTED_ROLES[username]


def test_demo_accounts_act_where_the_contract_says(first):
    roles = {u.username: roles_for(u) for u in User.objects.filter(username__in=EXPECTED_ROLES)}
    assert roles["council"].council_of == {first.pk}
    assert roles["staff"].staff_of == {first.pk}
    assert roles["official"].official_districts == {first.street.district_id}
    other = roles["outsider"].resident_of
    assert other is not None and other != first.pk
    assert roles["staff_other"].staff_of == {other}
    outsiders_district = Community.objects.get(pk=other).street.district_id
    assert outsiders_district != first.street.district_id


def test_generated_post_holders_hold_their_roles(first):
    council = Membership.objects.filter(body__community=first, body__kind=BodyKind.DELIBERATION_COUNCIL)
    assert council.count() >= 7
    for membership in council.select_related("user"):
        roles = roles_for(membership.user)
        assert roles.council_of == {first.pk}
        assert roles.resident_of == first.pk
    director = Membership.objects.get(
        body__community=first, body__kind=BodyKind.RESIDENTS_COMMITTEE, post=Post.DIRECTOR
    ).user
    assert roles_for(director).staff_of == {first.pk}
    assert director.is_staff and director.groups.filter(name=STAFF_GROUP).exists()


def test_cadres_are_mostly_over_50_and_mostly_junior_college_or_below(demo, db):
    year = timezone.localdate().year
    cadres = list(
        User.objects.filter(
            memberships__in=Membership.objects.current().filter(body__kind__in=CADRE_BODY_KINDS)
        ).distinct()
    )
    assert len(cadres) > 500
    over_50 = sum(year - c.birth_year > 50 for c in cadres) / len(cadres)
    assert 0.55 <= over_50 <= 0.65
    below = {Education.PRIMARY, Education.JUNIOR_SECONDARY, Education.SENIOR_SECONDARY, Education.JUNIOR_COLLEGE}
    assert sum(c.education in below for c in cadres) / len(cadres) > 0.5
    assert {c.education for c in cadres} == set(Education.values)


def test_residents_have_phones_ages_and_varied_preferences(demo, db):
    verified = Residency.objects.verified()
    per_community = [c.residencies.filter(status=Residency.Status.VERIFIED).count() for c in Community.objects.all()]
    assert min(per_community) >= 20 and max(per_community) <= 45
    assert Residency.objects.filter(status=Residency.Status.PENDING).count() >= Community.objects.count()
    residents = User.objects.filter(residencies__in=verified)
    years = list(residents.values_list("birth_year", flat=True))
    assert all(1940 <= year <= 2006 for year in years if year is not None)
    assert min(years) < 1950 and max(years) > 1995
    people = User.objects.filter(Q(residencies__isnull=False) | Q(memberships__isnull=False)).distinct()
    phones = list(people.values_list("phone", flat=True))
    assert all(phone and re.fullmatch(r"1[3-9]\d{9}", phone) for phone in phones)
    assert len(set(phones)) == len(phones)
    assert residents.filter(sms_opt_out=True).exists() and residents.filter(email_opt_in=True).exists()
    assert residents.filter(preferred_language="en").exists()
