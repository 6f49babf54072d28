"""In Chromium, on a phone: a resident who mistypes the check-in code too often is told to
wait or ask the staff (issue 13, finding 12), keeps the page, and the right code works once
the wait is over; an address with a NUL byte shows a short page that leads home (finding 10)."""

import datetime

import pytest
from django.utils import timezone

from surveys import services
from surveys.models import ActivityCategory, Attendance
from tests.browser import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = "/tmp/security-shots"


def test_a_resident_locked_out_of_check_in_is_told_why(browser_page, live_server, city):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(PHONE)
    starts = timezone.now() + datetime.timedelta(minutes=30)
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
    wrong = "000000" if activity.check_in_code != "000000" else "111111"
    log_in(page, live_server, city.resident.username)
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    for _attempt in range(services.CHECK_IN_ATTEMPTS):
        page.locator("input[name=code]").fill(wrong)
        page.get_by_role("button", name="Check in").click()
        expect(page.get_by_text("This is not the activity's check-in code.")).to_be_visible()
    page.locator("input[name=code]").fill(activity.check_in_code)
    page.get_by_role("button", name="Check in").click()
    expect(page.get_by_text("Too many wrong check-in codes")).to_be_visible()
    expect(page.get_by_text("ask the staff at the activity to check you in")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/check-in-locked-360.png", full_page=True)
    assert not Attendance.objects.filter(activity=activity, user=city.resident).exists()
    # Chinese, as most residents read it.
    with page.expect_navigation():
        page.locator(".language-switch").get_by_role("button", name="简体中文").click()
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    page.locator("input[name=code]").fill(activity.check_in_code)
    page.locator("form[action$='/check-in/'] button[type=submit]").click()
    expect(page.get_by_text("签到码错误次数过多")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/check-in-locked-zh-360.png", full_page=True)


def test_an_address_with_a_nul_byte_shows_a_page_that_leads_home(browser_page, live_server):
    from playwright.sync_api import expect

    page = browser_page
    page.set_viewport_size(PHONE)
    response = page.goto(f"{live_server.url}/topics/?q=%00x")
    assert response.status == 400
    expect(page.get_by_role("heading", name="无法读取此请求")).to_be_visible()
    page.screenshot(path=f"{SHOTS}/nul-byte-400-360.png", full_page=True)
    page.get_by_role("link", name="首页").last.click()
    expect(page).to_have_url(f"{live_server.url}/")
