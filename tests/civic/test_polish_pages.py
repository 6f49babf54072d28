"""Resident-facing pages as visitors and residents read them: public announcements, the
directory's street list, the survey form's wording, upload messages, dates in English."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from tests import factories
from tests.fixtures.area import publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_and_sms")]


def page(response):
    return response.content.decode()


# --- Announcements: public audiences for everyone ----------------------------------------------


@pytest.fixture
def notices(area):
    return {
        "district": publish(area["district_official"], area["district"], title="全区防汛通知"),
        "street": publish(area["street_official"], area["street"], title="街道停电通知"),
        "community": publish(area["staff"], area["home"], title="本小区停水通知"),
    }


def test_a_visitor_reads_district_and_street_announcements_but_not_a_communitys(
    client, area, notices, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        listing = page(client.get(reverse("announcement-list"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "全区防汛通知" in listing and "街道停电通知" in listing
    assert "本小区停水通知" not in listing
    assert "public announcements" in listing and reverse("sms-login") in listing
    assert client.get(notices["district"].get_absolute_url()).status_code == 200
    assert client.get(notices["street"].get_absolute_url()).status_code == 200
    assert client.get(notices["community"].get_absolute_url()).status_code == 404
    # The community page (its query count pinned) leads a visitor to them.
    community_page = page(client.get(area["home"].get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "本小区停水通知" not in community_page
    assert f'<a href="{reverse("announcement-list")}">Public announcements' in community_page


def test_the_header_offers_announcements_to_visitors(client, area, notices):
    assert f'href="{reverse("announcement-list")}"' in page(client.get(reverse("home")))


def test_a_resident_keeps_their_areas_list_and_the_api_keeps_the_requesters_area(client, api_client, area, notices):
    client.force_login(area["outsider"])
    listing = page(client.get(reverse("announcement-list")))
    assert "全区防汛通知" not in listing  # another district's: not in their list...
    assert client.get(notices["district"].get_absolute_url()).status_code == 200  # ...but public to open
    assert client.get(notices["community"].get_absolute_url()).status_code == 404
    # CONTRACT: GET announcements/ is the requester's area only, public or not.
    api_client.force_authenticate(area["outsider"])
    titles = [item["title"] for item in api_client.get("/api/v1/announcements/").json()["results"]]
    assert "全区防汛通知" not in titles
    assert api_client.get(f"/api/v1/announcements/{notices['district'].pk}/").status_code == 404
    api_client.force_authenticate(area["resident"])
    titles = [item["title"] for item in api_client.get("/api/v1/announcements/").json()["results"]]
    assert {"全区防汛通知", "街道停电通知", "本小区停水通知"} <= set(titles)


def test_a_resident_awaiting_verification_sees_the_public_ones(client, area, notices):
    waiting = factories.UserFactory()
    client.force_login(waiting)
    listing = page(client.get(reverse("announcement-list"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "全区防汛通知" in listing and "本小区停水通知" not in listing
    assert reverse("profile") in listing


def test_the_admins_audience_column_is_not_the_vote_for():
    with translation.override("zh-hans"):
        assert pgettext("announcement audience", "for") not in ("for", "赞成")


# --- The directory: the street list follows the district chosen ---------------------------------


def _street_options(html):
    select = html.split('name="street"', 1)[1].split("</select>", 1)[0]
    return select


def test_the_directorys_street_list_follows_the_district_chosen(client, area, django_assert_max_num_queries):
    home_street, other_street = area["street"], area["elsewhere"].street
    everything = _street_options(page(client.get(reverse("community-list"))))
    assert home_street.name in everything and other_street.name in everything
    with django_assert_max_num_queries(6):
        response = client.get(reverse("community-list"), {"district": area["district"].pk})
    narrowed = _street_options(page(response))
    assert home_street.name in narrowed and area["across"].street.name in narrowed
    assert other_street.name not in narrowed
    # directory.js narrows it live from the same groups, in a data block (no inline script).
    html = page(response)
    assert '<script id="street-choices" type="application/json">' in html
    assert 'src="/static/communities/directory.js"' in html and 'data-narrowed-by="id_district"' in html


def test_a_street_of_another_district_is_refused_with_a_reason(client, area):
    response = client.get(
        reverse("community-list"),
        {"district": area["district"].pk, "street": area["elsewhere"].street.pk},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "That street or town is not in the district chosen" in page(response)
    ok = client.get(reverse("community-list"), {"district": area["district"].pk, "street": area["street"].pk})
    assert ok.status_code == 200 and area["home"].name in page(ok)


# --- The survey form's wording, upload messages, dates ---------------------------------------------


def test_the_survey_form_marks_each_question_once_in_full_width_brackets(client, admin_user):
    import inspect

    from surveys import demo
    from tests.surveys.conftest import build_survey

    community = factories.CommunityFactory()
    staff = factories.staff_member(community, actor=admin_user)
    resident = factories.resident(community, actor=admin_user)
    q = build_survey(staff, place=community)
    client.force_login(resident)
    with translation.override("zh-hans"):
        html = page(client.get(f"/surveys/{q.survey.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "（必答）" in html and "(必答)" not in html
    assert html.count("（选填）") == 2  # the number and the text question, each once
    assert "（选填） （选填）" not in html and "（选填）<span" not in html
    # The demo's question text no longer carries its own "(optional)" beside the form's.
    assert '（选填）"' not in inspect.getsource(demo)


def test_a_fake_pdf_is_told_what_is_wrong_with_it():
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core import uploads

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        uploads.inspect(
            SimpleUploadedFile("会议纪要.pdf", b"<html>not a pdf</html>"), policy=uploads.PHOTOS_AND_PDF, field="f"
        )
    message = " ".join(refused.value.message_dict["f"])
    assert "named as a PDF document but its content is not one" in message
    assert "attach a photo" not in message
    # A file of a kind not accepted at all still hears what to attach instead.
    with translation.override("en"), pytest.raises(ValidationError, match="attach a photo"):
        uploads.inspect(SimpleUploadedFile("图.svg", b"<svg/>"), policy=uploads.PHOTOS_AND_PDF)


def test_english_writes_one_date_format_and_one_date_time_format():
    import datetime

    from django.utils import formats

    moment = datetime.datetime(2026, 12, 3, 14, 30)
    with translation.override("en"):
        assert formats.date_format(moment.date(), "DATE_FORMAT") == "3 Dec 2026"
        assert formats.date_format(moment.date(), "SHORT_DATE_FORMAT") == "3 Dec 2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "3 Dec 2026, 14:30"
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "3 Dec 2026, 14:30"
    with translation.override("zh-hans"):
        assert formats.date_format(moment.date(), "SHORT_DATE_FORMAT") == "2026年12月3日"
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "2026年12月3日 14:30"


# --- The demo's activities fit their season -------------------------------------------------------


@pytest.mark.parametrize("month", range(1, 13))
def test_festival_activities_are_held_in_their_season(month):
    from surveys.demo import ACTIVITY_THEMES, themes_for

    for category in ACTIVITY_THEMES:
        themes = themes_for(category, month)
        assert themes, (category, month)
        if month == 12:
            assert "端午包粽子" not in themes and "中秋邻里游园会" not in themes
    assert "端午包粽子" in themes_for("festival", 6) and "中秋邻里游园会" in themes_for("festival", 9)
