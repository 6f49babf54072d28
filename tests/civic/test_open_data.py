"""Decisions as open data: the page and the CSV / JSON export of archived topics."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.models import Topic, TrailEntry
from deliberation.workflow import Step
from tests import factories
from tests.fixtures.world import Flow

pytestmark = pytest.mark.django_db

URL = "/api/v1/open-data/decisions/"


@pytest.fixture
def flow(world, time_machine):
    return Flow(world, time_machine)


@pytest.fixture
def decided(flow):
    """An adopted topic archived after all seven steps, one rejected at review, one still open."""
    adopted = flow.at(Step.ARCHIVE, title="更换楼道灯")
    rejected = flow.raise_topic(title="在小区里养鸡")
    flow.to_review(rejected)
    from deliberation import services

    services.topic_advance(actor=flow.w.staff, topic=rejected, to=Step.ARCHIVE, note="不在议事会职权范围内")
    flow.raise_topic(title="还在收集的议题")
    return {"adopted": Topic.objects.get(pk=adopted.pk), "rejected": Topic.objects.get(pk=rejected.pk)}


def results(response):
    assert response.status_code == 200, response.content
    return {item["title"]: item for item in response.json()["results"]}


def test_json_export_has_outcome_resolution_tally_steps_and_hashes(api_client, decided, flow):
    items = results(api_client.get(URL, {"format": "json"}))
    assert set(items) == {"更换楼道灯", "在小区里养鸡"}
    adopted = items["更换楼道灯"]
    assert adopted["outcome"] == "adopted" and "楼道灯" in adopted["resolution"]
    assert adopted["tally"]["for"] == 3 and adopted["tally"]["passed"] is True
    assert [s["step"] for s in adopted["steps"]] == [s.value for s in Step]
    topic = decided["adopted"]
    hashes = list(TrailEntry.objects.filter(topic=topic).order_by("seq").values_list("hash", flat=True))
    assert adopted["trail"] == {"entries": len(hashes), "head": hashes[-1]}
    assert all(step["hash"] in hashes for step in adopted["steps"])
    rejected = items["在小区里养鸡"]
    assert rejected["outcome"] == "rejected" and rejected["tally"] is None
    assert rejected["outcome_reason"] == "不在议事会职权范围内"
    assert [s["step"] for s in rejected["steps"]] == ["collect", "review", "archive"]


def test_no_personal_data_of_residents(api_client, decided, flow):
    text = api_client.get(URL).content.decode() + api_client.get(URL, {"format": "csv"}).getvalue().decode()
    people = [flow.w.author, flow.w.resident, flow.w.staff, *flow.w.council, flow.w.supervisor]
    for person in people:
        for value in (person.display_name, person.username, person.phone, person.email):
            assert value and value not in text, value
    assert decided["adopted"].body not in text


def test_csv_export_is_a_whole_file_with_a_header(api_client, decided):
    response = api_client.get(URL, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.getvalue().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {row["title"] for row in rows} == {"更换楼道灯", "在小区里养鸡"}
    adopted = next(row for row in rows if row["title"] == "更换楼道灯")
    assert adopted["votes_for"] == "3" and adopted["archive_hash"] and adopted["trail_head"]


def test_filters_by_place(api_client, decided, flow):
    community = flow.w.community
    assert len(results(api_client.get(URL, {"community": community.pk}))) == 2
    assert len(results(api_client.get(URL, {"street": community.street_id}))) == 2
    assert len(results(api_client.get(URL, {"district": community.street.district_id}))) == 2
    assert results(api_client.get(URL, {"community": flow.w.other_community.pk})) == {}


def test_filters_by_period(api_client, decided):
    archived = timezone.localdate(decided["adopted"].archived_at)
    day = archived.isoformat()
    assert "更换楼道灯" in results(api_client.get(URL, {"since": day, "until": day}))
    before = (archived - timezone.timedelta(days=400)).isoformat()
    assert results(api_client.get(URL, {"until": before})) == {}


@pytest.mark.parametrize(
    "params,field",
    [
        ({"since": "2026-03-01", "until": "2026-02-01"}, "until"),
        ({"since": "yesterday"}, "since"),
        ({"district": 999999}, "district"),
        ({"community": "abc"}, "community"),
    ],
)
def test_bad_filters_are_400_with_a_clear_message(api_client, client, params, field):
    response = api_client.get(URL, params)
    assert response.status_code == 400 and field in response.json()
    csv_response = api_client.get(URL, {**params, "format": "csv"})
    assert csv_response.status_code == 400 and field in csv_response.json()  # errors are JSON, even for CSV
    page = client.get(reverse("open-data-decisions"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 400 and 'role="alert"' in page.content.decode()


def test_end_before_start_message(api_client):
    response = api_client.get(URL, {"since": "2026-03-01", "until": "2026-02-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "before its start" in response.json()["until"][0]


def test_unknown_format_is_400(api_client):
    response = api_client.get(URL, {"format": "xml"})
    assert response.status_code == 400 and "format" in response.json()


def test_page_lists_decisions_with_download_links(client, decided):
    html = client.get(reverse("open-data-decisions"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "更换楼道灯" in html and "还在收集的议题" not in html
    assert "format=csv" in html and decided["adopted"].trail.order_by("-seq").first().hash[:12] in html


def _archive_many(count):
    """Archived topics written directly: the export reads rows, whatever wrote them."""
    from deliberation import trail

    community = factories.CommunityFactory()
    author = factories.UserFactory()
    now = timezone.now()
    for n in range(count):
        topic = Topic.objects.create(
            community=community, title=f"议题{n}", body="内容", raised_by=author, step=Step.ARCHIVE,
            outcome="rejected", archived_at=now,
        )  # fmt: skip
        from django.db import transaction

        with transaction.atomic():
            trail.append(topic=topic, kind="raised", data={})
            trail.append(topic=topic, kind="step", data={"from": "collect", "to": "archive"})


@pytest.mark.parametrize("count", [2, 30])
def test_query_counts_are_flat(api_client, client, django_assert_num_queries, count):
    _archive_many(count)
    with django_assert_num_queries(4):  # count, page with trail heads, step entries, votes
        assert api_client.get(URL).status_code == 200
    with django_assert_num_queries(6):  # + the district and street choices of the filter form
        assert client.get(reverse("open-data-decisions")).status_code == 200
