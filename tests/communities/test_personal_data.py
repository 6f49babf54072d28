"""Residents' personal data (issue 13): who sees contact data, sign-up without account
enumeration, password-reset limits, invisible text and impersonation, consent, export and
deletion of one's account."""

import datetime
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from civic import personal_data
from communities import legal, services
from communities.models import Residency
from deliberation import services as deliberation
from deliberation import trail
from deliberation.models import Comment, Support, TopicCategory, TrailEntry
from notifications.models import Delivery, Follow, Notice
from surveys import services as surveys
from surveys.models import QuestionKind, Scope
from tests import factories
from tests.fixtures.world import BODY
from tests.smsbox import sent_code, sent_texts

pytestmark = pytest.mark.django_db

User = get_user_model()
API = "/api/v1/"
STRONG = "lantern-river-2026"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def api_as(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def page_as(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


# --- Finding 4: former residents' contact data -------------------------------------------


@pytest.fixture
def former(community, other_community, admin_user):
    """Someone who lived in `community` and moved to `other_community` years ago."""
    person = factories.resident(community, actor=admin_user, birth_year=1958, education="bachelor")
    services.residency_request(user=person, community=other_community)
    moved = Residency.objects.get(user=person, community=other_community)
    services.residency_verify(actor=admin_user, residency=moved)
    return person


@pytest.fixture
def declined(community, admin_user):
    person = factories.UserFactory()
    residency = services.residency_request(user=person, community=community)
    services.residency_reject(actor=admin_user, residency=residency, note="不在本社区居住")
    return person


def test_ended_and_declined_residency_rows_carry_no_phone(staff, former, declined, resident):
    client = api_as(staff)
    ended = client.get(f"{API}residencies/", {"status": "ended"}).json()["results"]
    assert [row["user"] for row in ended] == [former.pk]
    assert ended[0]["user_phone"] is None and ended[0]["user_name"] == former.name
    assert ended[0]["requested_at"] and ended[0]["ended_at"]
    rejected = client.get(f"{API}residencies/", {"status": "rejected"}).json()["results"]
    assert rejected[0]["user_phone"] is None
    live = client.get(f"{API}residencies/", {"status": "verified"}).json()["results"]
    assert {row["user_phone"] for row in live if row["user"] == resident.pk} == {resident.phone}
    # A person still sees their own history with their number.
    own = api_as(former).get(f"{API}residencies/").json()["results"]
    assert {row["user_phone"] for row in own} == {former.phone}


def test_the_admin_shows_staff_no_contact_data_of_former_residents(staff, former, resident):
    client = page_as(staff)
    page = client.get(reverse("admin:communities_user_change", args=[former.pk])).content.decode()
    for secret in (former.phone, former.email, "1958"):
        assert secret not in page
    assert former.display_name in page
    current = client.get(reverse("admin:communities_user_change", args=[resident.pk])).content.decode()
    assert resident.phone in current and resident.email in current
    listing = client.get(reverse("admin:communities_user_changelist")).content.decode()
    assert former.phone not in listing and resident.phone in listing
    # Nor is a former resident found by their number.
    found = client.get(reverse("admin:communities_user_changelist"), {"q": former.phone}).content.decode()
    assert former.display_name not in found
    residencies = client.get(reverse("admin:communities_residency_changelist")).content.decode()
    assert former.phone not in residencies and resident.phone in residencies


# --- Finding 8: sign-up says nothing about who is registered ------------------------------


def signup_form(community, **overrides):
    data = {
        "display_name": "陈静",
        "phone": "13912345678",
        "email": "",
        "community": community.pk,
        "password1": STRONG,
        "password2": STRONG,
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def _page_answer(client, response):
    followed = client.get(response["Location"]).content.decode()
    main = followed.split("<main", 1)[1].split("</main>", 1)[0]
    return response.status_code, response["Location"], re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)


def test_the_sign_up_page_answers_alike_for_registered_and_new_numbers(community, sms_box):
    owner = factories.UserFactory(phone="13900000001")
    taken = Client(HTTP_ACCEPT_LANGUAGE="en")
    fresh = Client(HTTP_ACCEPT_LANGUAGE="en")
    a = taken.post(reverse("signup"), signup_form(community, phone="13900000001"))
    b = fresh.post(reverse("signup"), signup_form(community, phone="13900000002"))
    status_a, location_a, page_a = _page_answer(taken, a)
    status_b, location_b, page_b = _page_answer(fresh, b)
    assert (status_a, location_a) == (status_b, location_b) == (302, reverse("sms-login"))
    assert page_a.replace("0001", "") == page_b.replace("0002", "")
    assert "already registered" not in page_a
    # Only the owner's phone hears about it, and their account is untouched.
    assert "该号码已有账号" in sent_texts(sms_box, "13900000001")[-1]  # in the owner's language
    assert "sign-up code" in sent_texts(sms_box, "13900000002")[-1]
    owner.refresh_from_db()
    assert owner.check_password(factories.PASSWORD) and owner.display_name != "陈静"
    # The owner's code logs the owner in; no second account appears.
    response = taken.post(reverse("sms-login"), {"action": "login", "code": sent_code(sms_box, "13900000001")})
    assert response.status_code == 302 and int(taken.session["_auth_user_id"]) == owner.pk
    assert User.objects.filter(phone="13900000001").count() == 1


def test_the_sign_up_page_answers_alike_for_registered_and_new_e_mail(community, mailoutbox):
    factories.UserFactory(email="taken@example.cn")
    a = Client().post(reverse("signup"), signup_form(community, phone="", email="taken@example.cn"))
    b = Client().post(reverse("signup"), signup_form(community, phone="", email="new@example.cn"))
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"]) == (302, reverse("signup-sent"))
    to_owner, to_new = mailoutbox
    assert to_owner.to == ["taken@example.cn"] and "/accounts/password_reset/" in to_owner.body
    assert to_new.to == ["new@example.cn"] and "/accounts/signup/confirm/" in to_new.body
    assert not User.objects.filter(email="new@example.cn").exists()


def test_the_sign_up_api_answers_alike_for_registered_and_new(api_client, community, sms_box, mailoutbox):
    factories.UserFactory(phone="13900000001", email="taken@example.cn")
    body = {"password": STRONG, "community": community.pk, "accept_terms": True}
    answers = [
        api_client.post(f"{API}auth/signup/", {**body, **extra}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        for extra in ({"phone": "13900000001"}, {"phone": "13900000002"})
    ]
    assert {a.status_code for a in answers} == {202}
    assert answers[0].json() == answers[1].json()
    # Asking again within a minute is refused alike, registered or not.
    again = [
        api_client.post(f"{API}auth/signup/", {**body, **extra}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        for extra in ({"phone": "+86 139 0000 0001"}, {"phone": "139 0000 0002"})
    ]
    assert {a.status_code for a in again} == {429}
    assert again[0].json()["detail"] == again[1].json()["detail"]
    mails = [
        api_client.post(f"{API}auth/signup/", {**body, "email": email}, format="json", HTTP_ACCEPT_LANGUAGE="en")
        for email in ("TAKEN@example.cn", "fresh@example.cn")
    ]
    assert mails[0].status_code == mails[1].status_code == 202 and mails[0].json() == mails[1].json()
    assert User.objects.count() == 1


def test_a_sign_up_with_a_taken_e_mail_but_a_new_phone_tells_only_the_phone_owner(community, sms_box):
    factories.UserFactory(email="taken@example.cn")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("signup"), signup_form(community, phone="13900000009", email="taken@example.cn"))
    response = client.post(reverse("sms-login"), {"action": "login", "code": sent_code(sms_box, "13900000009")})
    assert response.status_code == 400 and "already registered" in response.content.decode()
    assert not User.objects.filter(phone="13900000009").exists()


# --- Finding 11: password-reset mails are limited -----------------------------------------


def test_password_reset_mails_are_limited_per_address_and_per_account(settings, mailoutbox):
    settings.CIVIC_THROTTLES = {**settings.CIVIC_THROTTLES, "password_reset": "3/hour", "password_reset_ip": "6/hour"}
    factories.UserFactory(email="li@example.cn")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(3):
        assert client.post(reverse("password_reset"), {"email": "li@example.cn"}).status_code == 302
    refused = client.post(reverse("password_reset"), {"email": "LI@example.cn"})
    assert refused.status_code == 429 and "Too many password-reset requests" in refused.content.decode()
    assert len(mailoutbox) == 3
    # From other connections the same account gets no more mails either.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert elsewhere.post(reverse("password_reset"), {"email": "li@example.cn"}).status_code == 429
    # And one connection cannot spray many addresses.
    for n in range(2):
        assert client.post(reverse("password_reset"), {"email": f"x{n}@example.cn"}).status_code == 302
    assert client.post(reverse("password_reset"), {"email": "y@example.cn"}).status_code == 429
    assert len(mailoutbox) == 3


@pytest.mark.redis
def test_password_reset_counts_live_in_the_shared_cache(settings):
    """The count is kept in Redis, where every web process reads the same number."""
    import time

    from django.core.cache import cache, caches
    from django.core.cache.backends.redis import RedisCache

    assert isinstance(caches["default"], RedisCache)
    factories.UserFactory(email="li@example.cn")
    assert Client().post(reverse("password_reset"), {"email": "li@example.cn"}).status_code == 302
    window = int(time.time() // 3600)
    assert cache.get(f"throttle:password_reset:id:li@example.cn:{window}") == 1


# --- Finding 14: invisible text, bidi names, role badges ---------------------------------


@pytest.fixture
def topic(community, resident):
    return deliberation.topic_raise(
        actor=resident, community=community, title="更换楼道灯", body=BODY, category=TopicCategory.PUBLIC_SPACE
    )


@pytest.mark.parametrize("invisible", [ZERO_WIDTH, "\u200b " * 10, "\u202e\u2066\u2069", "\u3164\u3164"])
def test_invisible_titles_bodies_and_comments_are_blank(community, resident, topic, invisible):
    client = api_as(resident)
    raised = client.post(
        f"{API}topics/",
        {"community": community.pk, "title": invisible, "body": BODY, "category": "public_space"},
        format="json",
    )
    assert raised.status_code == 400 and "title" in raised.json()
    empty_body = client.post(
        f"{API}topics/", {"community": community.pk, "title": "加装扶手", "body": invisible}, format="json"
    )
    assert empty_body.status_code == 400 and "body" in empty_body.json()
    comment = client.post(f"{API}topics/{topic.pk}/comments/", {"body": invisible}, format="json")
    assert comment.status_code == 400 and "body" in comment.json()
    page = page_as(resident).post(reverse("topic-comment", args=[topic.pk]), {"body": invisible})
    assert page.status_code == 400
    assert not Comment.objects.exists()


def test_visible_text_with_a_joiner_inside_is_kept_as_typed(resident, topic):
    body = "同意 👩\u200d👩\u200d👧 一家都支持。"
    response = api_as(resident).post(f"{API}topics/{topic.pk}/comments/", {"body": body}, format="json")
    assert response.status_code == 201
    assert Comment.objects.get().body == body


@pytest.mark.parametrize("name", ["李婷\u202e员人作工会委居", "李\u2067婷\u2069", "李\u202d婷"])
def test_display_names_refuse_bidi_overrides(resident, name):
    api = api_as(resident).patch(f"{API}me/", {"display_name": name}, format="json")
    assert api.status_code == 400 and "direction" in str(api.json()["display_name"])
    page = page_as(resident).post(reverse("profile"), {"display_name": name, "email": "", "preferred_language": "en"})
    assert page.status_code == 400 and "direction" in page.content.decode()
    resident.refresh_from_db()
    assert "\u202e" not in resident.display_name and "\u2067" not in resident.display_name


def test_role_badges_mark_who_really_holds_a_role(community, admin_user, topic, resident):
    staff = factories.staff_member(community, actor=admin_user, display_name="王主任")
    council = factories.council_member(community, actor=admin_user, display_name="赵委员")
    official = factories.official(street=community.street, actor=admin_user, display_name="钱科长")
    factories.resident(community, actor=admin_user, display_name="周阿姨")
    impostor = factories.resident(community, actor=admin_user, display_name="李婷（居委会工作人员）")
    services.residency_request(user=official, community=community)
    services.residency_verify(actor=admin_user, residency=Residency.objects.get(user=official, status="pending"))
    for who in (staff, council, official, impostor):
        deliberation.comment_post(actor=who, topic=topic, body=f"{who.display_name}的意见：同意更换。")
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("topic-detail", args=[topic.pk])).content.decode()

    def head(name):
        start = page.index(f">{name}</h3>")  # each comment's author is its heading
        return page[start : page.index("</header>", start)]

    assert '<span class="tag tag--role">committee staff</span>' in head("王主任")
    assert '<span class="tag tag--role">council member</span>' in head("赵委员")
    assert '<span class="tag tag--role">official</span>' in head("钱科长")
    assert "tag--role" not in head("李婷（居委会工作人员）")


def test_role_badges_cost_one_query_whatever_the_number_of_commenters(
    community, admin_user, topic, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = page_as(factories.resident(community, actor=admin_user))
    url = reverse("topic-detail", args=[topic.pk])

    def comment_by(n):
        for i in range(n):
            person = factories.resident(community, actor=admin_user)
            deliberation.comment_post(actor=person, topic=topic, body=f"第{i}条意见：同意。")

    comment_by(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    comment_by(8)
    with django_assert_max_num_queries(len(few)):
        client.get(url)


# --- Consent, terms and privacy -----------------------------------------------------------


def test_sign_up_records_the_consent_versions_and_time(community, sms_box):
    client = Client()
    assert client.post(reverse("signup"), signup_form(community, accept_terms="")).status_code == 400
    before = timezone.now()
    client.post(reverse("signup"), signup_form(community))
    client.post(reverse("sms-login"), {"action": "login", "code": sent_code(sms_box, "13912345678")})
    user = User.objects.get(phone="13912345678")
    assert (user.terms_version, user.privacy_version) == (legal.TERMS_VERSION, legal.PRIVACY_VERSION)
    assert before <= user.consented_at <= timezone.now()


@pytest.mark.parametrize(
    "language, words", [("en", "Personal Information Protection Law"), ("zh-hans", "个人信息保护法")]
)
def test_terms_and_privacy_pages_exist_in_both_languages(client, language, words):
    privacy = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE=language)
    assert privacy.status_code == 200 and words in privacy.content.decode()
    assert legal.PRIVACY_VERSION in privacy.content.decode()
    terms = client.get(reverse("terms"), HTTP_ACCEPT_LANGUAGE=language)
    assert terms.status_code == 200 and legal.TERMS_VERSION in terms.content.decode()
    signup = client.get(reverse("signup"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'href="{reverse("terms")}"' in signup and f'href="{reverse("privacy")}"' in signup


# --- Export --------------------------------------------------------------------------------


@pytest.fixture
def active_life(community, staff, resident, topic):
    """The resident commented, supported, answered a named and an anonymous survey, got a notice."""
    deliberation.comment_post(actor=resident, topic=topic, body="我也支持，晚上太黑了。")
    other = deliberation.topic_raise(
        actor=staff, community=community, title="加装扶手", body=BODY, category=TopicCategory.PUBLIC_SPACE
    )
    deliberation.support_give(actor=resident, topic=other)
    closes = timezone.now() + datetime.timedelta(days=7)
    for anonymous, text in ((False, "希望多装路灯"), (True, "匿名的意见")):
        survey = surveys.survey_create(
            actor=staff,
            title=f"照明问卷{anonymous}",
            scope=Scope.COMMUNITY,
            place=community,
            anonymous=anonymous,
            closes_at=closes,
        )
        question = surveys.question_add(actor=staff, survey=survey, kind=QuestionKind.TEXT, text="建议")
        surveys.response_submit(actor=resident, survey=survey, answers=[{"question": question.pk, "text": text}])
    notice = Notice.objects.create(
        kind="test.notice", due_at=timezone.now(), content={"en": {"subject": "Meeting on Friday"}}
    )
    Delivery.objects.create(notice=notice, recipient=resident, channel="app", status="sent", sent_at=timezone.now())
    return resident


def test_a_resident_downloads_their_data_from_the_profile_and_the_api(
    active_life, staff, django_assert_max_num_queries
):
    resident = active_life
    client = page_as(resident)
    assert reverse("profile-export") in client.get(reverse("profile")).content.decode()
    with django_assert_max_num_queries(20):
        response = client.get(reverse("profile-export"))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["phone"] == resident.phone and data["profile"]["email"] == resident.email
    assert [r["status"] for r in data["residencies"]] == ["verified"]
    assert [c["body"] for c in data["comments"]] == ["我也支持，晚上太黑了。"]
    assert [s["topic"] for s in data["supports"]] == ["加装扶手"]
    assert [a["text"] for a in data["survey_answers"]] == ["希望多装路灯"]
    assert "匿名的意见" not in response.content.decode()
    assert data["notices"][0]["content"] == {"subject": "Meeting on Friday"}
    api = api_as(resident).get(f"{API}me/export/")
    assert api.status_code == 200 and api.json()["comments"] == data["comments"]
    # Nobody else's data, and nobody else gets this one.
    assert staff.phone not in response.content.decode()
    assert api_as(staff).get(f"{API}me/export/").json()["profile"]["id"] == staff.pk
    assert APIClient().get(f"{API}me/export/").status_code == 401
    assert Client().get(reverse("profile-export")).status_code == 302


# --- Deletion ------------------------------------------------------------------------------


def test_deleting_the_account_erases_contact_data_and_keeps_public_records_verifiable(active_life, staff, topic):
    resident = active_life
    Follow.objects.get_or_create(
        user=resident, subject_type=ContentType.objects.get_for_model(topic), subject_id=topic.pk
    )
    phone, email = resident.phone, resident.email
    client = page_as(resident)
    assert client.get(reverse("account-delete")).status_code == 200
    refused = client.post(reverse("account-delete"), {"action": "delete", "confirm": "on", "password": "wrong-one"})
    assert refused.status_code == 400 and "not your password" in refused.content.decode()
    unconfirmed = client.post(reverse("account-delete"), {"action": "delete", "password": factories.PASSWORD})
    assert unconfirmed.status_code == 400
    assert User.objects.get(pk=resident.pk).deleted_at is None
    done = client.post(
        reverse("account-delete"), {"action": "delete", "confirm": "on", "password": factories.PASSWORD}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("home") and "_auth_user_id" not in client.session
    gone = User.objects.get(pk=resident.pk)
    assert (gone.phone, gone.email, gone.display_name, gone.birth_year) == (None, "", "", None)
    assert not gone.is_active and not gone.has_usable_password() and gone.deleted_at
    assert phone not in gone.username and gone.name == "Deleted user"
    assert not Follow.objects.filter(user=gone).exists()
    assert Residency.objects.get(user=gone).end_reason == Residency.EndReason.DELETED
    # Contributions stay, under the neutral name, in both languages.
    assert Comment.objects.filter(author=gone).count() == 1 and Support.objects.filter(user=gone).count() == 1
    page_zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("topic-detail", args=[topic.pk])).content.decode()
    assert "已注销用户" in page_zh and phone not in page_zh
    # The trail still verifies: it names actors by id and holds text as digests.
    assert trail.verify().intact
    assert not TrailEntry.objects.filter(data__icontains=phone).exists()
    call_command("verify_trail")
    # Logging in again is impossible, by password or by the old number.
    assert not Client().login(request=HttpRequest(), username=phone, password=factories.PASSWORD)
    assert not Client().login(request=HttpRequest(), username=email, password=factories.PASSWORD)
    # Staff see nothing of the deleted person.
    admin_page = page_as(staff)
    assert admin_page.get(reverse("admin:communities_user_change", args=[gone.pk])).status_code == 302
    rows = api_as(staff).get(f"{API}residencies/", {"status": "ended"}).json()["results"]
    assert [(r["user_name"], r["user_phone"]) for r in rows if r["user"] == gone.pk] == [("Deleted user", None)]


def test_deleting_through_the_api_needs_confirmation_and_the_password(resident):
    client = api_as(resident)
    assert (
        client.post(f"{API}me/delete/", {"confirm": False, "password": factories.PASSWORD}, format="json").status_code
        == 400
    )
    assert client.post(f"{API}me/delete/", {"confirm": True, "password": "nope"}, format="json").status_code == 400
    assert User.objects.get(pk=resident.pk).deleted_at is None
    response = client.post(f"{API}me/delete/", {"confirm": True, "password": factories.PASSWORD}, format="json")
    assert response.status_code == 200
    assert User.objects.get(pk=resident.pk).phone is None
    assert APIClient().post(f"{API}me/delete/", {"confirm": True}, format="json").status_code == 401


def test_an_sms_only_account_deletes_itself_with_a_code(community, sms_box):
    person = services.user_sign_up(password=None, community=community, phone="13900000077", display_name="张阿姨")
    client = page_as(person)
    page = client.get(reverse("account-delete")).content.decode()
    assert 'name="code"' in page and 'name="password"' not in page
    assert client.post(reverse("account-delete"), {"action": "send-code"}).status_code == 200
    code = sent_code(sms_box, "13900000077")
    wrong = "000000" if code != "000000" else "111111"
    assert (
        client.post(reverse("account-delete"), {"action": "delete", "confirm": "on", "code": wrong}).status_code == 400
    )
    done = client.post(reverse("account-delete"), {"action": "delete", "confirm": "on", "code": code})
    assert done.status_code == 302
    assert User.objects.get(pk=person.pk).deleted_at is not None


def test_account_delete_service_is_idempotent_and_ends_posts(community, admin_user):
    council = factories.council_member(community, actor=admin_user)
    personal_data.account_delete(user=council)
    personal_data.account_delete(user=council)
    council.refresh_from_db()
    assert not council.memberships.current().exists()
    from communities.permissions import roles_for

    assert not roles_for(User.objects.get(pk=council.pk)).council_of


def test_a_sign_up_held_for_someone_elses_number_never_becomes_its_owners_account(community, sms_box):
    """Someone signs up with a number that is not theirs: the owner, later logging in by SMS
    with a code of their own, gets a fresh sign-up step, not the stranger's password and name."""
    Client().post(reverse("signup"), signup_form(community, phone="13900000088", display_name="冒名者"))
    owner = Client(HTTP_ACCEPT_LANGUAGE="en")
    from django.core.cache import cache

    cache.delete("smscode:resend:13900000088")  # a minute later
    owner.post(reverse("sms-login"), {"action": "send", "phone": "13900000088"})
    needs = owner.post(reverse("sms-login"), {"action": "login", "code": sent_code(sms_box, "13900000088")})
    assert needs.status_code == 400 and 'name="community"' in needs.content.decode()
    assert not User.objects.filter(phone="13900000088").exists()


def test_a_new_code_asked_for_during_sign_up_still_finishes_it(community, sms_box):
    from django.core.cache import cache

    client = Client()
    client.post(reverse("signup"), signup_form(community, phone="13900000089"))
    cache.delete("smscode:resend:13900000089")  # a minute later
    assert client.post(reverse("sms-login"), {"action": "resend"}).status_code == 200
    response = client.post(reverse("sms-login"), {"action": "login", "code": sent_code(sms_box, "13900000089")})
    assert response.status_code == 302
    assert User.objects.get(phone="13900000089").check_password(STRONG)
