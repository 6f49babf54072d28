"""A community's page for anonymous visitors from the page cache (communities/page_scopes.py,
information's and deliberation's declarations): served again without the database, and each
change it shows (the community, its bodies and post-holders and their names, a body's profile,
the services, the council rules) shows on the next request."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities import services
from communities.models import BodyKind, Post
from deliberation import services as deliberation_services
from information import services as information_services
from tests import factories


@pytest.fixture
def visitor():
    client = Client()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page(client, community):
    response = client.get(f"/communities/{community.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def council(community, admin_user):
    return services.body_create(
        actor=admin_user, community=community, kind=BodyKind.DELIBERATION_COUNCIL, name="议事会"
    )


def test_served_again_without_the_database(visitor, community):
    page(visitor, community)
    with CaptureQueriesContext(connection) as queries:
        assert community.name in page(visitor, community)
    assert len(queries) == 0, [q["sql"][:120] for q in queries]


def test_the_community_its_street_and_district_show_at_once(visitor, community):
    page(visitor, community)
    community.address = "锦江大道 1 号"
    community.save()
    assert "锦江大道 1 号" in page(visitor, community)
    district = community.street.district
    district.name = "新锦江区"
    district.save()
    assert "新锦江区" in page(visitor, community)
    street = community.street
    street.name = "新春熙路街道"
    street.save()
    assert "新春熙路街道" in page(visitor, community)


def test_a_body_a_post_holder_and_a_new_name_show_at_once(visitor, community, admin_user):
    assert "No bodies are recorded for this community yet." in page(visitor, community)
    body = services.body_create(
        actor=admin_user, community=community, kind=BodyKind.DELIBERATION_COUNCIL, name="议事会"
    )
    assert "议事会" in page(visitor, community)
    person = factories.resident(community, actor=admin_user, display_name="张秀英")
    membership = services.membership_add(
        actor=admin_user, body=body, user=person, post=Post.CONVENER, term_start=datetime.date(2020, 1, 1)
    )
    assert "张秀英" in page(visitor, community)
    services.profile_update(
        user=person, display_name="张秀兰", preferred_language="zh-hans", sms_opt_out=False, email_opt_in=False
    )
    assert "张秀兰" in page(visitor, community)
    services.membership_end(
        actor=admin_user, membership=membership, on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert "张秀兰" not in page(visitor, community)


def test_a_login_keeps_the_page(visitor, community, council, admin_user):
    person = factories.resident(community, actor=admin_user)
    services.membership_add(actor=admin_user, body=council, user=person, post=Post.MEMBER)
    page(visitor, community)
    Client().force_login(person)  # saves last_login only
    with CaptureQueriesContext(connection) as queries:
        page(visitor, community)
    assert len(queries) == 0


def test_a_profile_a_service_and_the_council_rules_show_at_once(visitor, community, council, admin_user):
    page(visitor, community)
    information_services.body_profile_update(actor=admin_user, body=council, office_hours="每周三下午")
    assert "每周三下午" in page(visitor, community)
    centre = services.body_create(actor=admin_user, community=community, kind=BodyKind.SERVICE_CENTRE, name="服务中心")
    information_services.service_create(
        actor=admin_user,
        provider=centre,
        name="老年助餐",
        category="elderly",
        description="每天中午供餐。",
        location="服务中心一楼",
        hours="11:00-13:00",
        how_to_apply="到服务中心登记。",
    )
    assert "老年助餐" in page(visitor, community)
    before = page(visitor, community)
    deliberation_services.council_rules_update(actor=admin_user, community=community, quorum_numerator=3)
    assert page(visitor, community) != before


def test_a_logged_in_person_gets_a_page_of_their_own(visitor, community, admin_user):
    anonymous = page(visitor, community)
    assert "Sign up to join" in anonymous
    resident = Client(HTTP_ACCEPT_LANGUAGE="en")
    resident.force_login(factories.resident(community, actor=admin_user))
    mine = page(resident, community)
    assert "You are a verified resident of this community" in mine and "Sign up to join" not in mine
    assert "You are a verified resident of this community" not in page(visitor, community)
