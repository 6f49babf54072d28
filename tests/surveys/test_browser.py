"""A resident in a real browser answers a survey and signs up for an activity, on a phone-sized screen too."""

import datetime

import pytest
from django.utils import timezone

from surveys import services
from surveys.models import ActivityCategory, Answer, Participation, SignUp
from tests.browser import PHONE, log_in

from .conftest import build_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_answers_a_survey_and_signs_up_for_an_activity(browser_page, live_server, city):
    from playwright.sync_api import expect

    q = build_survey(city.staff, place=city.home)
    starts = timezone.now() + datetime.timedelta(days=3)
    activity = services.activity_publish(
        actor=city.staff,
        community=city.home,
        theme="老年人智能手机课堂",
        category=ActivityCategory.ELDERLY,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=2),
        place="社区图书室",
        capacity=8,
    )
    page = browser_page
    page.set_viewport_size(PHONE)
    log_in(page, live_server, "resident")

    page.goto(f"{live_server.url}/surveys/")
    page.get_by_role("link", name=q.survey.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(q.survey.title)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0

    # Sending it half-filled names the missing question and keeps what was chosen.
    page.get_by_label("楼道").check()
    page.locator("form.survey-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_contain_text("This question needs an answer.")
    expect(page.get_by_label("楼道")).to_be_checked()

    page.get_by_label("太暗").check()
    page.get_by_label("灯坏").check()
    page.get_by_label("2 · dissatisfied").check()
    page.get_by_label("每周几晚出门？").fill("3")
    page.get_by_label("其他建议").fill("转角处太黑，希望加灯")
    page.locator("form.survey-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Thank you: your answers are saved.")
    expect(page.locator("main")).to_contain_text("You have already answered this survey.")
    assert Participation.objects.filter(survey=q.survey, user=city.resident).count() == 1
    assert Answer.objects.filter(question__survey=q.survey).count() == 6
    assert Answer.objects.get(question=q.text).text == "转角处太黑，希望加灯"

    page.goto(f"{live_server.url}/activities/")
    page.get_by_role("link", name="老年人智能手机课堂").click()
    expect(page.locator("main")).to_contain_text("0 of 8 taken, 8 left")
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator(".messages")).to_contain_text("You have a place.")
    expect(page.locator("main")).to_contain_text("1 of 8 taken, 7 left")
    assert SignUp.objects.filter(activity=activity, user=city.resident, cancelled_at__isnull=True).exists()

    page.get_by_role("button", name="Cancel my place").click()
    expect(page.locator("main")).to_contain_text("0 of 8 taken, 8 left")
    assert not SignUp.objects.filter(activity=activity, cancelled_at__isnull=True).exists()
