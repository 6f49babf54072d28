"""The information admin refuses through core.admin: the same form again, the reason on its
field, what was typed kept, HTTP 200, nothing saved. And the clerk's announcement form: only
the audiences the clerk may use, the obvious one chosen, a clear message, a Markdown preview."""

import pytest
from django.urls import reverse

from communities.models import BodyKind
from information.models import Announcement, Service
from tests import factories

pytestmark = pytest.mark.django_db


def page(response):
    return response.content.decode()


@pytest.fixture
def centre(area):
    return factories.BodyFactory(community=area["home"], kind=BodyKind.SERVICE_CENTRE, name="便民服务中心")


def service_form(centre, **overrides):
    data = {
        "provider": centre.pk,
        "name": "老年优待证办理",
        "category": "elderly",
        "description": "为六十岁以上老人办理优待证。",
        "location": "社区服务大厅",
        "hours": "周一至周五 9:00-17:00",
        "how_to_apply": "带身份证到窗口办理",
        "contact": "",
        "free": "on",
        "active": "on",
    }
    data.update(overrides)
    return data


def test_a_service_refusing_a_new_service_shows_the_form_again(client, area, centre):
    client.force_login(area["staff"])
    # One character: the service (not the form) refuses a name shorter than two.
    response = client.post(
        reverse("admin:information_service_add"), service_form(centre, name="x"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    html = page(response)
    assert 'class="errorlist' in html and "为六十岁以上老人办理优待证。" in html and "带身份证到窗口办理" in html
    form = response.context["adminform"].form
    assert form.errors["name"] and form["name"].value() == "x"
    assert not Service.objects.exists()
    assert "was added successfully" not in html


def test_a_refused_change_is_not_reported_saved(client, area, centre):
    from information import services

    service = services.service_create(
        actor=area["root"],
        provider=centre,
        **{k: v for k, v in service_form(centre).items() if k not in ("provider", "free", "active")},
    )
    client.force_login(area["staff"])
    url = reverse("admin:information_service_change", args=[service.pk])
    response = client.post(url, service_form(centre, hours="x" * 201), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.context["adminform"].form.errors
    service.refresh_from_db()
    assert service.hours == "周一至周五 9:00-17:00"


def test_staff_see_their_community_only_and_it_is_chosen(client, area):
    client.force_login(area["staff"])
    response = client.get(reverse("admin:information_announcement_add"))
    form = response.context["adminform"].form
    assert set(form.fields) & {"community", "street", "district"} == {"community"}
    assert form["community"].value() == area["home"].pk
    assert "data-preview-url" in page(response) and "js/announcement-preview.js" in page(response)


def test_an_official_gets_their_street_and_district_audiences(client, area):
    client.force_login(area["district_official"])
    response = client.get(reverse("admin:information_announcement_add"))
    form = response.context["adminform"].form
    assert {"community", "street", "district"} <= set(form.fields)
    assert form["district"].value() == area["district"].pk
    assert not form["community"].value()


def test_no_audience_chosen_says_what_to_choose(client, area):
    client.force_login(area["district_official"])
    data = {"title": "停水通知", "category": "notice", "body_format": "markdown", "body": "明天停水。"}
    response = client.post(reverse("admin:information_announcement_add"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Choose who the announcement is for" in page(response)
    both = {**data, "street": area["street"].pk, "district": area["district"].pk}
    response = client.post(reverse("admin:information_announcement_add"), both, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Choose only one audience" in page(response)
    assert "明天停水。" in page(response)
    assert not Announcement.objects.exists()


def test_the_preview_renders_markdown_as_the_public_page_does(client, area):
    from information import text

    client.force_login(area["staff"])
    body = "## 停水\n\n明天 **9 点** 停水。<script>alert(1)</script>\n\n| 时间 | 地点 |\n|---|---|\n| 9 点 | 一栋 |"
    response = client.post(reverse("admin:information_announcement_preview"), {"body": body, "body_format": "markdown"})
    assert response.status_code == 200
    html = response.json()["html"]
    assert html == text.render(body, "markdown")
    assert "<strong>9 点</strong>" in html and "<table>" in html and "<script" not in html
    assert client.get(reverse("admin:information_announcement_preview")).status_code == 405
    client.force_login(area["resident"])
    assert client.post(reverse("admin:information_announcement_preview"), {"body": body}).status_code == 302


def test_the_announcement_list_heads_its_audience_column_in_its_own_words(client, area):
    from tests.fixtures.area import publish

    publish(area["staff"], area["home"])
    client.force_login(area["staff"])
    html = page(client.get(reverse("admin:information_announcement_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "发布对象" in html and "赞成" not in html
