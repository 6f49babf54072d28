"""The account pages' small things (issue 12): what sign-up, SMS login and waiting residents read."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from communities import services
from deliberation import services as deliberation
from deliberation.models import TopicCategory
from tests import factories
from tests.fixtures.world import BODY
from tests.smsbox import sent_code

pytestmark = pytest.mark.django_db


def signup_form(community, **overrides):
    data = {
        "display_name": "陈静",
        "phone": "13912345678",
        "email": "",
        "community": community.pk,
        "password1": "lantern-river-2026",
        "password2": "lantern-river-2026",
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "language, phone_words, username_words", [("en", "phone number", "username"), ("zh-hans", "手机号码", "用户名")]
)
def test_a_password_like_the_phone_number_speaks_of_the_phone_not_a_username(
    community, language, phone_words, username_words
):
    response = Client(HTTP_ACCEPT_LANGUAGE=language).post(
        reverse("signup"), signup_form(community, password1="13912345678a", password2="13912345678a")
    )
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["password1"])
    assert phone_words in errors and username_words not in errors
    help_text = response.content.decode()
    assert username_words not in help_text.split('id="id_password1_helptext"', 1)[1].split("</div>", 1)[0]


def test_a_chosen_username_is_still_compared(admin_user):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    user = factories.UserFactory(username="zhangsanfeng", phone="13900000123")
    with pytest.raises(ValidationError):
        validate_password("zhangsanfeng1", user)


def test_a_waiting_resident_is_told_they_wait_not_invited_to_join(community, admin_user):
    author = factories.resident(community, actor=admin_user)
    topic = deliberation.topic_raise(
        actor=author, community=community, title="更换楼道灯", body=BODY, category=TopicCategory.PUBLIC_SPACE
    )
    waiting = factories.UserFactory()
    services.residency_request(user=waiting, community=community)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(waiting)
    page = client.get(reverse("topic-detail", args=[topic.pk])).content.decode()
    assert "You are waiting for verification" in page and "About joining the community" not in page
    raise_page = client.get(reverse("topic-raise", args=[community.pk])).content.decode()
    assert "You are waiting for verification" in raise_page and "How to join" not in raise_page
    # Someone who has not asked is still shown the way in.
    stranger = factories.UserFactory()
    client.force_login(stranger)
    assert "About joining the community" in client.get(reverse("topic-detail", args=[topic.pk])).content.decode()


def test_one_chinese_term_for_verified():
    catalogue = Path(settings.BASE_DIR, "locale/zh_Hans/LC_MESSAGES/django.po").read_text(encoding="utf-8")
    msgstrs = "\n".join(re.findall(r'^msgstr(?:\[\d\])? (".*")$', catalogue, flags=re.M))
    assert "已认证" not in msgstrs and "认证居民" not in msgstrs
    assert "已核实" in msgstrs


def test_sms_login_asks_an_existing_user_only_for_the_code(sms_box, community):
    user = factories.UserFactory(phone="13900000031")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("sms-login"), {"action": "send", "phone": "13900000031"})
    page = client.get(reverse("sms-login")).content.decode()
    assert 'name="code"' in page
    for field in ('name="community"', 'name="display_name"', 'name="accept_terms"', "First time here"):
        assert field not in page
    response = client.post(reverse("sms-login"), {"action": "login", "code": sent_code(sms_box, "13900000031")})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == user.pk


def test_sms_login_asks_a_new_number_for_community_name_and_consent_once_its_code_is_right(sms_box, community):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("sms-login"), {"action": "send", "phone": "13900000032"})
    code = sent_code(sms_box, "13900000032")
    wrong = "000000" if code != "000000" else "111111"
    # A wrong code says nothing about whether the number is registered.
    refused = client.post(reverse("sms-login"), {"action": "login", "code": wrong}).content.decode()
    assert 'name="community"' not in refused
    needs = client.post(reverse("sms-login"), {"action": "login", "code": code})
    page = needs.content.decode()
    assert needs.status_code == 400
    assert 'name="community"' in page and 'name="display_name"' in page and 'name="accept_terms"' in page
    assert f'value="{code}"' in page  # the typed code is kept
    done = client.post(
        reverse("sms-login"),
        {"action": "login", "code": code, "community": community.pk, "display_name": "李阿姨", "accept_terms": "on"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("profile")


def test_the_resend_button_counts_down_from_the_servers_wait(sms_box):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("sms-login"), {"action": "send", "phone": "13900000033"})
    page = client.get(reverse("sms-login")).content.decode()
    wait = int(re.search(r'data-resend-wait="(\d+)"', page).group(1))
    assert 55 <= wait <= 60
    assert re.search(r'<script src="[^"]*js/resend-countdown\.js" defer></script>', page)
    assert "<script>" not in page  # the Content-Security-Policy forbids inline script
    script = Path(finders.find("js/resend-countdown.js")).read_text(encoding="utf-8")
    assert "data-resend-wait" in script and "disabled" in script
    # The server stays the judge: a click inside the minute is refused with the time left.
    refused = client.post(reverse("sms-login"), {"action": "resend"})
    assert refused.status_code == 429 and "second" in refused.content.decode()


def test_the_sign_up_page_asks_consent_and_links_both_texts(client):
    page = client.get(reverse("signup"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'name="accept_terms"' in page
    assert "用户条款" in page and "隐私政策" in page
