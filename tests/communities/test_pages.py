"""The residents' pages: home, directory, community page, accounts and profile."""

import re

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from communities import services
from communities.models import (
    Body,
    BodyKind,
    Community,
    District,
    Membership,
    Post,
    Residency,
    Stage,
    Street,
    Typology,
    User,
)
from tests import factories
from tests.smsbox import sent_code

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "lantern-river-2026"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def html(response):
    return response.content.decode()


def build_communities(count):
    """`count` communities over two districts and four streets, written in bulk."""
    districts = District.objects.bulk_create(
        [District(name="锦江区", ring=1), District(name="蒲江县", ring=3, kind=District.Kind.COUNTY)]
    )
    streets = Street.objects.bulk_create([Street(district=districts[i // 2], name=f"第{i}街道") for i in range(4)])
    typologies = Typology.values
    Community.objects.bulk_create(
        [
            Community(
                street=streets[i % 4],
                name=f"批量{i:03d}社区",
                code=f"B{i:05d}",
                typology=typologies[i % len(typologies)],
                stage=Stage.values[i % 3],
                households=100 + i,
                population=300 + i,
            )
            for i in range(count)
        ]
    )
    return list(Community.objects.order_by("code"))


def staff_bodies(community, members_per_body):
    """Every single-kind body with `members_per_body` current post-holders and one past one."""
    users = User.objects.bulk_create(
        [
            User(username=f"cadre{community.pk}-{i}", display_name=f"干部{i:03d}", password="!")
            for i in range(members_per_body * 5 + 1)
        ]
    )
    bodies = Body.objects.bulk_create(
        [Body(community=community, kind=kind, name=f"{community.name}{kind.label}") for kind in BodyKind][:5]
    )
    memberships = [
        Membership(body=body, user=users[b * members_per_body + i], post=Post.MEMBER if i else Post.SECRETARY)
        for b, body in enumerate(bodies)
        for i in range(members_per_body)
    ]
    past = factories.fake.date_between(start_date="-6y", end_date="-5y")
    memberships.append(Membership(body=bodies[0], user=users[-1], post=Post.SECRETARY, term_start=past, term_end=past))
    Membership.objects.bulk_create(memberships)
    return bodies


# --- Every page, in both languages -----------------------------------------------------------


@pytest.fixture
def page_urls(community, resident):
    return {
        "home": reverse("home"),
        "directory": reverse("community-list"),
        "community": reverse("community-detail", args=[community.pk]),
        "signup": reverse("signup"),
        "login": reverse("login"),
        "password_reset": reverse("password_reset"),
        "profile": reverse("profile"),
    }


ENGLISH_CONTENT = {
    "home": "The seven-step deliberation method",
    "directory": "Community directory",
    "community": "Bodies and post-holders",
    "signup": "Sign up as a resident",
    "login": "Username, phone or e-mail",
    "password_reset": "Reset your password",
    "profile": "Contact preferences",
}


@pytest.mark.parametrize("name", ENGLISH_CONTENT)
def test_every_page_is_chinese_by_default(client, page_urls, resident, community, name):
    if name == "profile":
        client.force_login(resident)
    response = client.get(page_urls[name])
    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"
    page = html(response)
    assert '<html lang="zh-hans">' in page
    # The language switch is on every page, posting back to where the visitor is.
    assert f'action="{reverse("set_language")}"' in page
    assert f'name="next" value="{page_urls[name]}"' in page
    assert 'value="en"' in page and "简体中文" in page
    assert 'href="#main"' in page and 'id="main"' in page
    if name in ("community", "profile"):
        assert community.name in page


@pytest.mark.parametrize("name", ENGLISH_CONTENT)
def test_every_page_in_english_by_accept_language(client, page_urls, resident, name):
    if name == "profile":
        client.force_login(resident)
    response = client.get(page_urls[name], HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in html(response)
    assert ENGLISH_CONTENT[name] in html(response)


@pytest.mark.parametrize("name", ENGLISH_CONTENT)
def test_every_page_in_english_by_cookie(client, page_urls, resident, name):
    if name == "profile":
        client.force_login(resident)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(page_urls[name], HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 200
    assert '<html lang="en">' in html(response)
    assert ENGLISH_CONTENT[name] in html(response)


def test_language_switch_returns_to_the_page_in_english(client, community):
    detail = reverse("community-detail", args=[community.pk])
    response = client.post(reverse("set_language"), {"language": "en", "next": detail})
    assert response.status_code == 302
    assert response["Location"] == detail
    assert '<html lang="en">' in html(client.get(detail))


def test_navigation_follows_the_visitor(client, resident, community, admin_user):
    anonymous = html(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))
    assert reverse("login") in anonymous and reverse("signup") in anonymous
    assert reverse("admin:index") not in anonymous

    client.force_login(resident)
    page = html(client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en"))
    assert reverse("profile") in page
    assert re.search(rf'<form action="{reverse("logout")}" method="post"', page)
    assert reverse("admin:index") not in page

    client.force_login(admin_user)
    assert reverse("admin:index") in html(client.get(reverse("home")))


# --- Home -----------------------------------------------------------------------------------


def test_home_counts_and_typologies(client, community, resident, other_community):
    factories.CommunityFactory(typology=Typology.RURAL, stage=Stage.RURAL)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    page = html(response)
    counts = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))
    assert counts == {"Districts and counties": "3", "Communities and villages": "3", "Verified residents": "1"}
    assert f'href="{reverse("community-list")}?typology=rural"' in page
    assert "1 community" in page and "2 communities" in page
    # The seven steps, in order, with their Chinese names beside the English ones.
    steps = re.findall(r'<h3 class="step__name">(\w+) <span lang="zh-Hans" class="zh-term">([^<]+)</span>', page)
    assert steps == [
        ("Collect", "收集"),
        ("Review", "审查"),
        ("Resolve", "决议"),
        ("Publicize", "公示"),
        ("Implement", "执行(监督)"),
        ("Evaluate", "测评"),
        ("Archive", "归档"),
    ]


@pytest.mark.parametrize("size", [10, 200])
def test_home_query_count(client, django_assert_num_queries, size):
    build_communities(size)
    with django_assert_num_queries(3):
        assert client.get(reverse("home")).status_code == 200


# --- Directory --------------------------------------------------------------------------------


def listed(response):
    return re.findall(r'<th scope="row"><a href="/communities/\d+/">([^<]+)</a>', html(response))


def test_directory_filters(client):
    communities = build_communities(16)
    url = reverse("community-list")
    by_typology = listed(client.get(url, {"typology": "rural"}))
    assert by_typology == [c.name for c in communities if c.typology == "rural"]
    by_stage = listed(client.get(url, {"stage": "peri_urban"}))
    assert by_stage == [c.name for c in communities if c.stage == "peri_urban"]
    street = communities[1].street
    assert listed(client.get(url, {"street": street.pk})) == [c.name for c in communities if c.street == street]
    district = street.district
    in_district = [c.name for c in communities if c.street.district_id == district.pk]
    assert listed(client.get(url, {"district": district.pk})) == in_district
    assert listed(client.get(url, {"search": "批量007"})) == ["批量007社区"]
    combined = client.get(url, {"typology": "rural", "district": district.pk, "search": "批量"})
    expected = [c.name for c in communities if c.typology == "rural" and c.street.district_id == district.pk]
    assert listed(combined) == expected


def test_directory_row_shows_typology_stage_street_and_district(client, community):
    response = client.get(reverse("community-list"), HTTP_ACCEPT_LANGUAGE="en")
    page = html(response)
    assert f'href="{community.get_absolute_url()}">{community.name}</a>' in page
    for text in ("Commercial housing estate", "City community", community.street.name, community.street.district.name):
        assert text in page


@pytest.mark.parametrize(
    "params",
    [
        {"typology": "castle"},
        {"stage": "suburban"},
        {"district": "999999"},
        {"district": "abc"},
        {"street": "999999"},
        {"search": "x" * 61},
    ],
)
def test_directory_unknown_filter_value_is_a_400_with_the_error_shown(client, community, params):
    response = client.get(reverse("community-list"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = html(response)
    assert 'class="error-summary" role="alert"' in page
    field = next(iter(params))
    assert response.context["form"].errors[field]
    assert 'class="field__errors"' in page
    assert community.name not in page


def test_directory_paginates_by_twenty_and_keeps_the_filters(client):
    build_communities(48)  # six of each typology
    url = reverse("community-list")
    first = client.get(url)
    assert len(listed(first)) == 20
    assert 'href="?page=2"' in html(first)
    third = client.get(url, {"page": 3})
    assert len(listed(third)) == 8
    filtered = client.get(url, {"stage": "urban", "page": 1})
    assert len(listed(filtered)) == 16
    assert "page=2" not in html(filtered)
    rural = client.get(url, {"search": "批量", "page": 2})
    assert 'href="?search=%E6%89%B9%E9%87%8F&amp;page=1"' in html(rural)


@pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "1.5"])
def test_directory_page_past_the_end_or_not_a_number_is_404(client, page):
    build_communities(45)
    assert client.get(reverse("community-list"), {"page": page}).status_code == 404


def test_directory_empty_result(client, community):
    response = client.get(reverse("community-list"), {"search": "不存在"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "No community matches these filters." in html(response)


@pytest.mark.parametrize("size", [10, 200])
def test_directory_query_count(client, django_assert_num_queries, size):
    communities = build_communities(size)
    url = reverse("community-list")
    district_id = communities[0].street.district_id
    # district choices, street choices, count, page
    with django_assert_num_queries(4):
        response = client.get(url, {"typology": "", "district": district_id, "page": 1})
    assert response.status_code == 200
    with django_assert_num_queries(4):
        assert len(listed(client.get(url, {"page": 1}))) == min(size, 20)


@pytest.mark.parametrize("size", [10, 200])
def test_directory_query_count_logged_in(client, django_assert_num_queries, resident, size):
    build_communities(size)
    client.force_login(resident)
    with django_assert_num_queries(7):  # + session, user and the header's unread-notice count
        assert client.get(reverse("community-list")).status_code == 200


# --- Community page ---------------------------------------------------------------------------


def test_community_page_shows_facts_and_bodies(client, community, admin_user):
    council = factories.council_member(community, actor=admin_user, display_name="张议员")
    response = client.get(community.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = html(response)
    for text in (
        community.name,
        community.code,
        community.street.name,
        community.street.district.name,
        "Commercial housing estate",
        "City community",
        "1,200",
        "3,500",
        community.address,
        "Deliberation council",
        council.display_name,
        "Member",
    ):
        assert text in page, text


def test_community_page_lists_current_post_holders_only(client, community):
    staff_bodies(community, members_per_body=2)
    page = html(client.get(community.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert page.count('<span class="members__name">') == 10
    assert "干部010" not in page  # the past secretary
    # Bodies in the order of their kinds: the party organisation first, secretaries first.
    kinds = re.findall(r'<p class="muted">([^<]+)</p>', page)
    assert kinds[:2] == ["Party organisation", "Residents&#x27; or villagers&#x27; committee"]
    assert re.search(r'members__name">[^<]+</span> <span class="members__post">Secretary', page)


def test_unknown_community_is_404(client):
    assert client.get(reverse("community-detail", args=[987654])).status_code == 404


@pytest.mark.parametrize("size", [10, 200])
def test_community_page_query_count(client, django_assert_num_queries, size):
    communities = build_communities(size)
    community = communities[size // 2]
    staff_bodies(community, members_per_body=size // 10)
    # community with street and district, bodies, current post-holders with their users;
    # the bodies' duties and contacts, the council's rules and the services (information)
    with django_assert_num_queries(6):
        response = client.get(community.get_absolute_url())
    assert response.status_code == 200
    assert html(response).count('<span class="members__name">') == 5 * (size // 10)


@pytest.mark.parametrize("size", [10, 200])
def test_community_page_query_count_logged_in(client, django_assert_num_queries, size):
    communities = build_communities(size)
    community = communities[size // 2]
    staff_bodies(community, members_per_body=size // 10)
    visitor = factories.UserFactory()
    services.residency_request(user=visitor, community=communities[0])
    client.force_login(visitor)
    # + session, user, the visitor's residencies, the roles behind the join permission, and
    # the header's unread-notice count; duties and contacts, council rules, services
    with django_assert_num_queries(15):
        response = client.get(community.get_absolute_url())
    assert "Join this community" in html(client.get(community.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert response.status_code == 200


def test_anonymous_visitor_is_offered_sign_up_for_this_community(client, community):
    page = html(client.get(community.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert f'href="{reverse("signup")}?community={community.pk}"' in page
    assert "Join this community" not in page


def test_join_this_community(client, community):
    user = factories.UserFactory()
    client.force_login(user)
    page = html(client.get(community.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert f'action="{reverse("community-join", args=[community.pk])}"' in page
    response = client.post(reverse("community-join", args=[community.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [(community.get_absolute_url(), 302)]
    page = html(response)
    assert f"You asked to join {community.name}" in page
    assert "Its staff have not verified you yet." in page
    assert "Join this community" not in page
    assert user.residencies.get().status == Residency.Status.PENDING


def test_joining_twice_is_a_conflict_message_and_changes_nothing(client, community):
    user = factories.UserFactory()
    services.residency_request(user=user, community=community)
    client.force_login(user)
    response = client.post(reverse("community-join", args=[community.pk]), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "You have already asked to join this community." in html(response)
    assert user.residencies.count() == 1


def test_resident_sees_their_state_and_no_join_button(client, community, resident):
    client.force_login(resident)
    page = html(client.get(community.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "You are a verified resident of this community" in page
    assert "Join this community" not in page


def test_resident_elsewhere_is_told_joining_is_a_move(client, resident, community, other_community):
    client.force_login(resident)
    page = html(client.get(other_community.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert f"You are a resident of {community.name}" in page
    assert "Join this community" in page


def test_join_needs_login_and_post(client, community):
    url = reverse("community-join", args=[community.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Residency.objects.exists()
    client.force_login(factories.UserFactory())
    assert client.get(url).status_code == 405
    assert client.post(reverse("community-join", args=[987654])).status_code == 404
    assert not Residency.objects.exists()


# --- Sign-up ----------------------------------------------------------------------------------


def signup_data(chosen, **overrides):
    data = {
        "display_name": "陈静",
        "phone": "13912345678",
        "email": "",
        "community": chosen.pk,
        "password1": STRONG_PASSWORD,
        "password2": STRONG_PASSWORD,
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def test_signup_preselects_the_community(client, community, other_community):
    response = client.get(reverse("signup"), {"community": other_community.pk})
    page = html(response)
    assert f'<option value="{other_community.pk}" selected>{other_community.name}</option>' in page
    assert f'<optgroup label="{community.street.district.name} · {community.street.name}">' in page
    # A preselection that names no community just leaves the choice open.
    assert client.get(reverse("signup"), {"community": "nonsense"}).status_code == 200


def test_signup_end_to_end(client, community, sms_box):
    response = client.post(reverse("signup"), signup_data(community), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    # The number is confirmed first: the code step of the SMS page, nothing saved yet.
    assert response.redirect_chain == [(reverse("sms-login"), 302)]
    assert "To finish signing up" in html(response)
    assert not User.objects.filter(phone="13912345678").exists()
    code = sent_code(sms_box, "13912345678")
    response = client.post(
        reverse("sms-login"), {"action": "login", "code": code}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert response.redirect_chain == [(reverse("profile"), 302)]
    user = User.objects.get(phone="13912345678")
    assert response.context["user"] == user
    assert user.display_name == "陈静"
    assert user.preferred_language == "en"
    residency = user.residencies.get()
    assert (residency.community, residency.status) == (community, Residency.Status.PENDING)
    page = html(response)
    assert "waiting for verification" in page
    assert "Waiting for verification" in page
    # And the new resident can log in with the phone number later.
    client.logout()
    assert client.login(request=HttpRequest(), username="13912345678", password=STRONG_PASSWORD)


def test_signup_with_email_only(client, community, mailoutbox):
    response = client.post(reverse("signup"), signup_data(community, phone="", email="Jing@Example.cn"))
    assert response.status_code == 302 and response["Location"] == reverse("signup-sent")
    assert not User.objects.filter(email="jing@example.cn").exists()
    link = next(word for word in mailoutbox[-1].body.split() if "/accounts/signup/confirm/" in word)
    path = link.replace("http://testserver", "")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert User.objects.get(email="jing@example.cn").phone is None
    # The link works once.
    client.logout()
    assert client.get(path).status_code == 410


def test_logged_in_user_is_sent_to_profile(client, resident):
    client.force_login(resident)
    response = client.get(reverse("signup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("profile")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"accept_terms": ""}, "accept_terms", "accept the terms of use and the privacy notice"),
        ({"display_name": "\u200b\u2060\ufeff"}, "display_name", "required"),
        ({"community": "987654"}, "community", "Select a valid choice"),
        ({"community": "abc"}, "community", "Select a valid choice"),
        ({"phone": "", "email": ""}, "phone", "Give a phone number or an e-mail address."),
        ({"phone": "12345"}, "phone", "11 digits"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"password2": "something-else-2026"}, "password2", "The two passwords differ."),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "too common"),
        ({"display_name": ""}, "display_name", "required"),
    ],
)
def test_signup_bad_input_is_400_and_saves_nothing(client, community, overrides, field, message):
    factories.UserFactory(phone="13900000001", email="taken@example.cn")
    users, residencies = User.objects.count(), Residency.objects.count()
    response = client.post(reverse("signup"), signup_data(community, **overrides), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert message in html(response).replace("&#x27;", "'")
    assert (User.objects.count(), Residency.objects.count()) == (users, residencies)
    assert "_auth_user_id" not in client.session


# --- Login, logout, password reset ------------------------------------------------------------


def test_login_by_phone_restores_the_preferred_language(client, community):
    user = factories.UserFactory(phone="13700000007", preferred_language="en")
    response = client.post(
        reverse("login"), {"username": "13700000007", "password": factories.PASSWORD}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert '<html lang="en">' in html(client.get(reverse("home")))


def test_login_by_email_and_next(client, community):
    factories.UserFactory(email="lin@example.cn")
    target = community.get_absolute_url()
    response = client.post(
        reverse("login"), {"username": "LIN@example.cn", "password": factories.PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == target


def test_login_with_a_wrong_password_is_400(client):
    factories.UserFactory(phone="13700000008")
    response = client.post(
        reverse("login"), {"username": "13700000008", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert 'class="error-summary" role="alert"' in html(response)
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, resident):
    client.force_login(resident)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "You have logged out." in html(response)
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(client, mailoutbox):
    user = factories.UserFactory(email="reset@example.cn")
    response = client.post(reverse("password_reset"), {"email": "reset@example.cn"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "quiet-harbour-77", "new_password2": "quiet-harbour-77"}
    )
    assert response["Location"] == reverse("password_reset_complete")
    assert client.get(reverse("password_reset_complete")).status_code == 200
    user.refresh_from_db()
    assert user.check_password("quiet-harbour-77")


def test_password_reset_for_unknown_address_looks_the_same(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.cn"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_password_reset_bad_link(client):
    response = client.get(reverse("password_reset_confirm", args=["MQ", "bad-token"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "This link is not valid" in html(response)


def test_password_change(client, resident):
    client.force_login(resident)
    assert client.get(reverse("password_change")).status_code == 200
    response = client.post(
        reverse("password_change"),
        {"old_password": factories.PASSWORD, "new_password1": "quiet-harbour-77", "new_password2": "quiet-harbour-77"},
    )
    assert response["Location"] == reverse("password_change_done")
    resident.refresh_from_db()
    assert resident.check_password("quiet-harbour-77")


# --- Profile ----------------------------------------------------------------------------------


def test_profile_needs_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('profile')}"


def test_profile_shows_verification_and_moves(client, community, other_community, admin_user):
    staff = factories.staff_member(community, actor=admin_user, display_name="王芳")
    user = factories.UserFactory()
    services.residency_verify(actor=staff, residency=services.residency_request(user=user, community=community))
    move = services.residency_request(user=user, community=other_community)
    client.force_login(user)
    page = html(client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en"))
    assert f'Verified resident of <a href="{community.get_absolute_url()}">{community.name}</a>' in page
    assert "by 王芳" in page
    assert f'staff of <a href="{other_community.get_absolute_url()}">{other_community.name}</a>' in page

    services.residency_verify(actor=admin_user, residency=move)
    page = html(client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en"))
    assert f'Verified resident of <a href="{other_community.get_absolute_url()}">{other_community.name}</a>' in page
    assert "Moved to another community" in page
    assert page.count('<th scope="row">') == 2


def test_profile_without_community_points_to_the_directory(client):
    client.force_login(factories.UserFactory())
    page = html(client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "You do not belong to a community yet." in page
    assert f'href="{reverse("community-list")}"' in page


def test_profile_update(client, resident):
    client.force_login(resident)
    response = client.post(
        reverse("profile"),
        {
            "display_name": "  新名字 ",
            "email": "New@Example.cn",
            "preferred_language": "en",
            "sms_opt_out": "on",
            "email_opt_in": "on",
        },
        follow=True,
    )
    assert response.redirect_chain == [(reverse("profile"), 302)]
    assert "Your contact preferences are saved." in html(response)
    assert '<html lang="en">' in html(response)
    resident.refresh_from_db()
    assert (resident.display_name, resident.email, resident.preferred_language) == ("新名字", "new@example.cn", "en")
    assert resident.sms_opt_out and resident.email_opt_in


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "taken@example.cn"}, "email"),
        ({"email": "", "email_opt_in": "on"}, "email_opt_in"),
        ({"preferred_language": "fr"}, "preferred_language"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_profile_bad_input_is_400_and_saves_nothing(client, resident, data, field):
    factories.UserFactory(email="taken@example.cn")
    client.force_login(resident)
    before = User.objects.values().get(pk=resident.pk)
    form = {"display_name": "别名", "email": resident.email, "preferred_language": "zh-hans", **data}
    response = client.post(reverse("profile"), form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'class="error-summary" role="alert"' in html(response)
    assert User.objects.values().get(pk=resident.pk) == before
