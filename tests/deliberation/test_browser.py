"""Staff in a real browser: log in to the admin, open a topic, move it one step."""

import pytest

from deliberation import services
from deliberation.models import Topic
from deliberation.workflow import Step
from tests.factories import PASSWORD
from tests.fixtures.world import BODY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_move_a_topic_one_step_in_the_admin(browser_page, live_server, world):
    from playwright.sync_api import expect

    topic = services.topic_raise(
        actor=world.author, community=world.community, title="更换楼道灯", body=BODY, category="public_space"
    )
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/deliberation/topic/")
    page.locator("input[name=username]").fill(world.staff.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.get_by_role("link", name="更换楼道灯").click()

    panel = page.locator(".deliberation-workflow")
    expect(panel.locator("li[aria-current=step]")).to_contain_text("1.")
    expect(panel.locator("code").first).to_have_text(topic.trail.get().hash)
    move = panel.locator("form.move").filter(has=page.locator("input[name=to][value=review]"))
    move.locator("textarea[name=note]").fill("材料齐全")
    move.locator("button[type=submit]").click()

    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(panel.locator("li[aria-current=step]")).to_contain_text("2.")
    # Held moves show their reasons instead of a working button.
    held = panel.locator("form.move").filter(has=page.locator("input[name=to][value=resolve]"))
    expect(held.locator("button")).to_be_disabled()
    expect(held.locator(".blockers li")).to_have_count(1)
    assert Topic.objects.get(pk=topic.pk).step == Step.REVIEW
