"""One reading of a phone number on every path (issue 14): sign-up, password login, SMS login."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from core.phones import normalise_phone
from tests import factories

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
