"""Announcements: who publishes where, who reads what, bad input, the emergency notice."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core import tokens
from information import services
from information.models import Announcement, AnnouncementRead, Attachment, Category
from notifications import services as notice_services
from notifications.models import Delivery, Notice
from tests.fixtures.area import PDF, PNG, days, docx, publish, upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/announcements/"


def as_user(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user)}")
    return api_client


def titles(response):
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


# --- Who may publish where --------------------------------------------------------------------

PUBLISH_MATRIX = [
    # (actor, area, allowed)
    ("staff", "home", True),
    ("staff", "neighbour", False),
    ("staff", "street", False),
    ("staff_other", "home", False),
    ("resident", "home", False),
    ("street_official", "home", True),
    ("street_official", "street", True),
    ("street_official", "across", False),
    ("street_official", "district", False),
    ("district_official", "district", True),
    ("district_official", "street", True),
    ("district_official", "across", True),
    ("district_official", "elsewhere", False),
    ("other_official", "district", False),
    ("root", "elsewhere", True),
]


@pytest.mark.parametrize("actor,target,allowed", PUBLISH_MATRIX)
def test_publish_permissions_through_the_api(api_client, area, actor, target, allowed):
    place = area[target]
    key = {"home": "community", "neighbour": "community", "across": "community", "elsewhere": "community"}.get(
        target, target
    )
    response = as_user(api_client, area[actor]).post(
        URL, {"title": "通知", "body": "内容", "category": "notice", key: place.pk}, format="json"
    )
    assert response.status_code == (201 if allowed else 403), response.content
    assert Announcement.objects.count() == (1 if allowed else 0)


def test_anonymous_cannot_list_or_publish(api_client, area):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, {"title": "x", "body": "y", "community": area["home"].pk}).status_code == 401


# --- Who reads what ---------------------------------------------------------------------------


@pytest.fixture
def published(area):
    return {
        "home": publish(area["staff"], area["home"], title="本社区"),
        "street": publish(area["street_official"], area["street"], title="本街道"),
        "district": publish(area["district_official"], area["district"], title="本区"),
        "neighbour": publish(area["street_official"], area["neighbour"], title="邻社区"),
        "across": publish(area["district_official"], area["across"], title="同区另一街道"),
        "elsewhere": publish(area["staff_other"], area["elsewhere"], title="别的区"),
    }


READS = {
    "resident": {"本社区", "本街道", "本区"},
    "staff": {"本社区", "本街道", "本区"},
    "neighbour_resident": {"邻社区", "本街道", "本区"},
    "across_resident": {"同区另一街道", "本区"},
    "outsider": {"别的区"},
    "street_official": {"本社区", "本街道", "本区", "邻社区"},
    "district_official": {"本社区", "本街道", "本区", "邻社区", "同区另一街道"},
    "root": {"本社区", "本街道", "本区", "邻社区", "同区另一街道", "别的区"},
}


@pytest.mark.parametrize("reader", READS)
def test_each_reader_sees_their_area_only(api_client, area, published, reader):
    assert set(titles(as_user(api_client, area[reader]).get(URL))) == READS[reader]


def test_a_person_without_a_verified_residency_reads_nothing(api_client, area, published):
    from communities import services as community_services
    from tests import factories

    pending = factories.UserFactory()
    community_services.residency_request(user=pending, community=area["home"])
    assert titles(as_user(api_client, pending).get(URL)) == []


def test_community_filter_narrows_within_the_area(api_client, area, published):
    client = as_user(api_client, area["resident"])
    assert set(titles(client.get(URL, {"community": area["home"].pk}))) == {"本社区", "本街道", "本区"}
    # The neighbour's own announcement is not the resident's to read; the street's and district's are.
    assert set(titles(client.get(URL, {"community": area["neighbour"].pk}))) == {"本街道", "本区"}
    assert titles(client.get(URL, {"community": area["elsewhere"].pk})) == []


@pytest.mark.parametrize(
    "params", [{"community": 999999}, {"community": "abc"}, {"category": "gossip"}, {"state": "draft"}]
)
def test_unknown_filter_values_are_400(api_client, area, params):
    response = as_user(api_client, area["resident"]).get(URL, params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_pinned_first_then_newest_and_contract_fields(api_client, area):
    publish(area["staff"], area["home"], title="旧的", publish_at=timezone.now() - datetime.timedelta(days=3))
    publish(
        area["staff"], area["home"], title="置顶", pinned=True, publish_at=timezone.now() - datetime.timedelta(days=9)
    )
    publish(area["staff"], area["home"], title="新的")
    response = as_user(api_client, area["resident"]).get(URL)
    assert titles(response) == ["置顶", "新的", "旧的"]
    item = response.json()["results"][0]
    assert {"id", "title", "body", "category", "published_at", "pinned"} <= set(item)
    assert item["pinned"] is True and item["category"] == "notice"


def test_scheduled_and_expired_are_hidden_from_readers_but_listed_for_their_publishers(api_client, area):
    publish(area["staff"], area["home"], title="现在")
    publish(area["staff"], area["home"], title="下周", publish_at=days(7))
    expired = publish(area["staff"], area["home"], title="过期", expires_at=days(1))
    Announcement.objects.filter(pk=expired.pk).update(publish_at=days(-5), expires_at=days(-1))
    assert titles(as_user(api_client, area["resident"]).get(URL)) == ["现在"]
    staff = as_user(api_client, area["staff"])
    assert titles(staff.get(URL, {"state": "scheduled"})) == ["下周"]
    assert titles(staff.get(URL, {"state": "expired"})) == ["过期"]
    assert set(titles(staff.get(URL, {"state": "all"}))) == {"现在", "下周", "过期"}
    # Readers asking for other states get only what they may publish: nothing.
    assert titles(as_user(api_client, area["resident"]).get(URL, {"state": "all"})) == []


def test_detail_counts_reads_and_shows_counts_to_staff_only(api_client, area):
    announcement = publish(area["staff"], area["home"])
    url = f"{URL}{announcement.pk}/"
    first = as_user(api_client, area["resident"]).get(url)
    assert first.status_code == 200 and first.json()["read_count"] is None
    as_user(api_client, area["resident"]).get(url)
    as_user(api_client, area["neighbour_resident"]).get(url)  # not theirs: 404, not counted
    assert AnnouncementRead.objects.filter(announcement=announcement).count() == 1
    assert as_user(api_client, area["staff"]).get(url).json()["read_count"] == 2  # staff opened it too
    assert as_user(api_client, area["street_official"]).get(url).json()["read_count"] == 3


@pytest.mark.parametrize("reader", ["neighbour_resident", "outsider", "staff_other", "other_official"])
def test_another_area_s_announcement_is_404(api_client, area, reader):
    announcement = publish(area["staff"], area["home"])
    assert as_user(api_client, area[reader]).get(f"{URL}{announcement.pk}/").status_code == 404
    assert as_user(api_client, area[reader]).get(f"{URL}999999/").status_code == 404


def test_scheduled_announcement_is_404_for_readers_until_it_publishes(api_client, area):
    announcement = publish(area["staff"], area["home"], publish_at=days(2))
    assert as_user(api_client, area["resident"]).get(f"{URL}{announcement.pk}/").status_code == 404
    assert as_user(api_client, area["staff"]).get(f"{URL}{announcement.pk}/").json()["state"] == "scheduled"


# --- Changing and deleting --------------------------------------------------------------------


def test_publisher_changes_and_deletes_others_cannot(api_client, area):
    announcement = publish(area["staff"], area["home"])
    url = f"{URL}{announcement.pk}/"
    assert as_user(api_client, area["resident"]).patch(url, {"title": "改"}, format="json").status_code == 403
    assert as_user(api_client, area["staff_other"]).patch(url, {"title": "改"}, format="json").status_code == 404
    response = as_user(api_client, area["staff"]).patch(url, {"title": "改过了", "pinned": True}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "改过了" and response.json()["pinned"]
    assert as_user(api_client, area["street_official"]).delete(url).status_code == 204
    assert not Announcement.objects.exists()


def test_a_reader_who_sees_it_still_cannot_change_it(api_client, area):
    announcement = publish(area["staff"], area["home"])
    response = as_user(api_client, area["resident"]).delete(f"{URL}{announcement.pk}/")
    assert response.status_code == 403
    assert Announcement.objects.filter(pk=announcement.pk).exists()


# --- Bad input ----------------------------------------------------------------------------


def test_expiry_before_publishing_is_400_and_nothing_is_saved(api_client, area):
    response = as_user(api_client, area["staff"]).post(
        URL,
        {
            "title": "通知",
            "body": "内容",
            "community": area["home"].pk,
            "published_at": days(3).isoformat(),
            "expires_at": days(2).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "expire after it is published" in str(response.json()["expires_at"]).lower() or response.json()["expires_at"]
    assert not Announcement.objects.exists()


def test_expiry_before_publishing_on_change_is_400_and_nothing_changes(api_client, area):
    announcement = publish(area["staff"], area["home"], expires_at=days(5))
    response = as_user(api_client, area["staff"]).patch(
        f"{URL}{announcement.pk}/", {"title": "新标题", "expires_at": days(-30).isoformat()}, format="json"
    )
    assert response.status_code == 400 and "expires_at" in response.json()
    announcement.refresh_from_db()
    assert announcement.title == "停水通知"


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"title": "", "body": "x"}, "title"),
        ({"title": "标题", "body": ""}, "body"),
        ({"title": "标题", "body": "x", "category": "gossip"}, "category"),
        ({"title": "标题", "body": "x", "body_format": "rtf"}, "body_format"),
        ({"title": "标题", "body": "<script>alert(1)</script>", "body_format": "html"}, "body"),
    ],
)
def test_bad_fields_are_400(api_client, area, fields, field):
    response = as_user(api_client, area["staff"]).post(URL, {**fields, "community": area["home"].pk}, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Announcement.objects.exists()


def test_two_areas_or_none_is_400(api_client, area):
    staff = as_user(api_client, area["root"])
    both = staff.post(URL, {"title": "t1", "body": "b", "community": area["home"].pk, "street": area["street"].pk})
    assert both.status_code == 400
    assert staff.post(URL, {"title": "t1", "body": "b"}).status_code == 400
    assert not Announcement.objects.exists()


def test_attachments_of_the_right_kind_are_kept(api_client, area):
    response = as_user(api_client, area["staff"]).post(
        URL,
        {
            "title": "附件",
            "body": "见附件",
            "community": area["home"].pk,
            "attachments": [upload("办法.pdf"), upload("照片.png", PNG, "image/png"), upload("表.docx", docx(), "x/y")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    names = sorted(item["name"] for item in response.json()["attachments"])
    assert names == ["办法.pdf", "照片.png", "表.docx"]
    types = set(Attachment.objects.values_list("content_type", flat=True))
    assert "application/pdf" in types and "image/png" in types


@pytest.mark.parametrize(
    "name,content",
    [
        ("script.pdf", b"<script>alert(1)</script>"),  # a PDF by name only
        ("photo.png", PDF),  # a PDF named as a photo
        ("virus.exe", b"MZ" + b"\x00" * 100),
        ("fake.docx", b"PK\x03\x04" + b"\x00" * 100),  # not a real package
    ],
)
def test_attachment_of_a_wrong_type_is_400_and_nothing_is_saved(api_client, area, name, content):
    response = as_user(api_client, area["staff"]).post(
        URL,
        {"title": "附件", "body": "见附件", "community": area["home"].pk, "attachments": [upload(name, content)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert name in str(response.json()["attachments"])
    assert not Announcement.objects.exists() and not Attachment.objects.exists()


def test_attachment_over_the_limit_is_413_and_nothing_is_saved(api_client, area, settings):
    settings.CIVIC_UPLOAD_MAX_BYTES = 1000
    response = as_user(api_client, area["staff"]).post(
        URL,
        {
            "title": "附件",
            "body": "见附件",
            "community": area["home"].pk,
            "attachments": [upload("big.pdf", PDF + b"0" * 2000)],
        },
        format="multipart",
    )
    assert response.status_code == 413
    assert "big.pdf" in str(response.json()["attachments"])
    assert not Announcement.objects.exists() and not Attachment.objects.exists()


def test_at_most_five_attachments(api_client, area):
    response = as_user(api_client, area["staff"]).post(
        URL,
        {
            "title": "附件",
            "body": "见附件",
            "community": area["home"].pk,
            "attachments": [upload(f"{n}.pdf") for n in range(6)],
        },
        format="multipart",
    )
    assert response.status_code == 400 and "attachments" in response.json()
    assert not Announcement.objects.exists()


def test_markdown_and_html_are_sanitised(area):
    announcement = publish(
        area["staff"],
        area["home"],
        body="# 标题\n\n<script>alert(1)</script>[链接](javascript:alert(1)) <img src=x onerror=alert(1)> **粗体**",
    )
    html = announcement.body_html
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html and "<img" not in html
    assert "<h2>标题</h2>" in html and "<strong>粗体</strong>" in html
    raw = publish(
        area["staff"],
        area["home"],
        body='<p onclick="x()">段落<a href="https://example.cn">链接</a></p>',
        body_format="html",
    )
    assert raw.body_html == '<p>段落<a href="https://example.cn" rel="noopener noreferrer nofollow">链接</a></p>'


# --- The emergency notice -----------------------------------------------------------------


def test_emergency_goes_out_in_app_and_by_sms_to_the_area_at_once(
    area, settings, tmp_path, django_capture_on_commit_callbacks
):
    from tests import factories

    quiet = factories.resident(area["home"], actor=area["root"], sms_opt_out=True)
    announcement = publish(
        area["street_official"],
        area["street"],
        title="燃气泄漏",
        body="请立即撤离三号楼。",
        category=Category.EMERGENCY,
    )
    notice = Notice.objects.get(kind="information.emergency")
    assert notice.due_at <= timezone.now()
    report = notice_services.notices_dispatch()
    assert report.notices == 1
    deliveries = Delivery.objects.filter(notice=notice)
    in_app = set(deliveries.filter(channel="app").values_list("recipient_id", flat=True))
    by_sms = set(deliveries.filter(channel="sms").values_list("recipient_id", flat=True))
    street_people = {area["resident"].pk, area["neighbour_resident"].pk, quiet.pk}
    assert in_app == street_people  # the street's residents, not the district's others
    assert by_sms == street_people - {quiet.pk}
    assert not deliveries.filter(channel="email").exists()
    with django_capture_on_commit_callbacks(execute=True):
        notice_services.deliveries_hand_off()
    assert set(deliveries.values_list("status", flat=True)) == {"sent"}
    texts = [path.read_text(encoding="utf-8") for path in (tmp_path / "sms").rglob("*.txt")]
    assert len(texts) == 2 and all("燃气泄漏" in text and announcement.get_absolute_url() in text for text in texts)


def test_ordinary_announcements_send_no_notice(area):
    publish(area["staff"], area["home"], category=Category.NOTICE)
    assert not Notice.objects.exists()


def test_scheduled_emergency_waits_for_its_publishing_time_and_follows_changes(area):
    announcement = publish(area["staff"], area["home"], category=Category.EMERGENCY, publish_at=days(1))
    notice = Notice.objects.get()
    assert abs((notice.due_at - announcement.publish_at).total_seconds()) < 1
    assert notice_services.notices_dispatch().notices == 0
    services.announcement_update(actor=area["staff"], announcement=announcement, publish_at=days(2))
    pending = Notice.objects.filter(status=Notice.Status.PENDING)
    assert pending.count() == 1 and pending.get().due_at > notice.due_at
    services.announcement_update(actor=area["staff"], announcement=announcement, category=Category.NOTICE)
    assert not Notice.objects.filter(status=Notice.Status.PENDING).exists()


def test_an_emergency_goes_out_once_however_often_it_is_edited(area):
    announcement = publish(area["staff"], area["home"], category=Category.EMERGENCY)
    notice_services.notices_dispatch()
    services.announcement_update(actor=area["staff"], announcement=announcement, title="更新：燃气泄漏已处置")
    assert Notice.objects.count() == 1


# --- Query counts -------------------------------------------------------------------------


def _many(area, count):
    for n in range(count):
        publish(area["staff"], area["home"], title=f"通知{n}", attachments=[upload(f"{n}.pdf")] if n % 3 == 0 else ())


@pytest.mark.parametrize("count", [3, 25])
def test_list_query_count_is_flat(api_client, area, django_assert_num_queries, count):
    _many(area, count)
    client = as_user(api_client, area["staff"])
    # token, roles (5), reach, count, page, attachments, read counts
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200


@pytest.mark.parametrize("count", [3, 25])
def test_list_page_query_count_is_flat(client, area, django_assert_num_queries, count):
    _many(area, count)
    client.force_login(area["resident"])
    # session, user, roles (5), reach, count, page, attachments, unread ids, inbox count
    with django_assert_num_queries(13):
        response = client.get(reverse("announcement-list"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [3, 25])
def test_home_page_query_count_is_flat_for_residents(client, area, django_assert_num_queries, count):
    _many(area, count)
    client.force_login(area["resident"])
    # the home page's 3, session, user, roles (5), reach, announcements, attachments, unread ids, inbox count
    with django_assert_num_queries(15):
        assert client.get(reverse("home")).status_code == 200
