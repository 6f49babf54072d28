"""One reading of a phone number on every path (issue 14): sign-up, password login, SMS login."""

import pytest
from django.contrib.admin import site
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from communities.admin import UserAdmin, UserChangeForm
from communities.models import User
from communities.signup_confirm import SESSION_PHONE
from core.phones import international, normalise_phone
from notifications import sms
from tests import factories
from tests.smsbox import sent_code, sent_texts

TYPED = [
    "13900000001",
    "139 0000 0001",
    "139-0000-0001",
    "+86 139 0000 0001",
    "+86-139-0000-0001",
    "0086 13900000001",
    "8613900000001",
    "(+86) 139 0000 0001",
    "１３９ ００００ ０００１",
]


@pytest.mark.parametrize("typed", TYPED)
def test_every_way_of_typing_a_mobile_number_reads_the_same(typed):
    assert normalise_phone(typed) == "13900000001"


def test_blank_is_none_and_other_text_is_left_for_the_validator():
    assert normalise_phone("  ") is None
    assert normalise_phone(None) is None
    assert normalise_phone("abc") == "abc"
    # A number that only looks like a country prefix is not cut.
    assert normalise_phone("8612345") == "8612345"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", TYPED)
def test_password_login_takes_the_number_as_it_was_typed_at_sign_up(typed):
    person = factories.UserFactory(phone="13900000001")
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": typed, "password": factories.PASSWORD}, format="json")
    assert response.status_code == 200, (typed, response.content)
    page = Client()
    response = page.post("/accounts/login/", {"username": typed, "password": factories.PASSWORD})
    assert response.status_code == 302, typed
    assert int(page.session["_auth_user_id"]) == person.pk


# Every path that takes a number, each with the same ways of typing it (issue 14 item 6).
AS_TYPED = ["139 0000 0001", "139-0000-0001", "+86 139 0000 0001", "0086 13900000001", "+86-139-0000-0001"]
STORED = "13900000001"


@pytest.mark.django_db
@pytest.mark.parametrize("typed", AS_TYPED)
def test_sign_up_page_sends_the_code_to_the_number_as_stored(typed, client, community, sms_box):
    data = {
        "display_name": "陈静",
        "phone": typed,
        "email": "",
        "community": community.pk,
        "password1": "tianfu-square-2026",
        "password2": "tianfu-square-2026",
        "accept_terms": "on",
    }
    response = client.post(reverse("signup"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sent_code(sms_box, STORED)
    assert client.session[SESSION_PHONE] == STORED


@pytest.mark.django_db
@pytest.mark.parametrize("typed", AS_TYPED)
def test_sign_up_api_sends_the_code_to_the_number_as_stored(typed, api_client, community, sms_box):
    body = {"password": "tianfu-square-2026", "accept_terms": True, "community": community.pk, "phone": typed}
    response = api_client.post("/api/v1/auth/signup/", {**body, "display_name": "陈静"}, format="json")
    assert response.status_code == 202, response.content
    assert sent_code(sms_box, STORED)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", AS_TYPED)
def test_sms_login_api_takes_the_number_as_typed_both_times(typed, api_client, sms_box):
    person = factories.UserFactory(phone=STORED)
    assert api_client.post("/api/v1/auth/sms-code/", {"phone": typed}, format="json").status_code == 202
    code = sent_code(sms_box, STORED)
    response = api_client.post("/api/v1/auth/sms-login/", {"phone": typed, "code": code}, format="json")
    assert response.status_code == 200, response.content
    assert AuthToken.objects.get(user=person)


@pytest.mark.django_db
@pytest.mark.parametrize("typed", AS_TYPED)
def test_sms_login_page_takes_the_number_as_typed(typed, client, sms_box):
    person = factories.UserFactory(phone=STORED)
    response = client.post(reverse("sms-login"), {"action": "send", "phone": typed})
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("sms-login"), {"action": "login", "code": sent_code(sms_box, STORED)})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.pk


@pytest.mark.django_db
@pytest.mark.parametrize("typed", AS_TYPED)
def test_the_admins_user_form_stores_the_number_and_its_search_finds_it(typed, admin_user):
    assert UserChangeForm().fields["phone"].clean(typed) == STORED
    person = factories.UserFactory(phone=STORED)
    found, _duplicates = UserAdmin(User, site).get_search_results(_admin_request(admin_user), User.objects.all(), typed)
    assert list(found) == [person]


@pytest.mark.parametrize("typed", AS_TYPED)
def test_sms_sending_writes_the_stored_number_and_gives_the_provider_e164(typed, tmp_path):
    message = sms.SmsMessage(phone=typed, text="议事会5月20日开会", ref="delivery-1")
    assert message.phone == STORED
    sms.FileBackend(path=str(tmp_path)).send(message)
    assert sent_texts(tmp_path, STORED) == ["议事会5月20日开会"]
    assert international(typed) == "+8613900000001"


def test_the_admins_user_form_refuses_what_is_not_a_mobile_number():
    field = UserChangeForm().fields["phone"]
    with pytest.raises(ValidationError):
        field.clean("139 0000 000")
    assert field.clean("  ") is None


def _admin_request(user):
    request = RequestFactory().get("/admin/communities/user/")
    request.user = user
    return request
