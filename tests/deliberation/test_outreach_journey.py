"""The print kit and the calendar as people click them, in Chromium (issue 17 items 4 and 5).

The clerk attaches the agenda papers to a meeting in the admin, prints its notice from the
meeting page, puts it up and records the posting with a photo; the resident opens the
meeting page, adds the meeting to their calendar, opens the papers and reads the notice.
Screenshots at 1280 px: /tmp/outreach-shots/.
"""

import datetime
import shutil
import subprocess  # nosec B404 # the test reads back the PDF it downloaded
from pathlib import Path

import pytest
from django.utils import timezone
from icalendar import Calendar

from deliberation import services
from deliberation.models import Posting, Topic, TopicCategory, TrailEntry, TrailKind
from deliberation.services import materials
from deliberation.workflow import Step
from tests.factories import PASSWORD
from tests.fixtures.world import BODY

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/outreach-shots")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, base, user, next_path):
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def test_the_clerk_prints_and_posts_and_the_resident_adds_the_meeting_to_a_calendar(
    browser_page, live_server, world, settings, tmp_path
):
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    starts = (timezone.now() + datetime.timedelta(days=9)).replace(second=0, microsecond=0)
    meeting = services.meeting_schedule(
        actor=world.staff, community=world.community, starts_at=starts, location="社区议事厅（二楼）"
    )
    topic = services.topic_raise(
        actor=world.author,
        community=world.community,
        title="加装电梯费用分摊",
        body=BODY,
        category=TopicCategory.PUBLIC_SPACE,
    )
    services.topic_advance(actor=world.staff, topic=topic, to=Step.REVIEW)
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    materials.meeting_online_link_set(
        actor=world.staff, meeting=meeting, online_link="https://meeting.tencent.com/dm/civic-demo"
    )
    papers = tmp_path / "议程与预算.pdf"
    papers.write_bytes(PDF)
    photo = tmp_path / "board.png"
    photo.write_bytes(PNG)

    # The clerk, in the admin: the agenda papers.
    clerk = browser_page
    clerk.goto(f"{base}/admin/login/?next=/admin/deliberation/meetingmaterial/add/")
    clerk.locator("input[name=username]").fill(world.staff.username)
    clerk.locator("input[name=password]").fill(PASSWORD)
    clerk.locator("input[type=submit]").click()
    clerk.locator("select[name=meeting]").select_option(str(meeting.pk))
    clerk.locator("input[name=title]").fill("议程与预算说明")
    clerk.locator("input[name=file]").set_input_files(str(papers))
    shot(clerk, "01-clerk-material-form")
    clerk.locator("input[name=_save]").click()
    expect(clerk.locator(".messagelist .success")).to_be_visible()
    shot(clerk, "02-clerk-material-saved")
    assert meeting.materials.get().title == "议程与预算说明"

    # The meeting page: print the notice.
    clerk.goto(f"{base}/meetings/{meeting.pk}/")
    shot(clerk, "03-clerk-meeting-page")
    href = clerk.get_by_role("link", name="打印会议通知（PDF）").get_attribute("href")
    printed = clerk.request.get(base + href, timeout=120_000)  # WeasyPrint on a busy machine
    assert printed.ok and printed.headers["content-type"] == "application/pdf"
    notice_pdf = tmp_path / "notice.pdf"
    notice_pdf.write_bytes(printed.body())
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(notice_pdf), "-"], capture_output=True, check=True).stdout.decode()  # nosec B603 B607
        assert "社区议事厅（二楼）" in text and "加装电梯费用分摊" in text and "议程与预算说明" in text

    # Back in the admin: the notice is on the board by the lift.
    clerk.goto(f"{base}/admin/deliberation/posting/add/")
    clerk.locator("input[name=document][value=meeting_notice]").check()
    clerk.locator("select[name=meeting]").select_option(str(meeting.pk))
    clerk.locator("input[name=place]").fill("3栋电梯口公示栏")
    now = timezone.localtime()
    clerk.locator("input[name=posted_at_0]").fill(now.strftime("%Y-%m-%d"))
    clerk.locator("input[name=posted_at_1]").fill(now.strftime("%H:%M:%S"))
    clerk.locator("input[name=photo]").set_input_files(str(photo))
    shot(clerk, "04-clerk-posting-form")
    clerk.locator("input[name=_save]").click()
    expect(clerk.locator(".messagelist .success")).to_be_visible()
    shot(clerk, "05-clerk-posting-saved")
    posting = Posting.objects.get()
    assert posting.place == "3栋电梯口公示栏" and posting.photo_type == "image/png"
    assert TrailEntry.objects.filter(topic=topic, kind=TrailKind.POSTED).count() == 1

    # The resident: the meeting page, the calendar, the papers, the notice.
    resident_context = clerk.context.browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    resident_context.set_default_timeout(15_000)
    resident = resident_context.new_page()
    log_in(resident, base, world.resident, f"/meetings/{meeting.pk}/")
    expect(resident.get_by_role("heading", level=1)).to_be_visible()
    expect(resident.locator("#online-link")).to_have_attribute("href", "https://meeting.tencent.com/dm/civic-demo")
    expect(resident.locator("#materials")).to_contain_text("议程与预算说明")
    expect(resident.locator("#postings")).to_contain_text("3栋电梯口公示栏")
    shot(resident, "06-resident-meeting-page")
    with resident.expect_download() as download:
        resident.get_by_role("link", name="添加到日历").click()
    saved = tmp_path / "meeting.ics"
    download.value.save_as(saved)
    (event,) = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")
    assert event.decoded("dtstart") == starts
    assert str(event["location"]) == "社区议事厅（二楼）"
    assert "加装电梯费用分摊" in str(event["description"])

    paper = resident.request.get(base + resident.locator("#materials a").first.get_attribute("href"))
    assert paper.ok and paper.body() == PDF
    notice = resident.request.get(f"{base}/meetings/{meeting.pk}/notice.pdf", timeout=120_000)
    assert notice.ok and notice.body()[:5] == b"%PDF-"
    resident_context.close()
    assert Topic.objects.get(pk=topic.pk).step == Step.REVIEW
