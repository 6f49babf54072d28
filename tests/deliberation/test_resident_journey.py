"""The resident's journey in Chromium, as the person clicks (issue 12), on a phone screen.

Under a live server on a port other than 8000, with the notice links following it (as under
`make run PORT=...`): the inbox's Open leads to the meeting page; an empty comment comes
back with its error beside the form, scrolled into view; the author edits the topic while
views are collected; staff change it in the admin and the public page says "edited by
staff"; withdrawing asks first. Screenshots go to /tmp/resident-shots/.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from deliberation import services
from deliberation.models import Topic, TrailEntry, TrailKind
from deliberation.trail import verify
from deliberation.workflow import Step
from notifications import services as notice_services
from notifications.models import Delivery
from notifications.registry import IN_APP
from tests.browser import DESKTOP, PHONE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/resident-shots")


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def log_in(page, base_url, user, next_path):
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def in_view(page, locator):
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and 0 <= box["y"] < height


@pytest.fixture
def eager_notices():
    from civic.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def send_due_notices():
    notice_services.notices_dispatch()
    ids = list(Delivery.objects.filter(channel=IN_APP, status="queued").values_list("pk", flat=True))
    notice_services.deliveries_send(channel=IN_APP, ids=ids)


def test_the_resident_journey(browser_page, live_server, flow, world, settings, eager_notices):
    from playwright.sync_api import expect

    # The portal is served on the live server's port, and notices are written for it.
    settings.SITE_URL = live_server.url
    assert urlsplit(live_server.url).port != 8000
    page = browser_page
    page.set_viewport_size(PHONE)

    topic = flow.raise_topic()
    meeting = flow.meeting(days=3)  # inside the notice's lead time: the notice goes at once
    collecting = flow.raise_topic(
        title="增设快递柜", body="小区快递堆在门岗，丢件多。建议在东门旁增设一组快递柜，方便老人取件。"
    )
    services.agenda_add(actor=world.staff, meeting=meeting, topic=flow.to_review(topic))
    send_due_notices()
    delivery = Delivery.objects.filter(recipient=world.resident, channel=IN_APP).order_by("-pk").first()
    assert delivery is not None and delivery.notice.text()["url"] == f"{live_server.url}/meetings/{meeting.pk}/"

    # The inbox's Open leads to the meeting page on this origin.
    log_in(page, live_server.url, world.resident, "/notifications/")
    expect(page.locator(f"#notice-{delivery.pk}")).to_be_visible()
    open_button = page.locator(f"#notice-{delivery.pk} form:has(input[name=open]) button")
    expect(open_button).to_have_text("打开")
    shoot(page, "inbox-360")
    open_button.click()
    expect(page).to_have_url(f"{live_server.url}/meetings/{meeting.pk}/")
    expect(page.locator("#gallery")).to_be_visible()
    shoot(page, "meeting-360")
    page.locator("#gallery").scroll_into_view_if_needed()
    expect(page.locator("#gallery button[type=submit]")).to_have_text("预约席位")
    shoot(page, "meeting-gallery-360")
    delivery.refresh_from_db()
    assert delivery.read_at is not None

    # A member of the council is told they attend as a member, not offered a gallery seat.
    log_in(page, live_server.url, world.council[0], meeting.get_absolute_url())
    expect(page.locator("#council-seat")).to_contain_text("您是本议事会成员")
    expect(page.locator("#gallery button[type=submit]")).to_have_count(0)
    page.locator("#gallery").scroll_into_view_if_needed()
    shoot(page, "meeting-council-member-360")
    log_in(page, live_server.url, world.resident, collecting.get_absolute_url())

    # An empty comment: the error beside the form, the form in view, the page's URL ending
    # in the form's id (a reload of that URL leads back to the topic).
    form = page.locator("#comment-form")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/topics/{collecting.pk}/comments/#comment-form")
    errors = form.locator(".error-summary")
    expect(errors).to_be_visible()
    assert in_view(page, form.locator(".field__errors")), "the error is scrolled out of view"
    shoot(page, "topic-errors-360")
    page.goto(f"{live_server.url}/topics/{collecting.pk}/comments/")
    expect(page).to_have_url(f"{live_server.url}/topics/{collecting.pk}/#comment-form")

    # The counter tells the limit under the comment box.
    expect(form.locator(".delib-counter")).to_contain_text("5,000")

    # The author edits their topic while views are collected.
    log_in(page, live_server.url, world.author, collecting.get_absolute_url())
    page.get_by_role("link", name="修改议题").first.click()
    body = page.locator("textarea[name=body]")
    body.fill("还是太短")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".field__errors")).to_contain_text("至少 30")
    expect(body).to_have_value("还是太短")  # as typed
    new_body = "小区快递堆在门岗，丢件多。建议在东门旁增设一组快递柜，并请物业每天整理两次，方便老人取件。"
    body.fill(new_body)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}{collecting.get_absolute_url()}")
    expect(page.locator(".delib-body")).to_contain_text("每天整理两次")
    expect(page.locator("#edited-by-staff")).to_have_count(0)

    # Staff change its title in the admin: the public page says so, the trail has both versions.
    page.set_viewport_size(DESKTOP)
    log_in(page, live_server.url, world.staff, f"/admin/deliberation/topic/{collecting.pk}/change/")
    page.locator("input[name=title]").fill("东门增设快递柜")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    entry = TrailEntry.objects.filter(topic=collecting, kind=TrailKind.EDITED).order_by("-seq").first()
    assert entry.data["by_staff"] and entry.data["before"]["title"] == "增设快递柜"
    assert entry.data["after"]["title"] == "东门增设快递柜"
    page.goto(f"{live_server.url}/admin/deliberation/topic/{collecting.pk}/change/")
    trail = page.locator(".deliberation-workflow table")
    expect(trail).to_contain_text("“增设快递柜” → “东门增设快递柜”")
    trail.scroll_into_view_if_needed()
    shoot(page, "admin-topic-trail-1280")
    page.set_viewport_size(PHONE)
    page.context.clear_cookies()
    page.goto(f"{live_server.url}{collecting.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("东门增设快递柜")
    expect(page.locator("#edited-by-staff")).to_contain_text("工作人员已于")

    # Withdrawing asks first; "No, keep it" keeps it; "Yes" withdraws it.
    log_in(page, live_server.url, world.author, collecting.get_absolute_url())
    page.locator(f"a[href='/topics/{collecting.pk}/withdraw/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确定撤回议题吗？")
    shoot(page, "withdraw-confirm-360")
    page.get_by_role("link", name="不，保留议题").click()
    expect(page).to_have_url(f"{live_server.url}{collecting.get_absolute_url()}")
    assert Topic.objects.get(pk=collecting.pk).step == Step.COLLECT
    page.locator(f"a[href='/topics/{collecting.pk}/withdraw/']").first.click()
    page.locator("textarea[name=note]").fill("物业已答应安装")
    page.get_by_role("button", name="确定撤回议题").click()
    expect(page.locator(".message--success")).to_be_visible()
    withdrawn = Topic.objects.get(pk=collecting.pk)
    assert (withdrawn.step, withdrawn.outcome) == (Step.ARCHIVE, "withdrawn")
    expect(page.locator("#consultation")).to_contain_text("提出人撤回议题后协商已结束")
    expect(page.locator("#consultation")).not_to_contain_text("议事会表决后")
    shoot(page, "topic-withdrawn-360")
    assert verify().intact
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
