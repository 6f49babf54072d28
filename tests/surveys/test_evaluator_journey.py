"""The evaluator's round, in Chromium, as the evaluator clicks: from the admin's first page to
the round, its score sheet, every community in scope scored on the hand-scored indicator
("工作清单与创新"), a mistake refused on its cell with the typing kept, the round published;
then the published figures on the evaluation page."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from surveys import selectors
from surveys.models import EvaluationRound, Indicator, Score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/adminother-shots"


def shot(page, name):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/journey-{name}.png", full_page=True)


def test_the_evaluator_scores_every_community_and_publishes(browser_page, live_server):
    from playwright.sync_api import expect

    call_command("seed_demo", stdout=StringIO())
    evaluation_round = EvaluationRound.objects.get(status=EvaluationRound.Status.DRAFT)
    manual = evaluation_round.indicators.get(source=Indicator.MANUAL)
    communities = list(evaluation_round.engagement.evaluated_communities().order_by("street__name", "name"))
    assert len(communities) > 3 and manual.name == "工作清单与创新"
    page = browser_page

    # The admin's first page, logged in as the evaluator.
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill("evaluator")
    page.locator("#id_password").fill("demo-pass-2026")
    page.locator("#login-form [type=submit]").click()
    page.locator("#content-main a[href='/admin/surveys/evaluationround/']").first.click()
    page.get_by_role("link", name=evaluation_round.title, exact=True).click()
    shot(page, "1-round")
    page.locator(f"a.button[href='/admin/surveys/evaluationround/{evaluation_round.pk}/scores/']").click()
    expect(page.locator(".score-sheet-table tbody tr")).to_have_count(len(communities))
    shot(page, "2-sheet")

    # Every community, one with a mistake first (150 is no score from 0 to 100).
    values = {community.pk: Decimal(60 + (index * 7) % 40) for index, community in enumerate(communities)}
    for community in communities:
        page.locator(f"#id_v-{manual.pk}-{community.pk}").fill(str(values[community.pk]))
        page.locator(f"#id_e-{manual.pk}-{community.pk}").fill(f"查阅{community.name}工作台账与创新案例")
    first = communities[0]
    page.locator(f"#id_v-{manual.pk}-{first.pk}").fill("150")
    page.locator("input[name=_publish]").click()
    expect(page.locator(".score-sheet-table td.errors")).to_have_count(1)
    expect(page.locator(f"#id_v-{manual.pk}-{first.pk}")).to_have_value("150")
    expect(page.locator(f"#id_e-{manual.pk}-{communities[1].pk}")).to_have_value(
        f"查阅{communities[1].name}工作台账与创新案例"
    )
    shot(page, "3-refused")
    assert not Score.objects.filter(indicator=manual).exists()
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == EvaluationRound.Status.DRAFT

    # Corrected, saved and published in one click.
    page.locator(f"#id_v-{manual.pk}-{first.pk}").fill(str(values[first.pk]))
    page.locator("input[name=_publish]").click()
    expect(page.locator(".messagelist .success").first).to_be_visible()
    shot(page, "4-published")
    evaluation_round.refresh_from_db()
    assert evaluation_round.status == EvaluationRound.Status.PUBLISHED
    assert dict(Score.objects.filter(indicator=manual).values_list("community_id", "value")) == values
    # The published sheet is read-only.
    expect(page.locator("input[name=_publish]")).to_have_count(0)

    # The evaluation page shows the figures just published.
    page.goto(f"{live_server.url}{evaluation_round.get_absolute_url()}")
    shot(page, "5-evaluation-page")
    indicators, rows = selectors.round_ranking(evaluation_round)
    column = [indicator.pk for indicator in indicators].index(manual.pk)
    for row in rows:
        cells = page.locator(
            "table.ranking tbody tr", has=page.get_by_role("link", name=row["community"].name, exact=True)
        )
        expect(cells).to_have_count(1)
        numbers = cells.locator("td.num")
        total = float(numbers.nth(1).inner_text())
        assert abs(total - float(row["total"])) <= 0.05 + 1e-9, (row["community"].name, total, row["total"])
        assert float(numbers.nth(2 + column).inner_text()) == float(values[row["community"].pk])
