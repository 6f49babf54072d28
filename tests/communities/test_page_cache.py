"""Anonymous visitors' pages from the cache (core/page_cache.py): served again without
the database, each visitor with a CSRF token of their own, replaced as soon as the data changes."""

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.page_cache import CSRF_PLACEHOLDER
from tests import factories

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_directory_is_served_again_without_the_database(client, db):
    factories.CommunityFactory(name="桂溪社区")
    assert client.get("/communities/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/communities/")
    assert page.status_code == 200 and "桂溪社区" in page.content.decode()
    assert len(queries) == 0, [q["sql"][:150] for q in queries]


def test_each_visitor_gets_a_working_csrf_token_of_their_own(db):
    factories.CommunityFactory()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get("/communities/")
    page = second.get("/communities/")
    html = page.content.decode()
    assert CSRF_PLACEHOLDER.decode() not in html
    token = TOKEN.search(html).group(1)
    assert token != TOKEN.search(first.get("/communities/").content.decode()).group(1)
    assert "csrftoken" in page.cookies
    switched = second.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert switched.status_code == 302


def test_a_new_or_renamed_community_shows_at_once(client, db):
    community = factories.CommunityFactory(name="桂溪社区")
    client.get("/communities/")
    factories.CommunityFactory(name="芳草社区")
    community.name = "新桂溪社区"
    community.save()
    html = client.get("/communities/").content.decode()
    assert "芳草社区" in html and "新桂溪社区" in html


def test_logged_in_people_and_each_filter_get_their_own_page(client, db):
    community = factories.CommunityFactory(name="桂溪社区")
    factories.CommunityFactory(name="芳草社区", stage="rural")
    client.get("/communities/")
    assert "芳草社区" not in client.get("/communities/?stage=urban").content.decode()
    person = factories.resident(community, actor=factories.superuser())
    client.force_login(person)
    assert person.name in client.get("/communities/").content.decode()


def test_a_refused_filter_is_not_kept(client, db):
    assert client.get("/communities/?stage=nowhere").status_code == 400
    assert client.get("/communities/?stage=nowhere").status_code == 400
