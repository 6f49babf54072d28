"""The clerk's errand, end to end in Chromium, all of it in the admin as the person clicks
(issue 12): a resident raises a topic on the site; staff categorise it, send it to review,
schedule a meeting and put the topic on its agenda, record attendance ("all present") and the
vote in one save, publicize, answer the objection a resident lodged on the site, plan a task
with a supervisory-committee supervisor, report it done, open the evaluation and archive.
The trail verifies afterwards. Screenshots of each admin step at 1280 px: /tmp/admindelib-shots/.
"""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from deliberation.models import Attendance, Meeting, Task, Topic, Vote
from deliberation.workflow import Step
from tests.factories import PASSWORD
from tests.fixtures.world import BODY

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/admindelib-shots")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def page_width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_clerk_carries_a_topic_through_the_seven_steps_in_the_admin(browser_page, live_server, world, time_machine):
    from playwright.sync_api import expect

    base = live_server.url
    # Time flows (tick=True); it is moved forward once, past the meeting's start. The live
    # server runs in this process, so it sees the same clock.
    time_machine.move_to(timezone.now(), tick=True)

    # A resident raises the topic on the site.
    resident = browser_page
    resident.goto(f"{base}/accounts/login/?next=/communities/{world.community.pk}/topics/new/")
    resident.locator("input[name=username]").fill(world.author.username)
    resident.locator("input[name=password]").fill(PASSWORD)
    resident.locator("main form button[type=submit]").first.click()
    resident.locator("input[name=title]").fill("楼道灯更换")
    resident.locator("select[name=category]").select_option("other")
    resident.locator("textarea[name=body]").fill(BODY)
    resident.locator("main form button[type=submit]").first.click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("楼道灯更换")
    topic = Topic.objects.get(title="楼道灯更换")
    shot(resident, "00-resident-raised")

    # Staff, in their own browser session.
    staff_context = resident.context.browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff_context.set_default_timeout(15_000)
    page = staff_context.new_page()
    page.goto(f"{base}/admin/login/?next=/admin/deliberation/topic/")
    page.locator("input[name=username]").fill(world.staff.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    shot(page, "01-topic-list")
    assert page_width(page) <= 1280
    page.get_by_role("link", name="楼道灯更换").click()

    # Categorise it where it belongs (the fields are editable while views are collected).
    page.locator("select[name=category]").select_option("public_space")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    shot(page, "02-topic-categorised")
    panel = page.locator(".deliberation-workflow")

    def move(to, note=""):
        form = panel.locator("form.move").filter(has=page.locator(f"input[name=to][value={to}]"))
        if note:
            form.locator("textarea[name=note]").fill(note)
        form.locator("button[type=submit]").click()
        expect(page.locator(".messagelist .success")).to_be_visible()

    assert Topic.objects.get(pk=topic.pk).category == "public_space"
    move("review", "材料齐全，送审")
    shot(page, "03-topic-in-review")

    # A meeting: location and seats come from the council rules; it starts shortly.
    page.goto(f"{base}/admin/deliberation/meeting/add/")
    assert page.locator("input[name=location]").input_value()
    starts = timezone.localtime(timezone.now() + datetime.timedelta(minutes=30)).replace(second=0, microsecond=0)
    page.locator("input[name=starts_at_0]").fill(starts.strftime("%Y-%m-%d"))
    page.locator("input[name=starts_at_1]").fill(starts.strftime("%H:%M:%S"))
    shot(page, "04-meeting-add")
    page.locator("input[name=_continue]").click()
    # Inside the lead time: a clear warning, and the notice marked short notice.
    expect(page.locator(".messagelist .warning")).to_be_visible()
    meeting = Meeting.objects.get(community=world.community, starts_at=starts)

    # The topic goes on the agenda.
    page.locator("#agenda_items-group .add-row a").click()
    page.locator("select[name=agenda_items-0-topic]").select_option(str(topic.pk))
    shot(page, "05-meeting-agenda")
    assert page_width(page) <= 1280
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#agenda_items-group")).to_contain_text("楼道灯更换")

    # Back on the topic: accept it for the vote.
    page.goto(f"{base}/admin/deliberation/topic/{topic.pk}/change/")
    move("resolve")

    # The meeting starts; the clerk records who came and the vote in one save.
    time_machine.move_to(meeting.starts_at + datetime.timedelta(minutes=5), tick=True)
    page.goto(f"{base}/admin/deliberation/meeting/{meeting.pk}/change/")
    page.locator("input[name=all_present]").check()
    page.locator("input[name=agenda_items-0-votes_for]").fill("3")
    page.locator("input[name=agenda_items-0-votes_against]").fill("0")
    page.locator("input[name=agenda_items-0-abstentions]").fill("0")
    page.locator("textarea[name=agenda_items-0-resolution]").fill("同意更换全部楼道灯，由物业在一个月内完成。")
    shot(page, "06-meeting-attendance-and-vote")
    assert page_width(page) <= 1280
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    shot(page, "07-meeting-recorded")
    assert Attendance.objects.filter(meeting=meeting, status="present").count() == 3
    assert Vote.objects.get(agenda_item__meeting=meeting).passed

    page.goto(f"{base}/admin/deliberation/topic/{topic.pk}/change/")
    move("publicize", "公示七天")
    shot(page, "08-topic-publicized")

    # A resident objects on the site.
    resident.goto(f"{base}/topics/{topic.pk}/")
    objection_form = resident.locator("form[action*='/objections/']")
    objection_form.locator("textarea[name=body]").fill("施工期间噪音怎么控制？希望提前告知具体时间。")
    objection_form.locator("button[type=submit]").click()
    expect(resident.locator(".message--success")).to_be_visible()

    # Staff answer it, and plan the task, on the topic's page.
    page.reload()
    page.locator("textarea[name=objections-0-answer]").fill("施工安排在工作日白天，开工前三天张贴通知。")
    page.locator("#tasks-group .add-row a").click()
    row = page.locator("#tasks-group tr.dynamic-tasks").last
    row.locator("input[name$=-title]").fill("更换全部楼道灯")
    row.locator("select[name$=-owner_body]").select_option(str(world.supervisory.pk))
    row.locator(".field-supervisor .select2-selection").click()
    page.locator(".select2-search__field").fill(world.supervisor.phone[-4:])
    page.locator(".select2-results__option", has_text=world.supervisor.display_name).click()
    due = timezone.localdate() + datetime.timedelta(days=30)
    row.locator("input[name$=-due_date]").fill(due.isoformat())
    shot(page, "09-topic-answer-and-task")
    assert page_width(page) <= 1280
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    task = Task.objects.get(topic=topic)
    assert task.supervisor == world.supervisor and task.owner_body == world.supervisory
    assert topic.objections.get().answered_at is not None

    # The publicity period ends (its stored end moved to the past), implementation starts.
    Topic.objects.filter(pk=topic.pk).update(publicity_ends_at=timezone.now() - datetime.timedelta(minutes=1))
    page.reload()
    move("implement")
    page.locator("input[name=tasks-0-progress_percent]").fill("100")
    page.locator("textarea[name=tasks-0-progress_note]").fill("已全部更换并验收")
    shot(page, "10-topic-progress")
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    task.refresh_from_db()
    assert task.is_done

    move("evaluate")
    shot(page, "11-topic-evaluation")
    # The rating window closes (its stored end moved to the past); the clerk archives.
    Topic.objects.filter(pk=topic.pk).update(evaluation_ends_at=timezone.now() - datetime.timedelta(minutes=1))
    page.reload()
    move("archive", "办结归档")
    shot(page, "12-topic-archived")
    topic.refresh_from_db()
    assert topic.step == Step.ARCHIVE
    expect(panel).to_contain_text("→")
    staff_context.close()

    out = io.StringIO()
    call_command("verify_trail", stdout=out)
    assert "Trail intact" in out.getvalue(), out.getvalue()
