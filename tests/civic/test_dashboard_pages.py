"""The dashboards as pages, exports and API: who may read what, bad input, and the cost."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from civic import dashboard_tables
from tests import factories
from tests.fixtures.town import grow

pytestmark = pytest.mark.django_db

PANELS = [key for key, _label in dashboard_tables.PANELS]
CONTRACT_KEYS = ("satisfaction_by_body", "activity_participation", "topics_by_step", "overdue", "cadres")


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def api_client(api_client):
    api_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return api_client


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# The page --------------------------------------------------------------------------------------------


def test_an_official_sees_their_area_with_every_panel(client, town):
    client.force_login(town.street_official)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("玉林东路社区", "倪家桥社区"):
        assert name in page
    for name in ("洗面桥社区", "明月村"):
        assert name not in page
    for key in PANELS:
        assert f'id="panel-{key}"' in page
        for fmt in ("csv", "xlsx"):
            assert f'href="/dashboard/export/{key}.{fmt}?' in page
    # Every community links to its own dashboard; charts are inline SVG with a title.
    assert f'href="{reverse("dashboard-community", args=[town.a.pk])}"' in page
    assert '<svg class="chart" role="img"' in page
    assert "<script" not in page.split("<main", 1)[1]


def test_each_chart_has_its_numbers_in_a_table_beside_it(client, town):
    client.force_login(town.admin)
    page = client.get(reverse("dashboard")).content.decode()
    for figure in page.split('<figure class="dash-figure')[1:]:
        figure = figure.split("</figure>", 1)[0]
        if "<svg" in figure:
            assert "<table" in figure


def test_the_filters_narrow_the_page(client, town):
    client.force_login(town.admin)
    page = client.get(reverse("dashboard"), {"typology": "rural"}).content.decode()
    assert "洗面桥社区" in page
    assert "倪家桥社区" not in page


def test_a_communitys_own_dashboard(client, town):
    client.force_login(town.district_official)
    response = client.get(reverse("dashboard-community", args=[town.a.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Dashboard of 玉林东路社区" in page
    assert 'id="panel-typologies"' not in page
    assert f'href="/dashboard/communities/{town.a.pk}/export/participation.csv?' in page
    assert client.get(reverse("dashboard-community", args=[town.f.pk])).status_code == 403
    assert client.get(reverse("dashboard-community", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "params, status, message",
    [
        ({"typology": "castle"}, 400, "castle is not one of the eight typologies."),
        ({"since": "2026-05-01", "until": "2026-01-01"}, 400, "The period ends before it starts"),
        ({"street": "999999"}, 400, "No street or town has this number."),
        ({"district": "x"}, 400, "A district is given by its number."),
    ],
)
def test_bad_filters_get_a_clear_message(client, town, params, status, message):
    client.force_login(town.street_official)
    response = client.get(reverse("dashboard"), params)
    assert response.status_code == status
    page = response.content.decode()
    assert message in page
    assert "玉林东路社区" not in page.split('<form class="filters', 1)[1].split("</form>", 1)[1]


def test_a_street_outside_the_officials_district_is_forbidden(client, town):
    client.force_login(town.far_official)
    for params in ({"street": town.s1.pk}, {"district": town.d1.pk}):
        response = client.get(reverse("dashboard"), params)
        assert response.status_code == 403
        page = response.content.decode()
        assert "outside the area you oversee" in page
        assert "玉林东路社区" not in page


def test_residents_staff_and_visitors_are_kept_out(client, town):
    for user in (town.p.a1, town.staff_a):
        client.force_login(user)
        response = client.get(reverse("dashboard"))
        assert response.status_code == 403
        assert "The dashboards are for street and district officials." in response.content.decode()
        assert client.get("/dashboard/export/participation.csv").status_code == 403
    client.logout()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_navigation_offers_the_dashboard_to_officials_only(client, town):
    link = f'href="{reverse("dashboard")}"'
    for user, shown in ((town.admin, True), (town.district_official, True), (town.staff_a, False), (town.p.a1, False)):
        client.force_login(user)
        assert (link in client.get(reverse("home")).content.decode()) is shown


# Exports ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("panel", PANELS)
def test_every_panel_exports_csv_and_xlsx(client, town, panel):
    client.force_login(town.admin)
    response = client.get(f"/dashboard/export/{panel}.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][0].startswith("Civic dashboard:")
    assert len(rows) > 6
    response = client.get(f"/dashboard/export/{panel}.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames
    assert workbook.worksheets[0]["A1"].value.startswith("Civic dashboard:")


def test_exports_hold_the_figures_of_the_page(client, town):
    client.force_login(town.admin)
    rows = _csv(client.get("/dashboard/export/satisfaction.csv"))
    party = next(row for row in rows if row and row[0] == "Party organisation")
    assert party[1:] == ["4", "3", "75.0"]
    rows = _csv(client.get("/dashboard/export/participation.csv", {"typology": "commercial_housing"}))
    assert ["Attended a community activity", "2", "100.0"] in rows
    assert any("Commercial housing estate" in " ".join(row) for row in rows[:3])


def test_an_officials_exports_hold_only_their_area(client, town):
    client.force_login(town.street_official)
    text = client.get("/dashboard/export/communities.csv").content.decode("utf-8-sig")
    assert "玉林东路社区" in text and "倪家桥社区" in text
    assert "洗面桥社区" not in text and "明月村" not in text
    text = client.get("/dashboard/export/evaluation.csv").content.decode("utf-8-sig")
    assert "洗面桥社区" not in text
    assert client.get("/dashboard/export/communities.csv", {"street": town.s2.pk}).status_code == 403
    assert client.get(f"/dashboard/communities/{town.c.pk}/export/participation.csv").status_code == 403
    assert client.get("/dashboard/export/nothing.csv").status_code == 404
    assert client.get("/dashboard/export/communities.pdf").status_code == 404


def test_a_formula_in_a_name_is_exported_as_text(client, town):
    town.a.name = "=HYPERLINK(1)"
    town.a.save(update_fields=["name"])
    client.force_login(town.admin)
    rows = _csv(client.get("/dashboard/export/communities.csv"))
    assert [row[0] for row in rows if row and "HYPERLINK" in row[0]] == ["'=HYPERLINK(1)"]


# The API ---------------------------------------------------------------------------------------------


def test_the_api_answers_with_the_contracts_keys(api_client, town):
    api_client.force_authenticate(town.admin)
    response = api_client.get("/api/v1/dashboard/")
    assert response.status_code == 200
    data = response.json()
    for key in CONTRACT_KEYS:
        assert key in data
    assert data["satisfaction_by_body"] == {
        "party_organisation": 75.0,
        "residents_committee": 50.0,
        "deliberation_council": 50.0,
        "service_centre": 50.0,
    }
    assert data["activity_participation"]["under_2"] == 88.89
    assert data["topics_by_step"]["archive"] == 2
    assert data["overdue"] == 1
    assert data["overdue_topics"][0]["id"] == town.topics.t4.pk
    assert data["cadres"]["over_50"] == 50.0
    assert data["cadres"]["education"]["bachelor"] == 25.0


def test_the_api_takes_the_same_filters(api_client, town):
    api_client.force_authenticate(town.admin)
    data = api_client.get(
        "/api/v1/dashboard/", {"district": town.d1.pk, "street": town.s1.pk, "typology": "old_neighbourhood"}
    ).json()
    assert [row["name"] for row in data["communities"]] == ["玉林东路社区"]
    assert data["satisfaction_by_body"]["deliberation_council"] == 0.0


def test_the_api_shows_an_official_only_their_area(api_client, town):
    api_client.force_authenticate(town.far_official)
    data = api_client.get("/api/v1/dashboard/").json()
    assert [row["name"] for row in data["communities"]] == ["明月村"]
    response = api_client.get("/api/v1/dashboard/", {"street": town.s1.pk})
    assert response.status_code == 403
    assert "outside the area" in response.json()["detail"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"typology": "castle"}, "typology"),
        ({"until": "2020-01-01", "since": "2021-01-01"}, "until"),
        ({"street": "abc"}, "street"),
    ],
)
def test_the_api_refuses_bad_filters(api_client, town, params, field):
    api_client.force_authenticate(town.admin)
    response = api_client.get("/api/v1/dashboard/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_the_api_is_for_officials(api_client, town):
    assert api_client.get("/api/v1/dashboard/").status_code == 401
    api_client.force_authenticate(town.p.a1)
    response = api_client.get("/api/v1/dashboard/")
    assert response.status_code == 403
    assert response.json()["detail"] == "The dashboards are for street and district officials."


# Cost ------------------------------------------------------------------------------------------------

# session, user, the official's roles (5), places and the figures (12), the header's unread count
PAGE_QUERIES = 2 + 5 + 13 + 1
# warm: session, user, roles, unread count; places and figures come from the cache
WARM_PAGE_QUERIES = 2 + 5 + 1


@pytest.mark.parametrize("communities", [5, 50])
def test_page_and_api_query_counts_do_not_grow(client, api_client, town, django_assert_num_queries, communities):
    grow(town, communities - 4)
    client.force_login(town.district_official)
    with django_assert_num_queries(PAGE_QUERIES):
        assert client.get(reverse("dashboard")).status_code == 200
    with django_assert_num_queries(WARM_PAGE_QUERIES):
        assert client.get(reverse("dashboard")).status_code == 200
    api_client.force_authenticate(town.district_official)
    from django.core.cache import cache

    cache.clear()
    with django_assert_num_queries(5 + 13):
        assert api_client.get("/api/v1/dashboard/").status_code == 200


def test_a_new_official_can_grow_into_an_area(client, town):
    """An official whose district has no community yet gets an empty page, not an error."""
    empty = factories.DistrictFactory(name="新津区")
    official = factories.official(district=empty, actor=town.admin)
    client.force_login(official)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "No community matches these filters." in response.content.decode()
