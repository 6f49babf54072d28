"""Contract tests of the communities API (CONTRACT.md "HTTP API")."""

import datetime

import jsonschema
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone, translation
from drf_spectacular.generators import SchemaGenerator
from knox.models import AuthToken
from rest_framework.throttling import ScopedRateThrottle

from communities import services
from communities.models import BodyKind, Community, Post, Residency, Stage, Street, Typology
from communities.permissions import Role
from core import tokens
from tests import factories
from tests.smsbox import sent_code

pytestmark = pytest.mark.django_db

User = get_user_model()
API = "/api/v1/"
PAGE_KEYS = {"count", "next", "previous", "results"}


def token_client(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user)}")
    return api_client


# Logging in


@pytest.mark.parametrize("identifier", ["username", "phone", "email"])
def test_token_from_username_phone_or_email(api_client, identifier):
    user = factories.UserFactory()
    response = api_client.post(
        f"{API}auth/token/", {"username": getattr(user, identifier), "password": factories.PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"token"}
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api_client.get(f"{API}me/").json()["username"] == user.username


def test_each_login_gets_a_token_of_its_own(api_client):
    # Per device (core.tokens, tests/civic/test_tokens.py): logging in again elsewhere
    # neither hands out nor ends another device's key.
    user = factories.UserFactory()
    first = api_client.post(f"{API}auth/token/", {"username": user.username, "password": factories.PASSWORD})
    second = api_client.post(f"{API}auth/token/", {"username": user.username, "password": factories.PASSWORD})
    assert first.json()["token"] != second.json()["token"]


@pytest.mark.parametrize("username", ["user-who-does-not-exist", "13900000000"])
def test_wrong_credentials_are_a_400_with_a_message(api_client, username):
    factories.UserFactory(username="known", phone="13900000000")
    response = api_client.post(
        f"{API}auth/token/", {"username": username, "password": "wrong-password"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "log in" in response.json()["detail"].lower()
    assert not AuthToken.objects.exists()


def test_inactive_user_gets_no_token(api_client):
    user = factories.UserFactory(is_active=False)
    response = api_client.post(f"{API}auth/token/", {"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 400


def test_token_request_without_fields_names_them(api_client):
    response = api_client.post(f"{API}auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_login_is_throttled(api_client, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "3/min")
    for _attempt in range(3):
        assert api_client.post(f"{API}auth/token/", {"username": "x", "password": "y"}).status_code == 400
    response = api_client.post(f"{API}auth/token/", {"username": "x", "password": "y"})
    assert response.status_code == 429
    assert "detail" in response.json()


def test_login_throttle_rate_comes_from_settings(settings):
    assert ScopedRateThrottle.THROTTLE_RATES["login"] == settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"]


def test_a_stale_token_does_not_block_logging_in(api_client):
    user = factories.UserFactory()
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.post(f"{API}auth/token/", {"username": user.username, "password": factories.PASSWORD})
    assert response.status_code == 200


def test_browser_session_works(client):
    user = factories.UserFactory()
    assert client.login(request=HttpRequest(), username=user.username, password=factories.PASSWORD)
    response = client.get(f"{API}me/")
    assert response.status_code == 200
    assert response.json()["username"] == user.username


@pytest.mark.parametrize(
    "header", ["Token not-a-real-token", "Token", "Token two words", "Token 0123456789abcdef0123456789abcdef01234567"]
)
@pytest.mark.parametrize("path", ["me/", "communities/", "typologies/"])
def test_malformed_or_unknown_token_is_a_json_401(api_client, header, path):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get(f"{API}{path}")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


# The logged-in person


def test_me_needs_a_login(api_client):
    response = api_client.get(f"{API}me/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_me_of_a_verified_resident(api_client, community, resident):
    data = token_client(api_client, resident).get(f"{API}me/").json()
    assert {"username", "roles", "community", "phone"} <= set(data)
    assert data["username"] == resident.username
    assert data["roles"] == [Role.RESIDENT]
    assert data["community"] == community.pk
    assert data["phone"] == resident.phone
    assert data["residency_status"] == "verified"
    assert data["pending_community"] is None
    assert data["display_name"] == resident.display_name
    assert data["preferred_language"] == "zh-hans"


def test_me_of_a_pending_resident_without_phone(api_client, community):
    user = factories.UserFactory(phone=None)
    services.residency_request(user=user, community=community)
    data = token_client(api_client, user).get(f"{API}me/").json()
    assert data["phone"] is None
    assert data["community"] is None
    assert data["roles"] == []
    assert data["residency_status"] == "pending"
    assert data["pending_community"] == community.pk


def test_me_without_phone_or_email_answers_as_documented(api_client):
    """Found by fuzzing: `email` was documented as an address, but "" is what a person without one gets."""
    user = factories.UserFactory(phone=None, email="")
    data = token_client(api_client, user).get(f"{API}me/").json()
    email = SchemaGenerator().get_schema(public=True)["components"]["schemas"]["Me"]["properties"]["email"]
    assert data["email"] == ""
    jsonschema.validate(data["email"], email, format_checker=jsonschema.FormatChecker())


def test_me_of_staff_and_council(api_client, community, staff, admin_user):
    council = factories.council_member(community, actor=admin_user)
    data = token_client(api_client, staff).get(f"{API}me/").json()
    assert data["roles"] == [Role.COMMITTEE_STAFF]
    assert data["staff_of"] == [community.pk]
    assert data["community"] is None
    api_client.credentials()
    data = token_client(api_client, council).get(f"{API}me/").json()
    assert data["roles"] == [Role.RESIDENT, Role.COUNCIL_MEMBER]
    assert data["council_of"] == [community.pk]


def test_patch_me_changes_only_what_is_sent(api_client, resident):
    response = token_client(api_client, resident).patch(
        f"{API}me/", {"sms_opt_out": True, "preferred_language": "en"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["sms_opt_out"] is True
    resident.refresh_from_db()
    assert resident.sms_opt_out is True
    assert resident.preferred_language == "en"
    assert resident.display_name == response.json()["display_name"] != ""


def test_patch_me_email_opt_in_needs_an_address(api_client):
    user = factories.UserFactory(email="")
    response = token_client(api_client, user).patch(f"{API}me/", {"email_opt_in": True}, format="json")
    assert response.status_code == 400
    assert "email_opt_in" in response.json()
    user.refresh_from_db()
    assert user.email_opt_in is False


@pytest.mark.parametrize(
    "payload, field",
    [({"preferred_language": "fr"}, "preferred_language"), ({"email": "not-an-address"}, "email")],
)
def test_patch_me_bad_input(api_client, resident, payload, field):
    response = token_client(api_client, resident).patch(f"{API}me/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_patch_me_needs_a_login(api_client):
    assert api_client.patch(f"{API}me/", {"sms_opt_out": True}, format="json").status_code == 401


# Vocabularies

TYPOLOGY_ORDER = [
    "old_neighbourhood",
    "work_unit",
    "commercial_housing",
    "resettlement",
    "affordable_housing",
    "business_district",
    "mixed_function",
    "rural",
]


def test_typologies_in_english(api_client):
    response = api_client.get(f"{API}typologies/", HTTP_ACCEPT_LANGUAGE="en")
    data = response.json()
    assert set(data) == PAGE_KEYS
    assert data["count"] == 8
    assert [item["slug"] for item in data["results"]] == TYPOLOGY_ORDER
    assert data["results"][0] == {"slug": "old_neighbourhood", "label": "Old neighbourhood"}
    assert response["Content-Language"] == "en"


def test_typologies_in_chinese_by_default(api_client):
    response = api_client.get(f"{API}typologies/")
    assert response["Content-Language"] == "zh-hans"
    with translation.override("zh-hans"):
        expected = [str(label) for _value, label in Typology.choices]
    assert [item["label"] for item in response.json()["results"]] == expected


def test_stages(api_client):
    data = api_client.get(f"{API}stages/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [item["slug"] for item in data["results"]] == ["rural", "peri_urban", "urban"]
    assert data["results"][2]["label"] == "City community"


# The directory

COMMUNITY_KEYS = {"id", "name", "typology", "stage", "street", "district"}


@pytest.fixture
def directory(db):
    """Two districts, three streets, communities of several kinds."""
    north = factories.StreetFactory()
    north_b = factories.StreetFactory(district=north.district)
    south = factories.StreetFactory()
    return {
        "old": factories.CommunityFactory(street=north, name="玉林社区", typology=Typology.OLD_NEIGHBOURHOOD),
        "estate": factories.CommunityFactory(street=north_b, name="桐梓林社区", typology=Typology.COMMERCIAL_HOUSING),
        "village": factories.CommunityFactory(
            street=south, name="战旗村", typology=Typology.RURAL, stage=Stage.RURAL, address="郫都区唐昌镇"
        ),
    }


def test_community_list_shape(api_client, directory):
    data = api_client.get(f"{API}communities/").json()
    assert set(data) == PAGE_KEYS
    assert data["count"] == 3
    item = next(i for i in data["results"] if i["id"] == directory["old"].pk)
    assert set(item) >= COMMUNITY_KEYS
    old = directory["old"]
    assert item["name"] == old.name
    assert item["typology"] == "old_neighbourhood"
    assert item["stage"] == "urban"
    assert item["street"] == old.street_id
    assert item["district"] == old.street.district_id
    assert item["street_name"] == old.street.name
    assert item["district_name"] == old.street.district.name
    assert item["code"] == old.code


@pytest.mark.parametrize(
    "query, expected",
    [
        (lambda d: {"typology": "rural"}, ["village"]),
        (lambda d: {"stage": "urban"}, ["old", "estate"]),
        (lambda d: {"district": d["old"].street.district_id}, ["old", "estate"]),
        (lambda d: {"street": d["estate"].street_id}, ["estate"]),
        (lambda d: {"search": "唐昌"}, ["village"]),
        (lambda d: {"search": "林社"}, ["old", "estate"]),
        (lambda d: {"typology": "old_neighbourhood", "district": d["village"].street.district_id}, []),
        (lambda d: {"typology": ""}, ["old", "estate", "village"]),
    ],
)
def test_community_filters(api_client, directory, query, expected):
    data = api_client.get(f"{API}communities/", query(directory)).json()
    assert sorted(i["id"] for i in data["results"]) == sorted(directory[name].pk for name in expected)
    assert data["count"] == len(expected)


@pytest.mark.parametrize(
    "query, field",
    [
        ({"typology": "castle"}, "typology"),
        ({"stage": "suburban"}, "stage"),
        ({"district": "999999"}, "district"),
        ({"district": "north"}, "district"),
        ({"street": "999999"}, "street"),
        ({"street": "1.5"}, "street"),
    ],
)
def test_unknown_filter_values_are_a_400_on_that_field(api_client, directory, query, field):
    response = api_client.get(f"{API}communities/", query)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json()[field][0]


@pytest.mark.parametrize("page", ["99", "0", "last-but-one"])
def test_page_past_the_end_is_a_json_404(api_client, directory, page):
    response = api_client.get(f"{API}communities/", {"page": page})
    assert response.status_code == 404
    assert response.json()["detail"]


def test_pages_link_to_each_other(api_client, directory):
    first = api_client.get(f"{API}communities/", {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["previous"] is None and first["next"]
    second = api_client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


def test_community_detail_shows_bodies_with_current_members(api_client, community, admin_user):
    council = services.body_create(
        actor=admin_user, community=community, kind=BodyKind.DELIBERATION_COUNCIL, name="居民议事会"
    )
    today = timezone.localdate()
    sitting = factories.UserFactory(display_name="王芳")
    services.membership_add(actor=admin_user, body=council, user=sitting, post=Post.CONVENER, term_start=today)
    retired = factories.UserFactory(display_name="李强")
    old = services.membership_add(
        actor=admin_user, body=council, user=retired, post=Post.MEMBER, term_start=today - datetime.timedelta(days=400)
    )
    services.membership_end(actor=admin_user, membership=old, on=today - datetime.timedelta(days=1))
    services.membership_add(
        actor=admin_user,
        body=council,
        user=factories.UserFactory(),
        post=Post.MEMBER,
        term_start=today + datetime.timedelta(days=30),
    )
    services.body_create(actor=admin_user, community=community, kind=BodyKind.SERVICE_CENTRE, name="便民服务中心")

    response = api_client.get(f"{API}communities/{community.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    data = response.json()
    assert COMMUNITY_KEYS | {"households", "population", "address", "bodies"} <= set(data)
    assert data["households"] == community.households
    bodies = {body["kind"]: body for body in data["bodies"]}
    assert set(bodies) == {"deliberation_council", "service_centre"}
    assert bodies["deliberation_council"]["name"] == "居民议事会"
    assert bodies["deliberation_council"]["members"] == [
        {
            "name": "王芳",
            "post": "convener",
            "post_label": "Convener",
            "term_start": today.isoformat(),
            "term_end": None,
        }
    ]
    assert bodies["service_centre"]["members"] == []


@pytest.mark.parametrize("pk", ["999999", "abc"])
def test_unknown_community_is_a_json_404(api_client, pk):
    response = api_client.get(f"{API}communities/{pk}/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_detail_ignores_list_filters(api_client, community):
    assert api_client.get(f"{API}communities/{community.pk}/", {"typology": "castle"}).status_code == 200


def test_communities_are_read_only(api_client, community, staff):
    client = token_client(api_client, staff)
    assert client.post(f"{API}communities/", {"name": "x"}, format="json").status_code == 405
    assert client.patch(f"{API}communities/{community.pk}/", {"name": "x"}, format="json").status_code == 405
    assert client.delete(f"{API}communities/{community.pk}/").status_code == 405
    community.refresh_from_db()
    assert community.name != "x"


def _bulk_communities(count, street):
    start = Community.objects.count()
    Community.objects.bulk_create(
        Community(
            street=street,
            name=f"批量{start + i}社区",
            code=f"B{start + i:06d}",
            typology=TYPOLOGY_ORDER[i % 8],
            stage=Stage.URBAN,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("authenticated", [False, True])
def test_community_list_query_count_does_not_grow(api_client, django_assert_num_queries, authenticated):
    street = factories.StreetFactory()
    if authenticated:
        token_client(api_client, factories.UserFactory())
    # A page count and a page of communities with street and district joined; a token adds its lookup.
    expected = 3 if authenticated else 2
    _bulk_communities(10, street)
    with django_assert_num_queries(expected):
        small = api_client.get(f"{API}communities/")
    _bulk_communities(190, street)
    with django_assert_num_queries(expected):
        large = api_client.get(f"{API}communities/")
    assert small.json()["count"] == 10 and large.json()["count"] == 200
    assert len(large.json()["results"]) == 20
    # A district filter checks that the district exists: one more query, at any size.
    with django_assert_num_queries(expected + 1):
        filtered = api_client.get(f"{API}communities/", {"district": street.district_id, "typology": "rural"})
    assert filtered.json()["count"] == 24


def test_community_detail_query_count_does_not_grow(api_client, django_assert_num_queries, admin_user):
    street = factories.StreetFactory()
    _bulk_communities(10, street)
    small = Community.objects.first()
    body = services.body_create(actor=admin_user, community=small, kind=BodyKind.DELIBERATION_COUNCIL, name="议事会")
    services.membership_add(actor=admin_user, body=body, user=factories.UserFactory(), post=Post.MEMBER)
    with django_assert_num_queries(3):
        api_client.get(f"{API}communities/{small.pk}/")

    _bulk_communities(190, street)
    large = Community.objects.last()
    for kind in (BodyKind.PARTY_ORGANISATION, BodyKind.RESIDENTS_COMMITTEE, BodyKind.DELIBERATION_COUNCIL):
        body = services.body_create(actor=admin_user, community=large, kind=kind, name=str(kind))
        for _i in range(5):
            services.membership_add(actor=admin_user, body=body, user=factories.UserFactory(), post=Post.MEMBER)
    # One query for the community, one for its bodies, one for their current members.
    with django_assert_num_queries(3):
        response = api_client.get(f"{API}communities/{large.pk}/")
    assert sum(len(body["members"]) for body in response.json()["bodies"]) == 15


# Residency requests


def test_ask_to_join_a_community(api_client, community):
    user = factories.UserFactory()
    response = token_client(api_client, user).post(f"{API}residencies/", {"community": community.pk}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["community"] == community.pk
    assert data["status"] == "pending"
    assert data["user"] == user.pk
    assert Residency.objects.get(user=user).status == Residency.Status.PENDING


def test_asking_twice_is_a_409(api_client, community):
    user = factories.UserFactory()
    client = token_client(api_client, user)
    client.post(f"{API}residencies/", {"community": community.pk}, format="json")
    response = client.post(f"{API}residencies/", {"community": community.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"]
    assert Residency.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("value", [999999, "abc", None])
def test_asking_to_join_an_unknown_community_is_a_400(api_client, value):
    client = token_client(api_client, factories.UserFactory())
    response = client.post(f"{API}residencies/", {"community": value}, format="json")
    assert response.status_code == 400
    assert "community" in response.json()
    assert not Residency.objects.exists()


def test_residencies_need_a_login(api_client, community):
    assert api_client.get(f"{API}residencies/").status_code == 401
    assert api_client.post(f"{API}residencies/", {"community": community.pk}, format="json").status_code == 401


@pytest.fixture
def requests_(community, other_community):
    """A pending request in each community."""
    here = services.residency_request(user=factories.UserFactory(), community=community)
    there = services.residency_request(user=factories.UserFactory(), community=other_community)
    return here, there


def test_a_resident_sees_only_their_own_history(api_client, resident, requests_):
    data = token_client(api_client, resident).get(f"{API}residencies/").json()
    assert set(data) == PAGE_KEYS
    assert [item["user"] for item in data["results"]] == [resident.pk]
    assert data["results"][0]["status"] == "verified"


def test_staff_see_their_communitys_requests(api_client, community, staff, resident, requests_):
    here, there = requests_
    client = token_client(api_client, staff)
    data = client.get(f"{API}residencies/").json()
    ids = {item["id"] for item in data["results"]}
    assert here.pk in ids and there.pk not in ids
    assert all(item["community"] == community.pk for item in data["results"])
    pending = client.get(f"{API}residencies/", {"status": "pending"}).json()
    assert [item["id"] for item in pending["results"]] == [here.pk]
    assert pending["results"][0]["user_name"] == here.user.name


def test_officials_see_requests_under_their_district(api_client, community, requests_):
    here, there = requests_
    official = factories.official(district=community.street.district)
    data = token_client(api_client, official).get(f"{API}residencies/").json()
    assert [item["id"] for item in data["results"]] == [here.pk]


@pytest.mark.parametrize("query, field", [({"status": "maybe"}, "status"), ({"community": "999999"}, "community")])
def test_residency_bad_filters_are_a_400(api_client, staff, query, field):
    response = token_client(api_client, staff).get(f"{API}residencies/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_staff_verify_a_request(api_client, community, staff, requests_):
    here, _there = requests_
    response = token_client(api_client, staff).post(f"{API}residencies/{here.pk}/verify/")
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    here.refresh_from_db()
    assert here.status == Residency.Status.VERIFIED and here.decided_by == staff
    api_client.credentials()
    assert token_client(api_client, here.user).get(f"{API}me/").json()["community"] == community.pk


def test_staff_reject_a_request_with_a_note(api_client, staff, requests_):
    here, _there = requests_
    response = token_client(api_client, staff).post(
        f"{API}residencies/{here.pk}/reject/", {"note": "查无此人"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["decision_note"] == "查无此人"


@pytest.mark.parametrize("decision", ["verify", "reject"])
def test_deciding_twice_is_a_409(api_client, staff, requests_, decision):
    here, _there = requests_
    client = token_client(api_client, staff)
    assert client.post(f"{API}residencies/{here.pk}/{decision}/").status_code == 200
    response = client.post(f"{API}residencies/{here.pk}/{decision}/")
    assert response.status_code == 409
    assert response.json()["detail"]


@pytest.mark.parametrize("decision", ["verify", "reject"])
def test_staff_of_another_community_cannot_see_or_decide(api_client, other_community, requests_, decision):
    here, _there = requests_
    outsider = factories.staff_member(other_community)
    response = token_client(api_client, outsider).post(f"{API}residencies/{here.pk}/{decision}/")
    assert response.status_code == 404
    here.refresh_from_db()
    assert here.status == Residency.Status.PENDING


@pytest.mark.parametrize("who", ["applicant", "official"])
def test_those_who_see_but_do_not_run_the_community_get_403(api_client, community, requests_, who):
    here, _there = requests_
    user = here.user if who == "applicant" else factories.official(street=community.street)
    response = token_client(api_client, user).post(f"{API}residencies/{here.pk}/verify/")
    assert response.status_code == 403
    assert response.json()["detail"]
    here.refresh_from_db()
    assert here.status == Residency.Status.PENDING


def test_a_note_too_long_is_a_400(api_client, staff, requests_):
    here, _there = requests_
    response = token_client(api_client, staff).post(
        f"{API}residencies/{here.pk}/reject/", {"note": "x" * 201}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()


# Signing up


def _counts():
    return User.objects.count(), Residency.objects.count(), AuthToken.objects.count()


SIGN_UP = {"password": "tianfu-square-2026", "accept_terms": True}


def test_sign_up_confirms_the_phone_then_the_code_logs_in(api_client, community, sms_box):
    response = api_client.post(
        f"{API}auth/signup/",
        {**SIGN_UP, "community": community.pk, "phone": "138 0000 1111", "display_name": "张伟"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 202
    assert response.json()["confirm_with"] == "sms"
    # Nothing exists until the number is confirmed.
    assert not User.objects.filter(phone="13800001111").exists()
    code = sent_code(sms_box, "13800001111")
    login = api_client.post(f"{API}auth/sms-login/", {"phone": "13800001111", "code": code}, format="json")
    assert login.status_code == 200 and login.json()["created"] is True
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    data = api_client.get(f"{API}me/").json()
    assert data["phone"] == "13800001111"
    assert data["display_name"] == "张伟"
    assert data["residency_status"] == "pending"
    assert data["pending_community"] == community.pk
    assert data["community"] is None
    assert data["preferred_language"] == "en"
    user = User.objects.get(phone="13800001111")
    assert user.check_password("tianfu-square-2026")
    assert user.terms_version and user.privacy_version and user.consented_at


def test_sign_up_with_email_only_mails_a_link(api_client, community, mailoutbox):
    response = api_client.post(
        f"{API}auth/signup/", {**SIGN_UP, "community": community.pk, "email": "Zhang@Example.cn"}, format="json"
    )
    assert response.status_code == 202 and response.json()["confirm_with"] == "email"
    assert not User.objects.filter(email="zhang@example.cn").exists()
    assert mailoutbox[-1].to == ["zhang@example.cn"]
    link = next(word for word in mailoutbox[-1].body.split() if "/accounts/signup/confirm/" in word)
    finished = Client().post(link.replace("http://testserver", ""))
    assert finished.status_code == 302
    assert User.objects.get(email="zhang@example.cn").phone is None


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"phone": "12345"}, "phone"),
        ({}, "phone"),
        ({"phone": "13800009999", "community": 999999}, "community"),
        ({"phone": "13800009999", "community": "first"}, "community"),
        ({"phone": "13800009999", "password": "123"}, "password"),
        ({"phone": "13800009999", "password": "13800009999"}, "password"),
        ({"phone": "13800009999", "preferred_language": "fr"}, "preferred_language"),
        ({"phone": "13800009999", "accept_terms": False}, "accept_terms"),
        ({"phone": "13800009999", "display_name": "\u200b\u200b"}, None),
        ({"phone": "13800009999", "display_name": "李婷\u202e员人作工"}, "display_name"),
    ],
)
def test_bad_sign_up_is_a_field_error_and_saves_nothing(api_client, community, payload, field, sms_box):
    before = _counts()
    body = {**SIGN_UP, "community": community.pk, **payload}
    response = api_client.post(f"{API}auth/signup/", body, format="json")
    if field is None:
        # An invisible display name is no name: the sign-up goes on without one.
        assert response.status_code == 202
        return
    assert response.status_code == 400
    assert field in response.json()
    assert _counts() == before
    assert not list(sms_box.rglob("*.txt"))


def test_sign_up_is_throttled(api_client, community, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "1/min")
    api_client.post(f"{API}auth/signup/", {}, format="json")
    assert api_client.post(f"{API}auth/signup/", {}, format="json").status_code == 429


def test_street_ids_in_the_directory_point_at_real_streets(api_client, directory):
    ids = {item["street"] for item in api_client.get(f"{API}communities/").json()["results"]}
    assert ids == set(Street.objects.values_list("pk", flat=True))


def test_unknown_endpoint_is_a_json_404(api_client):
    response = api_client.get(f"{API}no-such-thing/")
    assert response.status_code == 404
    assert response.json()["detail"]
    assert api_client.get(f"{API}me").status_code == 301


def test_unknown_endpoint_with_a_newline_is_a_json_404(api_client):
    """Found by fuzzing: a newline in the path slipped past the catch-all to Django's HTML 404."""
    response = api_client.get(f"{API}tasks/6%0A/")
    assert response.status_code == 404 and response.json()["detail"]


def test_too_many_files_is_a_json_400(api_client, staff, settings):
    """Found by fuzzing: Django's guard on the number of files answered an HTML page. (Only the
    operations that upload files take multipart: announcements here.)"""
    count = settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1
    files = {f"file{n}": SimpleUploadedFile(f"{n}.txt", b"x") for n in range(count)}
    response = token_client(api_client, staff).post(f"{API}announcements/", files, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_files"
    assert str(settings.DATA_UPLOAD_MAX_NUMBER_FILES) in response.json()["detail"]


def test_a_form_body_is_refused_where_no_file_is_uploaded(api_client, resident):
    response = token_client(api_client, resident).post(f"{API}residencies/", {"community": 1}, format="multipart")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


def test_unknown_endpoint_is_a_json_404_for_a_browser_session_post_too(resident):
    """Found by fuzzing: CSRF's HTML 403 page used to answer a logged-in POST to a mistyped path."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident)
    response = client.post(f"{API}meetings/x/agenda/")
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "communities/?district=99999999999999999999999",
        "communities/?street=-1",
        "communities/99999999999999999999999/",
        "residencies/99999999999999999999999/verify/",
        "residencies/?community=99999999999999999999999",
    ],
)
def test_huge_ids_are_a_4xx_not_a_crash(api_client, staff, path):
    client = token_client(api_client, staff)
    response = client.post(f"{API}{path}") if path.endswith("verify/") else client.get(f"{API}{path}")
    assert response.status_code in (400, 404)
    assert response.json()


@pytest.mark.parametrize("body", ["[]", '"text"', "{not json"])
def test_malformed_bodies_are_a_400(api_client, community, body):
    for path in ("auth/token/", "auth/signup/"):
        response = api_client.post(f"{API}{path}", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()
