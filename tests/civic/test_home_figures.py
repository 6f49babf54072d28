"""Home's figures counted once and kept (civic/home.py), and anonymous visitors' copy of home
from the page cache: each change shows on the next request, for visitors and logged-in people."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities import services
from communities.models import Stage, Typology
from tests import factories


def figures(client):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


@pytest.fixture
def visitor():
    return Client()


@pytest.fixture
def reader(community, admin_user):
    client = Client()
    client.force_login(factories.resident(community, actor=admin_user))
    return client


def test_home_served_again_counts_nothing(visitor, reader, community):
    visitor.get(reverse("home"))
    reader.get(reverse("home"))
    with CaptureQueriesContext(connection) as anonymous:
        assert visitor.get(reverse("home")).status_code == 200
    assert len(anonymous) == 0, [q["sql"][:120] for q in anonymous]
    with CaptureQueriesContext(connection) as logged_in:
        assert reader.get(reverse("home")).status_code == 200
    assert not [q for q in logged_in if "residency" in q["sql"] and "COUNT" in q["sql"].upper()]


def test_a_residency_verified_or_ended_shows_at_once_for_everyone(visitor, reader, community, admin_user):
    assert figures(visitor)["Verified residents"] == figures(reader)["Verified residents"] == "1"
    newcomer = factories.UserFactory()
    residency = services.residency_request(user=newcomer, community=community)
    assert figures(visitor)["Verified residents"] == "1"  # asked, not verified yet
    services.residency_verify(actor=admin_user, residency=residency)
    assert figures(visitor)["Verified residents"] == figures(reader)["Verified residents"] == "2"
    residency.refresh_from_db()
    residency.delete()
    assert figures(visitor)["Verified residents"] == figures(reader)["Verified residents"] == "1"


def test_a_new_community_or_district_shows_at_once(visitor, reader, community):
    before = figures(visitor)
    factories.CommunityFactory(typology=Typology.RURAL, stage=Stage.RURAL)  # on a street of a new district
    after = figures(visitor)
    assert int(after["Communities and villages"]) == int(before["Communities and villages"]) + 1
    assert int(after["Districts and counties"]) == int(before["Districts and counties"]) + 1
    assert figures(reader) == after
    page = visitor.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'typology=rural">\s*<span class="typology__label">[^<]+</span>\s*<span[^>]*>1 community<', page)


def test_a_logged_in_person_never_gets_the_visitors_copy(visitor, reader):
    anonymous = visitor.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    mine = reader.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("signup") in anonymous and reverse("profile") not in anonymous
    assert reverse("profile") in mine
    assert reverse("login") in visitor.get(reverse("home")).content.decode()
