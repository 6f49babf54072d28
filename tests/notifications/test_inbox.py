"""The in-app inbox: API, page, header count, follows, and the admin's view of the outbox."""

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, Follow, Notice
from notifications.registry import IN_APP, SMS
from tests import factories

from .conftest import TEST_KIND

pytestmark = pytest.mark.django_db


def deliver(community, count=1, text="Water off on Tuesday"):
    for _ in range(count):
        services.notice_schedule(kind=TEST_KIND, subject=community, due_at=timezone.now(), params={"text": text})
    services.notices_dispatch()
    for channel in (IN_APP, SMS):
        ids = list(Delivery.objects.filter(channel=channel, status="queued").values_list("pk", flat=True))
        services.deliveries_send(channel=channel, ids=ids)


def test_api_lists_my_notices_in_the_contracts_shape(news_kind, api_client, community, resident, admin_user):
    other = factories.resident(community, actor=admin_user)
    deliver(community, count=2)
    api_client.force_authenticate(resident)
    response = api_client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 2 and {"count", "next", "previous", "results"} <= set(data)
    item = data["results"][0]
    assert {"id", "kind", "title", "body", "meeting", "created_at", "read"} <= set(item)
    assert item["kind"] == TEST_KIND
    assert item["title"] == f"News: {community.name}"
    assert item["body"] == "Water off on Tuesday"
    assert item["meeting"] is None and item["read"] is False
    mine = set(Delivery.objects.filter(recipient=resident, channel=IN_APP).values_list("pk", flat=True))
    assert {row["id"] for row in data["results"]} == mine
    assert not mine & set(Delivery.objects.filter(recipient=other).values_list("pk", flat=True))


def test_mark_read_through_the_api(news_kind, api_client, community, resident, admin_user):
    deliver(community)
    api_client.force_authenticate(resident)
    item = api_client.get("/api/v1/notifications/").json()["results"][0]
    assert api_client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    response = api_client.post(f"/api/v1/notifications/{item['id']}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert api_client.post(f"/api/v1/notifications/{item['id']}/read/").status_code == 200  # idempotent
    assert api_client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    assert api_client.get("/api/v1/notifications/?unread=true").json()["count"] == 0
    assert api_client.get("/api/v1/notifications/?unread=maybe").status_code == 400


def test_someone_elses_notice_is_not_found(news_kind, api_client, community, resident, admin_user):
    deliver(community)
    outsider = factories.UserFactory()
    api_client.force_authenticate(outsider)
    theirs = Delivery.objects.filter(recipient=resident, channel=IN_APP).get()
    assert api_client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api_client.get("/api/v1/notifications/").json()["count"] == 0
    # Only in-app deliveries are inbox items: an SMS delivery's id is not one.
    sms_delivery = Delivery.objects.filter(recipient=resident, channel=SMS).get()
    api_client.force_authenticate(resident)
    assert api_client.post(f"/api/v1/notifications/{sms_delivery.pk}/read/").status_code == 404


def test_inbox_needs_a_login(api_client, client):
    assert api_client.get("/api/v1/notifications/").status_code == 401
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_inbox_page_lists_marks_read_and_counts_in_the_header(news_kind, client, community, resident):
    deliver(community, count=3, text="See http://testserver/communities/")
    client.force_login(resident)
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('class="panel" id="notice-') == 3
    assert '<a href="http://testserver/communities/"' in page
    assert 'Notices <span class="tag">3<span class="visually-hidden"> unread</span></span>' in page
    first = Delivery.objects.filter(recipient=resident, channel=IN_APP).order_by("pk").first()
    response = client.post(reverse("notifications:read", args=[first.pk]), {"next": "/notifications/"})
    assert response.status_code == 302
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'Notices <span class="tag">2<span' in home
    client.post(reverse("notifications:read-all"))
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ">Notices</a>" in home


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(news_kind, client, community, resident):
    deliver(community)
    client.force_login(resident)
    delivery = Delivery.objects.get(recipient=resident, channel=IN_APP)
    response = client.post(reverse("notifications:read", args=[delivery.pk]), {"open": "1"})
    assert response["Location"] == community.get_absolute_url()  # its path, on the origin in use
    delivery.refresh_from_db()
    assert delivery.read_at is not None


def test_mark_read_of_another_persons_notice_is_404(news_kind, client, community, resident):
    deliver(community)
    client.force_login(factories.UserFactory())
    delivery = Delivery.objects.get(recipient=resident, channel=IN_APP)
    assert client.post(reverse("notifications:read", args=[delivery.pk])).status_code == 404
    assert client.get(reverse("notifications:read", args=[delivery.pk])).status_code == 405


def test_an_open_redirect_is_refused(news_kind, client, community, resident):
    deliver(community)
    client.force_login(resident)
    delivery = Delivery.objects.get(recipient=resident, channel=IN_APP)
    response = client.post(reverse("notifications:read", args=[delivery.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


@pytest.mark.parametrize("size", [2, 25])
def test_inbox_query_counts_do_not_grow(news_kind, client, community, resident, size, django_assert_num_queries):
    deliver(community, count=size)
    client.force_login(resident)
    # session, user, the page's count and rows, the header's unread count
    with django_assert_num_queries(5):
        assert client.get("/notifications/").status_code == 200
    with django_assert_num_queries(4):  # session, user, count, rows
        assert client.get("/api/v1/notifications/").status_code == 200


def test_the_header_count_is_one_query(client, resident):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(resident)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("profile")).status_code == 200
    touching = [q["sql"] for q in queries.captured_queries if "notifications_delivery" in q["sql"]]
    assert len(touching) == 1 and touching[0].startswith("SELECT COUNT(*)")
    client.logout()
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert not [q for q in queries.captured_queries if "notifications_delivery" in q["sql"]]


def test_admin_lists_notices_and_deliveries_with_status_counts(news_kind, client, community, admin_user, resident):
    deliver(community)
    client.force_login(admin_user)
    notices = client.get("/admin/notifications/notice/", HTTP_ACCEPT_LANGUAGE="en")
    assert notices.status_code == 200
    assert "Community news" in notices.content.decode()
    deliveries = client.get("/admin/notifications/delivery/?status__exact=sent", HTTP_ACCEPT_LANGUAGE="en")
    assert deliveries.status_code == 200
    page = deliveries.content.decode()
    assert "Sent (2)" in page  # facet counts beside the filters
    notice = Notice.objects.get()
    assert client.get(f"/admin/notifications/notice/{notice.pk}/change/").status_code == 200


def test_admin_shows_the_provider_error_and_resends(news_kind, client, community, admin_user, resident):
    deliver(community)
    failed = Delivery.objects.get(channel=SMS)
    Delivery.objects.filter(pk=failed.pk).update(
        status="failed", last_error="InternalError.Timeout: upstream timed out"
    )
    client.force_login(admin_user)
    page = client.get("/admin/notifications/delivery/?status__exact=failed").content.decode()
    assert "InternalError.Timeout: upstream timed out" in page
    sent = Delivery.objects.get(channel=IN_APP)
    response = client.post(
        "/admin/notifications/delivery/",
        {"action": "resend_failed", "_selected_action": [failed.pk, sent.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert failed.status == "queued" and failed.attempts == 0
    assert sent.status == "sent"


def test_staff_see_only_their_communitys_notices(news_kind, client, community, other_community, admin_user):
    factories.resident(community, actor=admin_user)
    factories.resident(other_community, actor=admin_user)
    services.notice_schedule(kind=TEST_KIND, subject=community)
    services.notice_schedule(kind=TEST_KIND, subject=other_community)
    services.notices_dispatch()
    staff = factories.staff_member(community, actor=admin_user, is_staff=True)
    client.force_login(staff)
    response = client.get("/admin/notifications/notice/")
    assert response.status_code == 200
    assert list(response.context["cl"].queryset.values_list("community_key", flat=True)) == [community.pk]
    rows = response.context_data["cl"].result_count
    assert rows == 1
    deliveries = client.get("/admin/notifications/delivery/").context["cl"].queryset
    assert {d.notice.community_key for d in deliveries} == {community.pk}
    resident_user = factories.resident(community, actor=admin_user)
    client.force_login(resident_user)
    assert client.get("/admin/notifications/notice/").status_code == 302


def test_follow_and_unfollow_through_the_api(api_client, community, resident, monkeypatch):
    from communities.models import Community
    from notifications.registry import Followable, registry

    followable = Followable(name="community", model=Community)
    monkeypatch.setitem(registry._followables, "community", followable)
    api_client.force_authenticate(resident)
    created = api_client.post("/api/v1/follows/", {"subject": "community", "object": community.pk}, format="json")
    assert created.status_code == 201
    assert api_client.post("/api/v1/follows/", {"subject": "community", "object": community.pk}).status_code == 200
    assert api_client.get("/api/v1/follows/").json()["results"][0]["object"] == community.pk
    assert api_client.post("/api/v1/follows/", {"subject": "nothing", "object": 1}).status_code == 400
    assert api_client.post("/api/v1/follows/", {"subject": "community", "object": 999999}).status_code == 400
    assert api_client.delete(f"/api/v1/follows/{created.json()['id']}/").status_code == 204
    assert not Follow.objects.get().active
    # Following by default never overrides an explicit unfollow.
    services.follow_by_default(user=resident, subject=community)
    assert not Follow.objects.get().active
    assert api_client.get("/api/v1/follows/").json()["count"] == 0


def test_officials_see_short_notice_notices_of_the_communities_they_oversee(
    news_kind, client, community, other_community, admin_user
):
    factories.resident(community, actor=admin_user)
    services.notice_schedule(kind=TEST_KIND, subject=community, short_notice=True)
    services.notice_schedule(kind=TEST_KIND, subject=other_community, short_notice=True)
    official = factories.official(district=community.street.district, actor=admin_user, is_staff=True)
    client.force_login(official)
    response = client.get("/admin/notifications/notice/?short_notice__exact=1")
    assert response.status_code == 200
    assert [n.community_key for n in response.context["cl"].result_list] == [community.pk]
    # They look; they do not resend.
    deliveries = client.get("/admin/notifications/delivery/")
    assert deliveries.status_code == 200
    assert "resend_failed" not in deliveries.content.decode()
