"""The pages (announcements, services, the community page's duties and rules) and the admin."""

import pytest
from django.urls import reverse

from communities.models import BodyKind
from information import services
from information.models import Announcement, BodyProfile, Service, ServiceCategory
from tests import factories
from tests.fixtures.area import PDF, council_body, days, publish, upload

pytestmark = pytest.mark.django_db


def page(response):
    return response.content.decode()


# --- Announcement pages ------------------------------------------------------------------


def test_the_list_page_shows_a_visitor_the_public_announcements(client):
    # Public announcements (to a whole street or district) are for everyone: see
    # tests/civic/test_polish_pages.py; a community's own stay with its people.
    response = client.get(reverse("announcement-list"))
    assert response.status_code == 200 and "announcement-public-note" in response.content.decode()


def test_resident_reads_the_list_and_the_detail_and_it_counts(client, area):
    announcement = publish(
        area["staff"], area["home"], title="停水通知", body="**明天**停水", attachments=[upload("通知.pdf")]
    )
    publish(area["staff_other"], area["elsewhere"], title="别处的通知")
    client.force_login(area["resident"])
    listing = page(client.get(reverse("announcement-list"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "停水通知" in listing and "别处的通知" not in listing and "New" in listing
    detail = page(client.get(announcement.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "<strong>明天</strong>" in detail and "通知.pdf" in detail and "Read by" not in detail
    assert announcement.reads.count() == 1
    listing = page(client.get(reverse("announcement-list"), HTTP_ACCEPT_LANGUAGE="en"))
    assert 'class="tag tag--new"' not in listing


def test_staff_see_the_read_count_and_a_change_link(client, area):
    announcement = publish(area["staff"], area["home"])
    client.force_login(area["staff"])
    detail = page(client.get(announcement.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Read by" in detail and reverse("admin:information_announcement_change", args=[announcement.pk]) in detail


@pytest.mark.parametrize("reader", ["neighbour_resident", "outsider", "staff_other"])
def test_detail_and_attachments_of_another_area_are_404(client, area, reader):
    announcement = publish(area["staff"], area["home"], attachments=[upload("a.pdf")])
    attachment = announcement.attachments.get()
    client.force_login(area[reader])
    assert client.get(announcement.get_absolute_url()).status_code == 404
    assert client.get(attachment.get_absolute_url()).status_code == 404


def test_attachment_download_is_the_stored_file_with_its_checked_type(client, area):
    announcement = publish(area["staff"], area["home"], attachments=[upload("办法.pdf")])
    client.force_login(area["resident"])
    response = client.get(announcement.attachments.get().get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_home_and_community_page_show_the_area_s_announcements(client, area):
    publish(area["staff"], area["home"], title="置顶通知", pinned=True)
    publish(area["staff"], area["home"], title="明天的通知", publish_at=days(1))
    client.force_login(area["resident"])
    home = page(client.get(reverse("home")))
    assert "置顶通知" in home and "明天的通知" not in home
    assert "置顶通知" in page(client.get(area["home"].get_absolute_url()))
    client.force_login(area["outsider"])
    assert "置顶通知" not in page(client.get(reverse("home")))
    assert "置顶通知" not in page(client.get(area["home"].get_absolute_url()))


def test_anonymous_visitor_is_one_code_away_from_the_community_s_announcements(client, area):
    publish(area["staff"], area["home"], title="置顶通知")
    html = page(client.get(area["home"].get_absolute_url()))
    assert "置顶通知" not in html
    assert f"{reverse('sms-login')}?next={area['home'].get_absolute_url()}" in html.replace("%2F", "/")


# --- Duties, contacts, council rules and services on the community page ------------------------


def test_community_page_shows_duties_contacts_terms_rules_and_services(client, area):
    council = council_body(area["home"], area["root"])
    centre = factories.BodyFactory(community=area["home"], kind=BodyKind.SERVICE_CENTRE, name="便民服务中心")
    services.body_profile_update(
        actor=area["staff"],
        body=council,
        duties="讨论决定社区公共事务\n审议资金使用方案",
        office_hours="每月第三个周四",
        phone="028-8555 0000",
    )
    services.service_create(
        actor=area["staff"],
        provider=centre,
        name="老年人优待证办理",
        category=ServiceCategory.ELDERLY,
        description="为60岁以上老人办理优待证",
        location="便民服务大厅",
        hours="周一至周六",
        how_to_apply="带身份证到窗口",
    )
    factories.council_member(area["home"], actor=area["root"], display_name="张议员")
    html = page(client.get(area["home"].get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    for text in ("讨论决定社区公共事务", "每月第三个周四", "tel:02885550000", "老年人优待证办理", "张议员", "since"):
        assert text in html, text
    assert "The deliberation council's rules" in html and "Quorum" in html and "Remit" in html


def test_only_staff_of_the_community_describe_its_bodies(area):
    from django.core.exceptions import PermissionDenied

    council = council_body(area["home"], area["root"])
    for actor in ("resident", "staff_other", "district_official"):
        with pytest.raises(PermissionDenied):
            services.body_profile_update(actor=area[actor], body=council, duties="x")
    assert not BodyProfile.objects.exists()


# --- Services ----------------------------------------------------------------------------


@pytest.fixture
def offered(area):
    def offer(community, name, category):
        body = community.bodies.filter(kind=BodyKind.SERVICE_CENTRE).first() or factories.BodyFactory(
            community=community, kind=BodyKind.SERVICE_CENTRE, name=f"{community.name}便民服务中心"
        )
        return services.service_create(
            actor=area["root"], provider=body, name=name, category=category, description="说明",
            location="大厅", hours="周一至周五", how_to_apply="到窗口",
        )  # fmt: skip

    return [
        offer(area["home"], "优待证", ServiceCategory.ELDERLY),
        offer(area["home"], "医保登记", ServiceCategory.HEALTH),
        offer(area["elsewhere"], "四点半课堂", ServiceCategory.CHILDREN),
    ]


def test_services_page_and_api_search_by_community_and_category(client, api_client, area, offered):
    html = page(client.get(reverse("service-list"), {"community": area["home"].pk}))
    assert "优待证" in html and "医保登记" in html and "四点半课堂" not in html
    html = page(client.get(reverse("service-list"), {"category": "children"}))
    assert "四点半课堂" in html and "优待证" not in html
    assert "优待证" in page(client.get(offered[0].get_absolute_url()))
    names = [s["name"] for s in api_client.get("/api/v1/services/", {"community": area["home"].pk}).json()["results"]]
    assert sorted(names) == ["优待证", "医保登记"]
    results = api_client.get("/api/v1/services/", {"search": "课堂", "district": area["elsewhere"].street.district_id})
    assert [s["name"] for s in results.json()["results"]] == ["四点半课堂"]


@pytest.mark.parametrize("params", [{"category": "spa"}, {"community": "x"}, {"community": 999999}])
def test_services_bad_filters_are_400(client, api_client, area, offered, params):
    assert api_client.get("/api/v1/services/", params).status_code == 400
    assert client.get(reverse("service-list"), params).status_code == 400


def test_services_api_bad_place_is_400(api_client, area):
    assert api_client.get("/api/v1/services/", {"district": 999999}).status_code == 400
    assert api_client.get("/api/v1/services/", {"street": "x"}).status_code == 400


def test_inactive_service_is_hidden(client, area, offered):
    services.service_update(actor=area["staff"], service=offered[0], active=False)
    assert "优待证" not in page(client.get(reverse("service-list")))
    assert client.get(offered[0].get_absolute_url()).status_code == 404
    client.force_login(area["staff"])
    assert client.get(offered[0].get_absolute_url()).status_code == 200


def test_only_the_community_s_staff_list_its_services(area, offered):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.service_update(actor=area["staff_other"], service=offered[0], name="改名")
    with pytest.raises(PermissionDenied):
        services.service_create(actor=area["resident"], provider=offered[0].provider, name="x", category="other",
                                description="d", location="l", hours="h", how_to_apply="a")  # fmt: skip


@pytest.mark.parametrize("count", [2, 30])
def test_services_page_and_api_query_counts_are_flat(client, api_client, area, django_assert_num_queries, count):
    body = factories.BodyFactory(community=area["home"], kind=BodyKind.SERVICE_CENTRE, name="中心")
    Service.objects.bulk_create(
        Service(provider=body, community=area["home"], name=f"服务{n}", category="other", description="d",
                location="l", hours="h", how_to_apply="a")
        for n in range(count)
    )  # fmt: skip
    with django_assert_num_queries(3):  # community choices, count, page
        assert client.get(reverse("service-list")).status_code == 200
    with django_assert_num_queries(2):  # count, page
        assert api_client.get("/api/v1/services/").status_code == 200


# --- The admin ----------------------------------------------------------------------------


def test_staff_admin_lists_their_community_s_announcements_only(client, area):
    mine = publish(area["staff"], area["home"], title="本社区的")
    publish(area["staff_other"], area["elsewhere"], title="别的社区的")
    district = publish(area["district_official"], area["district"], title="区里的")
    client.force_login(area["staff"])
    html = page(client.get(reverse("admin:information_announcement_changelist")))
    assert "本社区的" in html and "别的社区的" not in html and "区里的" not in html
    assert client.get(reverse("admin:information_announcement_change", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:information_announcement_change", args=[district.pk])).status_code == 302
    client.force_login(area["district_official"])
    html = page(client.get(reverse("admin:information_announcement_changelist")))
    assert "本社区的" in html and "区里的" in html and "别的社区的" not in html


def test_admin_refuses_expiry_before_publishing_and_a_wrong_file(client, area):
    client.force_login(area["staff"])
    url = reverse("admin:information_announcement_add")
    form = {
        "community": area["home"].pk,
        "title": "通知",
        "category": "notice",
        "body_format": "markdown",
        "body": "内容",
        "publish_at_0": "2030-01-10",
        "publish_at_1": "09:00:00",
        "expires_at_0": "2030-01-09",
        "expires_at_1": "09:00:00",
    }
    response = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "expire after it is published" in page(response)
    form.update(expires_at_0="2030-02-01", attachments=upload("病毒.pdf", b"MZ\x00\x00"))
    response = client.post(url, form)
    assert response.status_code == 200 and "病毒.pdf" in page(response)
    assert not Announcement.objects.exists()
    form["attachments"] = upload("办法.pdf")
    response = client.post(url, form)
    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert announcement.author == area["staff"] and announcement.attachments.count() == 1


def test_admin_area_choices_are_the_areas_one_may_publish_to(client, area):
    client.force_login(area["staff"])
    response = client.post(
        reverse("admin:information_announcement_add"),
        {"community": area["elsewhere"].pk, "title": "t", "category": "notice", "body_format": "markdown", "body": "b"},
    )
    assert response.status_code == 200 and not Announcement.objects.exists()


def test_staff_admin_for_services_and_duties_is_scoped(client, area, offered):
    client.force_login(area["staff"])
    html = page(client.get(reverse("admin:information_service_changelist")))
    assert "优待证" in html and "四点半课堂" not in html
    assert client.get(reverse("admin:information_service_change", args=[offered[2].pk])).status_code == 302
    assert client.get(reverse("admin:information_bodyprofile_changelist")).status_code == 200
    client.force_login(area["resident"])
    assert client.get(reverse("admin:information_service_changelist")).status_code == 302
