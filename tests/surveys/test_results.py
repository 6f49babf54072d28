"""Results equal figures worked out by hand on a small fixture; pages, API and exports agree;
their query counts do not grow with the number of answers."""

import csv
import datetime
import io

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from openpyxl import load_workbook

from surveys import selectors, services
from surveys.models import Answer, Scope
from tests import factories

from .conftest import answers_for, build_survey

pytestmark = pytest.mark.django_db

# Ages are counted at the time of answering: fix the year.
SOMEDAY = datetime.datetime(2026, 6, 1, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(SOMEDAY, tick=False):
        yield


@pytest.fixture
def answered(frozen, city):
    """Four residents of two communities of one street answer a street survey.

    | who                      | single | multiple     | scale | number | text     |
    | resident (home, 1950)    | 主街   | 灯坏, 太暗   | 2     | 3      | 路灯坏了 |
    | resident2 (home, 1990)   | 楼道   | 太暗         | 4     | 5      |          |
    | neighbour (n'bour, 1975) | 主街   | 灯坏,太暗,太亮 | 5   |        | 太亮了   |
    | unknown (home, no year)  | 主街   | 没有         | 2     |        |          |
    """
    q = build_survey(city.admin, scope=Scope.STREET, place=city.street, title="街道照明调查")
    unknown = factories.resident(city.home, actor=city.admin, birth_year=None)
    services.response_submit(
        actor=city.resident,
        survey=q.survey,
        answers=answers_for(q, single=0, multiple=(0, 1), scale=2, number=3, text="路灯坏了"),
    )
    services.response_submit(
        actor=city.resident2, survey=q.survey, answers=answers_for(q, single=1, multiple=(1,), scale=4, number=5)
    )
    services.response_submit(
        actor=city.neighbour_resident,
        survey=q.survey,
        answers=answers_for(q, single=0, multiple=(0, 1, 2), scale=5, text="太亮了"),
    )
    services.response_submit(actor=unknown, survey=q.survey, answers=answers_for(q, single=0, multiple=(3,), scale=2))
    return q


def by_id(results, question):
    return next(entry for entry in results["questions"] if entry["id"] == question.pk)


def test_counts_and_percentages_per_choice(answered):
    results = selectors.survey_results(answered.survey)
    assert results["respondents"] == 4
    single = by_id(results, answered.single)
    assert single["answered"] == 4
    assert [(c["label"], c["count"], c["percent"]) for c in single["choices"]] == [
        ("主街", 3, 75.0),
        ("楼道", 1, 25.0),
        ("停车棚", 0, 0.0),
    ]
    multiple = by_id(results, answered.multiple)
    # Percentages of those who answered: several answers each, so they add up past 100.
    assert [(c["label"], c["count"], c["percent"]) for c in multiple["choices"]] == [
        ("灯坏", 2, 50.0),
        ("太暗", 3, 75.0),
        ("太亮", 1, 25.0),
        ("没有", 1, 25.0),
    ]


def test_scale_mean_and_distribution_and_number_summary(answered):
    results = selectors.survey_results(answered.survey)
    scale = by_id(results, answered.scale)
    assert scale["mean"] == 3.25
    assert [(p["value"], p["count"], p["percent"]) for p in scale["distribution"]] == [
        (1, 0, 0.0),
        (2, 2, 50.0),
        (3, 0, 0.0),
        (4, 1, 25.0),
        (5, 1, 25.0),
    ]
    number = by_id(results, answered.number)
    assert (number["answered"], number["skipped"]) == (2, 2)
    assert number["summary"] == {"count": 2, "mean": 4.0, "median": 4, "min": 3, "max": 5}


def test_breakdowns_by_typology_stage_and_age_band(answered):
    single = by_id(selectors.survey_results(answered.survey), answered.single)["breakdowns"]
    old = next(row for row in single["typology"] if row["key"] == "old_neighbourhood")
    assert old["answered"] == 3
    assert [(c["count"], c["percent"]) for c in old["choices"]] == [(2, 66.67), (1, 33.33), (0, 0.0)]
    estate = next(row for row in single["typology"] if row["key"] == "commercial_housing")
    assert (estate["answered"], estate["choices"][0]["percent"]) == (1, 100.0)
    assert [(row["key"], row["answered"]) for row in single["stage"]] == [("urban", 4)]
    assert [(row["key"], row["answered"]) for row in single["age_band"]] == [
        ("30_44", 1),
        ("45_59", 1),
        ("75_plus", 1),
        ("unknown", 1),
    ]
    scale = by_id(selectors.survey_results(answered.survey), answered.scale)["breakdowns"]
    assert {row["key"]: row["mean"] for row in scale["typology"]} == {
        "old_neighbourhood": 2.67,
        "commercial_housing": 5.0,
    }
    multiple = by_id(selectors.survey_results(answered.survey), answered.multiple)["breakdowns"]
    thirties = next(row for row in multiple["age_band"] if row["key"] == "30_44")
    assert [c["percent"] for c in thirties["choices"]] == [0.0, 100.0, 0.0, 0.0]


def test_free_text_is_listed_and_hidden_text_stays_with_staff(answered, city):
    texts = by_id(selectors.survey_results(answered.survey), answered.text)
    assert sorted(t["text"] for t in texts["texts"]) == ["太亮了", "路灯坏了"]
    abusive = Answer.objects.get(text="路灯坏了")
    with pytest.raises(PermissionDenied):
        services.answer_hide(actor=city.neighbour_staff, answer=abusive, reason="辱骂")
    services.answer_hide(actor=city.staff, answer=abusive, reason="辱骂")
    public = by_id(selectors.survey_results(answered.survey), answered.text)
    assert [t["text"] for t in public["texts"]] == ["太亮了"]
    assert (public["answered"], public["hidden"], public["shown_count"]) == (2, 1, 1)
    for_staff = by_id(selectors.survey_results(answered.survey, include_hidden=True), answered.text)
    assert {(t["text"], t["hidden"], t["hidden_reason"]) for t in for_staff["texts"]} == {
        ("太亮了", False, ""),
        ("路灯坏了", True, "辱骂"),
    }
    services.answer_unhide(actor=city.staff, answer=abusive)
    assert len(by_id(selectors.survey_results(answered.survey), answered.text)["texts"]) == 2


def test_narrowed_to_one_community(answered, city, api_client):
    from communities.models import Community

    results = selectors.survey_results(answered.survey, communities=Community.objects.filter(pk=city.neighbour.pk))
    assert results["respondents"] == 1
    assert [c["count"] for c in by_id(results, answered.single)["choices"]] == [1, 0, 0]

    api_client.force_authenticate(city.street_official)
    response = api_client.get(f"/api/v1/surveys/{answered.survey.pk}/results/", {"community": city.neighbour.pk})
    assert response.status_code == 200 and response.json()["respondents"] == 1
    outside = api_client.get(f"/api/v1/surveys/{answered.survey.pk}/results/", {"community": city.far.pk})
    assert outside.status_code == 400


def test_api_results_match_the_selector(answered, city, api_client):
    api_client.force_authenticate(city.staff)
    data = api_client.get(f"/api/v1/surveys/{answered.survey.pk}/results/").json()
    assert data["respondents"] == 4
    single = next(q for q in data["questions"] if q["id"] == answered.single.pk)
    assert [c["percent"] for c in single["choices"]] == [75.0, 25.0, 0.0]
    text = next(q for q in data["questions"] if q["id"] == answered.text.pk)
    # Staff may hide what their own residents wrote, not what the neighbours' residents wrote.
    assert {t["text"]: t["can_hide"] for t in text["texts"]} == {"路灯坏了": True, "太亮了": False}
    assert all("community_id" not in t for t in text["texts"])


def test_results_page_shows_charts_with_their_numbers(answered, city, client):
    client.force_login(city.staff)
    page = client.get(f"/surveys/{answered.survey.pk}/results/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<svg class="chart" role="img"') == 3
    assert "<title id=" in html
    assert '<th scope="row">主街</th><td class="num">3</td><td class="num">75.0</td>' in html
    assert "3.25" in html
    assert 'action="/surveys/answers/' in html


def test_results_page_escapes_residents_text(frozen, city, client):
    q = build_survey(city.staff, place=city.home)
    services.response_submit(
        actor=city.resident, survey=q.survey, answers=answers_for(q, text='<script>alert("x")</script>')
    )
    client.force_login(city.staff)
    html = client.get(f"/surveys/{q.survey.pk}/results/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_hiding_from_the_results_page(answered, city, client):
    abusive = Answer.objects.get(text="路灯坏了")
    client.force_login(city.staff)
    response = client.post(f"/surveys/answers/{abusive.pk}/hide/", {"reason": "辱骂他人"})
    assert response.status_code == 302
    abusive.refresh_from_db()
    assert abusive.is_hidden and abusive.hidden_reason == "辱骂他人" and abusive.hidden_by == city.staff
    client.force_login(city.neighbour_staff)
    other = Answer.objects.get(text="太亮了")
    assert client.post(f"/surveys/answers/{other.pk}/hide/", {"reason": "x"}).status_code == 302
    client.force_login(city.resident)
    refused = client.post(f"/surveys/answers/{other.pk}/hide/", {"reason": "x"})
    assert refused.status_code == 403
    other.refresh_from_db()
    assert other.is_hidden  # hidden by its own community's staff
    assert (
        client.post("/surveys/answers/00000000-0000-0000-0000-000000000000/hide/", {"reason": "x"}).status_code == 404
    )


def test_csv_export(answered, city, client):
    client.force_login(city.staff)
    response = client.get(f"/surveys/{answered.survey.pk}/results.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Question no.", "Question", "Kind"]
    assert ["1", "哪一段最需要改造？", "Single choice", "", "All respondents", "主街", "3", "75.0", "", "4"] in rows
    assert ["3", "满意吗？", "Scale of 1 to 5", "", "All respondents", "Mean", "", "", "3.25", "4"] in rows
    assert any(row[3] == "Typology" and row[5] == "主街" and row[7] == "66.67" for row in rows)
    assert any(row[5] == "路灯坏了" for row in rows)


def test_xlsx_export_has_results_and_every_response(answered, city, client):
    client.force_login(city.staff)
    response = client.get(f"/surveys/{answered.survey.pk}/results.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Results", "Responses"]
    responses = list(workbook["Responses"].values)
    assert len(responses) == 1 + 4
    assert responses[0][5] == "1. 哪一段最需要改造？"
    assert {row[1] for row in responses[1:]} == {"玉林东路社区", "倪家桥社区"}
    assert any(row[6] == "灯坏; 太暗" or row[6] == "太暗; 灯坏" for row in responses[1:])
    results = list(workbook["Results"].values)
    assert results[1] == ("Respondents", 4) + (None,) * (len(results[1]) - 2)


def test_exports_write_formulas_as_text(frozen, city, client):
    q = build_survey(city.staff, place=city.home)
    services.response_submit(
        actor=city.resident, survey=q.survey, answers=answers_for(q, text='=HYPERLINK("http://x","y")')
    )
    client.force_login(city.staff)
    rows = list(csv.reader(io.StringIO(client.get(f"/surveys/{q.survey.pk}/results.csv").content.decode("utf-8-sig"))))
    assert any(row[5] == '\'=HYPERLINK("http://x","y")' for row in rows)
    workbook = load_workbook(io.BytesIO(client.get(f"/surveys/{q.survey.pk}/results.xlsx").content))
    cells = [cell for row in workbook["Responses"].values for cell in row]
    assert '\'=HYPERLINK("http://x","y")' in cells
    assert all(not (isinstance(c, str) and c.startswith("=")) for c in cells)


# Query counts ------------------------------------------------------------------------------


def respond_many(city, q, count):
    for n in range(count):
        person = factories.resident(city.home if n % 2 else city.neighbour, actor=city.admin, birth_year=1940 + n)
        services.response_submit(
            actor=person,
            survey=q.survey,
            answers=answers_for(
                q, single=n % 3, multiple=(n % 4, (n + 1) % 4), scale=1 + n % 5, number=n % 8, text=f"意见{n}"
            ),
        )


RESULTS_PAGE_QUERIES = 23
RESULTS_API_QUERIES = 19
CSV_QUERIES = 21
XLSX_QUERIES = 22


@pytest.mark.parametrize("respondents", [3, 30])
def test_results_page_query_count_is_constant(city, client, django_assert_num_queries, respondents):
    q = build_survey(city.admin, scope=Scope.STREET, place=city.street)
    respond_many(city, q, respondents)
    client.force_login(city.street_official)
    client.get("/")  # the session and language are settled before counting
    with django_assert_num_queries(RESULTS_PAGE_QUERIES):
        response = client.get(f"/surveys/{q.survey.pk}/results/")
    assert response.status_code == 200
    assert f"<dd>{respondents}</dd>" in response.content.decode()


@pytest.mark.parametrize("respondents", [3, 30])
def test_results_api_query_count_is_constant(city, api_client, django_assert_num_queries, respondents):
    q = build_survey(city.admin, scope=Scope.STREET, place=city.street)
    respond_many(city, q, respondents)
    api_client.force_authenticate(city.street_official)
    with django_assert_num_queries(RESULTS_API_QUERIES):
        response = api_client.get(f"/api/v1/surveys/{q.survey.pk}/results/")
    assert response.json()["respondents"] == respondents


@pytest.mark.parametrize("respondents", [3, 30])
def test_export_query_counts_are_constant(city, client, django_assert_num_queries, respondents):
    q = build_survey(city.admin, scope=Scope.STREET, place=city.street)
    respond_many(city, q, respondents)
    client.force_login(city.street_official)
    client.get("/")
    with django_assert_num_queries(CSV_QUERIES):
        assert client.get(f"/surveys/{q.survey.pk}/results.csv").status_code == 200
    with django_assert_num_queries(XLSX_QUERIES):
        assert client.get(f"/surveys/{q.survey.pk}/results.xlsx").status_code == 200


def test_text_answers_shown_are_capped_on_the_page_not_in_exports(city, client):
    q = build_survey(city.staff, place=city.home)
    now = timezone.now()
    for n in range(selectors.TEXT_SHOWN + 5):
        person = factories.resident(city.home, actor=city.admin)
        services.response_submit(actor=person, survey=q.survey, answers=answers_for(q, text=f"建议{n:03d}"), now=now)
    client.force_login(city.staff)
    html = client.get(f"/surveys/{q.survey.pk}/results/").content.decode()
    assert html.count('class="text-answer__text"') == selectors.TEXT_SHOWN
    assert f"The latest {selectors.TEXT_SHOWN} of {selectors.TEXT_SHOWN + 5} answers" in html
    rows = list(csv.reader(io.StringIO(client.get(f"/surveys/{q.survey.pk}/results.csv").content.decode("utf-8-sig"))))
    assert sum(1 for row in rows if row[5].startswith("建议")) == selectors.TEXT_SHOWN + 5
