"""Calendars, meeting materials and the online link, the bulletin-board print kit and postings
(issue 17 items 4 and 5)."""

import datetime
import os
import shutil
import subprocess  # nosec B404 # the tests run poppler and zbar on files they wrote
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from core.errors import Conflict
from deliberation import services, trail
from deliberation.models import Posting, TrailEntry, TrailKind
from deliberation.services import materials, postings
from deliberation.workflow import Step

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOOLS = ("pdftotext", "pdftoppm", "zbarimg")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def print_tools():
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(missing)} missing: .ci/run installs poppler-utils and zbar-tools")
        pytest.skip(f"{', '.join(missing)} not installed (apt-get install poppler-utils zbar-tools)")


def pdf_text(body, tmp_path):
    source = tmp_path / "doc.pdf"
    source.write_bytes(body)
    result = subprocess.run(["pdftotext", "-layout", str(source), "-"], capture_output=True, check=True)  # nosec B603 B607
    return result.stdout.decode("utf-8")


def pdf_qr(body, tmp_path):
    """Render every page as a bitmap and read the QR codes back, as a phone would."""
    source = tmp_path / "scan.pdf"
    source.write_bytes(body)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(source), str(tmp_path / "page")], check=True)  # nosec B603 B607
    pages = sorted(str(page) for page in Path(tmp_path).glob("page*.png"))
    result = subprocess.run(["zbarimg", "--raw", "-q", *pages], capture_output=True, check=False)  # nosec B603 B607
    if os.environ.get("CIVIC_KEEP_PRINTS"):
        for page in pages:
            shutil.copy(page, Path(os.environ["CIVIC_KEEP_PRINTS"]) / f"{source.parent.name}-{Path(page).name}")
    return result.stdout.decode("utf-8").split()


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


# Calendars
def test_one_meeting_as_icalendar_carries_agenda_place_link_and_time(client, flow, world, settings):
    meeting = flow.meeting(days=9)
    topic = flow.raise_topic(title="加装电梯的费用分摊")
    flow.to_review(topic)
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    materials.meeting_online_link_set(
        actor=world.staff, meeting=meeting, online_link="https://meeting.tencent.com/dm/abc"
    )

    calendar = parse(client.get(f"/meetings/{meeting.pk}.ics"))
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == meeting.starts_at
    assert event.decoded("dtend") - event.decoded("dtstart") == datetime.timedelta(hours=2)
    assert str(event["location"]) == "社区议事厅"
    assert "加装电梯的费用分摊" in str(event["description"])
    assert "https://meeting.tencent.com/dm/abc" in str(event["description"])
    assert str(event["url"]) == f"{settings.SITE_URL}/meetings/{meeting.pk}/"
    assert str(event["status"]) == "CONFIRMED"
    assert calendar.walk("VTIMEZONE"), "times come with their time zone"


def test_a_moved_meeting_keeps_its_uid_and_raises_its_sequence(client, flow, world):
    meeting = flow.meeting(days=9)
    first = parse(client.get(f"/meetings/{meeting.pk}.ics")).walk("VEVENT")[0]
    flow.travel(hours=1)
    services.meeting_move(actor=world.staff, meeting=meeting, starts_at=meeting.starts_at + datetime.timedelta(days=1))
    second = parse(client.get(f"/meetings/{meeting.pk}.ics")).walk("VEVENT")[0]
    assert str(first["uid"]) == str(second["uid"])
    assert int(second["sequence"]) > int(first["sequence"])


def test_the_community_feed_lists_coming_meetings_and_marks_the_cancelled(client, flow, world):
    coming = flow.meeting(days=9)
    cancelled = flow.meeting(days=12)
    services.meeting_cancel(actor=world.staff, meeting=cancelled, reason="场地维修")
    elsewhere = services.meeting_schedule(
        actor=world.other_staff,
        community=world.other_community,
        starts_at=flow.now + datetime.timedelta(days=9),
        location="别处",
    )
    calendar = parse(client.get(f"/communities/{world.community.pk}/meetings.ics"))
    events = {str(event["uid"]): event for event in calendar.walk("VEVENT")}
    assert {uid.split("@")[0] for uid in events} == {f"meeting-{coming.pk}", f"meeting-{cancelled.pk}"}
    assert str(events[f"meeting-{cancelled.pk}@{next(iter(events)).split('@')[1]}"]["status"]) == "CANCELLED"
    assert f"meeting-{elsewhere.pk}" not in " ".join(events)


def test_the_meetings_page_offers_the_feed(client, world):
    page = client.get(f"/communities/{world.community.pk}/meetings/").content.decode()
    assert f'href="/communities/{world.community.pk}/meetings.ics"' in page


def test_calendar_feeds_of_what_does_not_exist_are_404(client, db):
    assert client.get("/communities/999999/meetings.ics").status_code == 404
    assert client.get("/meetings/999999.ics").status_code == 404


# The online link and materials
@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "ftp://example.com/x", "腾讯会议 123", "https://", "http://" + "a" * 600 + ".cn"]
)
def test_an_online_link_must_be_a_web_address(flow, world, link):
    meeting = flow.meeting()
    with pytest.raises(ValidationError) as refused:
        materials.meeting_online_link_set(actor=world.staff, meeting=meeting, online_link=link)
    assert "online_link" in refused.value.message_dict
    meeting.refresh_from_db()
    assert meeting.online_link == ""


def test_only_staff_set_the_link_and_add_materials(flow, world, media):
    meeting = flow.meeting()
    for someone in (world.resident, world.other_staff, world.council[0]):
        with pytest.raises(PermissionDenied):
            materials.meeting_online_link_set(actor=someone, meeting=meeting, online_link="https://live.example.cn/1")
        with pytest.raises(PermissionDenied):
            materials.material_add(actor=someone, meeting=meeting, title="议程", file=SimpleUploadedFile("a.pdf", PDF))
    assert not meeting.materials.exists()


def test_materials_follow_the_upload_policy_and_show_on_the_meeting_page(client, flow, world, media):
    meeting = flow.meeting()
    with pytest.raises(ValidationError) as refused:
        materials.material_add(
            actor=world.staff,
            meeting=meeting,
            title="议程",
            file=SimpleUploadedFile("议程.pdf", b"MZ\x90\x00 not a pdf"),
        )
    assert "file" in refused.value.message_dict
    paper = materials.material_add(
        actor=world.staff, meeting=meeting, title="议程与预算说明", file=SimpleUploadedFile("议程.pdf", PDF)
    )
    materials.meeting_online_link_set(
        actor=world.staff, meeting=meeting, online_link="https://meeting.tencent.com/dm/x"
    )
    assert paper.file_type == "application/pdf"
    assert "议程" not in paper.file.name, "stored under a random name"

    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "议程与预算说明" in page
    assert f'href="/meetings/{meeting.pk}.ics"' in page
    assert f'href="/meetings/{meeting.pk}/notice.pdf"' in page
    assert 'href="https://meeting.tencent.com/dm/x"' in page

    served = client.get(paper.get_absolute_url())
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PDF

    materials.material_remove(actor=world.staff, material=paper)
    assert client.get(paper.get_absolute_url()).status_code == 404


# The print kit
def test_the_meeting_notice_prints_place_date_agenda_and_a_qr_code_to_the_meeting(
    client, flow, world, settings, tmp_path, print_tools
):
    meeting = flow.meeting(days=9)
    topic = flow.raise_topic(title="小区停车位重新划线")
    flow.to_review(topic)
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    response = client.get(f"/meetings/{meeting.pk}/notice.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    local = timezone.localtime(meeting.starts_at)
    assert "社区议事厅" in text
    assert f"{local.year}年{local.month}月{local.day}日" in text
    assert local.strftime("%H:%M") in text
    assert "小区停车位重新划线" in text
    assert world.community.name in text
    assert "旁听" in text
    assert pdf_qr(response.content, tmp_path) == [f"{settings.SITE_URL}/meetings/{meeting.pk}/"]


def test_a_notice_without_an_agenda_says_so(client, flow, tmp_path, print_tools):
    meeting = flow.meeting(days=9)
    text = pdf_text(client.get(f"/meetings/{meeting.pk}/notice.pdf").content, tmp_path)
    assert "议程" in text
    assert "尚无议题" in text


def test_no_poster_for_a_topic_before_publicity(client, flow):
    topic = flow.raise_topic()
    response = client.get(f"/topics/{topic.pk}/poster.pdf")
    assert response.status_code == 404
    assert "still at “Collect”" in response.content.decode()
    assert client.get("/topics/999999/poster.pdf").status_code == 404


def test_the_poster_prints_resolution_vote_period_objections_qr_and_trail_head(
    client, flow, world, settings, tmp_path, print_tools
):
    topic = flow.at(Step.PUBLICIZE)
    head = TrailEntry.objects.filter(topic=topic).order_by("-seq").first()
    response = client.get(f"/topics/{topic.pk}/poster.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    flat = "".join(text.split())
    assert "同意更换全部楼道灯，由物业在一个月内完成。" in flat
    assert "3票赞成" in flat or "赞成3" in flat
    ends = timezone.localtime(topic.publicity_ends_at)
    assert f"{ends.year}年{ends.month}月{ends.day}日" in flat
    assert "异议" in flat
    assert head.hash in flat
    assert f"/topics/{topic.pk}/record/" in flat
    assert pdf_qr(response.content, tmp_path) == [f"{settings.SITE_URL}/topics/{topic.pk}/"]


# Postings
def test_staff_record_a_posting_with_a_photo_and_it_enters_the_trail(client, flow, world, media):
    topic = flow.at(Step.PUBLICIZE)
    posting = postings.posting_record(
        actor=world.staff,
        topic=topic,
        place="3栋电梯口公示栏",
        posted_at=flow.now,
        photo=SimpleUploadedFile("board.png", PNG),
    )
    entry = TrailEntry.objects.filter(topic=topic).order_by("-seq").first()
    assert entry.kind == TrailKind.POSTED
    assert entry.data["posting"] == posting.pk
    assert entry.data["place_sha256"] == trail.text_digest("3栋电梯口公示栏")
    assert entry.data["photo_type"] == "image/png"
    assert trail.verify(topic_ids=[topic.pk]).intact
    photo = client.get(posting.photo_url())
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"


def test_a_meeting_notice_posting_enters_the_trail_of_every_topic_on_the_agenda(flow, world):
    meeting = flow.meeting(days=9)
    topics = [flow.raise_topic(title=f"议题{n}") for n in range(2)]
    for topic in topics:
        flow.to_review(topic)
        services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    postings.posting_record(actor=world.staff, meeting=meeting, place="社区服务中心门口", posted_at=flow.now)
    for topic in topics:
        assert TrailEntry.objects.filter(topic=topic, kind=TrailKind.POSTED).count() == 1
    assert trail.verify().intact


def test_postings_refused_when_they_cannot_be_true(flow, world, media):
    collecting = flow.raise_topic()
    with pytest.raises(Conflict):
        postings.posting_record(actor=world.staff, topic=collecting, place="公示栏", posted_at=flow.now)
    topic = flow.at(Step.PUBLICIZE)
    with pytest.raises(PermissionDenied):
        postings.posting_record(actor=world.resident, topic=topic, place="公示栏", posted_at=flow.now)
    with pytest.raises(PermissionDenied):
        postings.posting_record(actor=world.other_staff, topic=topic, place="公示栏", posted_at=flow.now)
    with pytest.raises(ValidationError) as future:
        postings.posting_record(
            actor=world.staff, topic=topic, place="公示栏", posted_at=flow.now + datetime.timedelta(days=1)
        )
    assert "posted_at" in future.value.message_dict
    with pytest.raises(ValidationError) as blank:
        postings.posting_record(actor=world.staff, topic=topic, place="  ", posted_at=flow.now)
    assert "place" in blank.value.message_dict
    with pytest.raises(ValidationError) as photo:
        postings.posting_record(
            actor=world.staff,
            topic=topic,
            place="公示栏",
            posted_at=flow.now,
            photo=SimpleUploadedFile("board.png", b"<svg onload=alert(1)>"),
        )
    assert "photo" in photo.value.message_dict
    assert not Posting.objects.exists()
    assert not TrailEntry.objects.filter(kind=TrailKind.POSTED).exists()


# The clerk's admin
def test_staff_attach_a_material_in_the_admin_and_a_wrong_file_is_refused_on_its_field(client, flow, world, media):
    meeting = flow.meeting()
    client.force_login(world.staff)
    url = reverse("admin:deliberation_meetingmaterial_add")
    assert client.get(url).status_code == 200
    refused = client.post(
        url, {"meeting": meeting.pk, "title": "预算", "file": SimpleUploadedFile("预算.pdf", b"<html>no</html>")}
    )
    assert refused.status_code == 200
    form = refused.context["adminform"].form
    assert form.errors and form.data["title"] == "预算"
    assert not meeting.materials.exists()
    saved = client.post(url, {"meeting": meeting.pk, "title": "预算", "file": SimpleUploadedFile("预算.pdf", PDF)})
    assert saved.status_code == 302
    assert meeting.materials.get().title == "预算"


def test_staff_record_a_posting_in_the_admin_and_it_reaches_the_trail(client, flow, world, media):
    topic = flow.at(Step.PUBLICIZE)
    client.force_login(world.staff)
    url = reverse("admin:deliberation_posting_add")
    local = timezone.localtime(flow.now)
    data = {
        "document": "topic_poster",
        "topic": topic.pk,
        "place": "3栋电梯口公示栏",
        "posted_at_0": local.strftime("%Y-%m-%d"),
        "posted_at_1": (local + datetime.timedelta(days=2)).strftime("%H:%M:%S"),
        "photo": SimpleUploadedFile("board.png", PNG),
    }
    future = client.post(url, {**data, "posted_at_0": (local + datetime.timedelta(days=2)).strftime("%Y-%m-%d")})
    assert future.status_code == 200 and "posted_at" in future.context["adminform"].form.errors
    data["posted_at_1"] = local.strftime("%H:%M:%S")
    data["photo"] = SimpleUploadedFile("board.png", PNG)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert TrailEntry.objects.filter(topic=topic, kind=TrailKind.POSTED).count() == 1
    assert trail.verify(topic_ids=[topic.pk]).intact
    client.force_login(world.other_staff)
    assert client.get(reverse("admin:deliberation_posting_changelist")).context["cl"].result_count == 0


def test_the_meeting_admin_sets_the_online_link_and_attaches_papers(client, flow, world, media):
    from tests.deliberation.test_admin import form_data

    meeting = flow.meeting()
    client.force_login(world.staff)
    url = reverse("admin:deliberation_meeting_change", args=[meeting.pk])
    page = client.get(url)
    assert f"/meetings/{meeting.pk}/notice.pdf" in page.content.decode()
    data = form_data(page)
    refused = client.post(url, {**data, "online_link": "javascript:alert(1)"})
    assert refused.status_code == 200
    assert "online_link" in refused.context["adminform"].form.errors
    data.update(
        {
            "online_link": "https://meeting.tencent.com/dm/abc",
            "materials-TOTAL_FORMS": 1,
            "materials-0-title": "议程",
            "materials-0-file": SimpleUploadedFile("议程.pdf", PDF),
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    meeting.refresh_from_db()
    assert meeting.online_link == "https://meeting.tencent.com/dm/abc"
    assert meeting.materials.get().file_type == "application/pdf"


def test_anonymous_visitors_see_new_papers_and_postings_on_the_next_visit(client, flow, world, media):
    meeting = flow.meeting()
    assert "议程与预算" not in client.get(f"/meetings/{meeting.pk}/").content.decode()
    materials.material_add(
        actor=world.staff, meeting=meeting, title="议程与预算", file=SimpleUploadedFile("a.pdf", PDF)
    )
    assert "议程与预算" in client.get(f"/meetings/{meeting.pk}/").content.decode()
    postings.posting_record(actor=world.staff, meeting=meeting, place="北门公示栏", posted_at=flow.now)
    assert "北门公示栏" in client.get(f"/meetings/{meeting.pk}/").content.decode()
    materials.meeting_online_link_set(actor=world.staff, meeting=meeting, online_link="https://live.example.cn/9")
    assert "https://live.example.cn/9" in client.get(f"/meetings/{meeting.pk}/").content.decode()
