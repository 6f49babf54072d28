"""A resident in a real browser: log in, comment on a topic, take a seat in the public gallery;
and the deliberation pages fit a phone screen."""

import pytest

from deliberation import services
from deliberation.models import Comment, ObserverRegistration
from deliberation.workflow import Step
from tests.browser import PHONE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url, user, next_path):
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def test_a_resident_comments_and_registers_for_the_gallery(browser_page, live_server, flow, world):
    from playwright.sync_api import expect

    topic = flow.at(Step.REVIEW)
    meeting = flow.meeting(observer_seats=2)
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    page = browser_page

    log_in(page, live_server.url, world.resident, topic.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(topic.title)
    form = page.locator("#comment-form")
    form.locator("textarea[name=body]").fill("支持！<b>晚上</b>楼道太黑了。")
    form.locator("button[type=submit]").click()

    comment = page.locator("article.delib-comment").last
    expect(comment).to_contain_text("支持！<b>晚上</b>楼道太黑了。")  # shown as typed, not as markup
    expect(comment.locator("b")).to_have_count(0)
    expect(page.locator(".message--success")).to_be_visible()
    assert Comment.objects.get(topic=topic).author == world.resident

    # The agenda links the meeting page, where the gallery seat is taken.
    page.goto(f"{live_server.url}{meeting.get_absolute_url()}")
    expect(page.locator(f"#agenda a[href='{topic.get_absolute_url()}']")).to_be_visible()
    gallery = page.locator("#gallery")
    expect(gallery.locator(".delib-seats strong")).to_contain_text("2")
    gallery.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_be_visible()
    expect(gallery.locator(".state--ok")).to_be_visible()
    expect(gallery.locator(".delib-seats strong")).to_contain_text("1")
    assert ObserverRegistration.objects.get(meeting=meeting).user == world.resident

    # Giving the seat back works the same way, without any script.
    gallery.locator("button[type=submit]").click()
    expect(gallery.locator(".delib-seats strong")).to_contain_text("2")
    assert not ObserverRegistration.objects.filter(cancelled_at__isnull=True).exists()


def test_deliberation_pages_fit_a_phone_screen(browser_page, live_server, flow, world):
    topic = flow.at(Step.IMPLEMENT)
    flow.task(topic)
    collecting = flow.raise_topic(
        title="一个很长很长的议题标题，关于小区东门外人行道上长期停放的共享单车和电动车占道问题"
    )
    services.comment_post(
        actor=world.resident, topic=collecting, body="很长的一段话" * 40 + "https://example.org/" + "a" * 80
    )
    meeting = flow.meeting()
    page = browser_page
    log_in(page, live_server.url, world.resident, "/")
    page.set_viewport_size(PHONE)
    paths = [
        topic.get_absolute_url(),
        collecting.get_absolute_url(),
        meeting.get_absolute_url(),
        f"/communities/{world.community.pk}/topics/",
        f"/communities/{world.community.pk}/topics/new/",
        f"/communities/{world.community.pk}/meetings/",
        f"/topics/{topic.pk}/record/",
    ]
    for path in paths:
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {PHONE['width']}px"
