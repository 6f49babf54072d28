"""Issue 15: every API error answer carries `code`, a stable machine word, beside `detail`, and
the schema lists, for every operation's error answers, the codes each may carry."""

import pytest

from civic import openapi
from core.error_codes import ERROR_CODES

API = "/api/v1/"


@pytest.fixture
def as_resident(api_client, resident):
    api_client.force_authenticate(resident)
    return api_client


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    assert code in ERROR_CODES[status]
    return body


@pytest.mark.django_db
def test_not_logged_in_and_a_bad_token(api_client, community):
    data = {"community": community.pk, "title": "楼道灯", "body": "x" * 40}
    _error(api_client.post(f"{API}topics/", data), 401, "not_authenticated")
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    _error(api_client.get(f"{API}me/"), 401, "authentication_failed")


def test_not_allowed(as_resident, other_community):
    data = {"community": other_community.pk, "title": "楼道灯坏了", "body": "楼道灯坏了三个月，晚上很危险。" * 3}
    _error(as_resident.post(f"{API}topics/", data), 403, "permission_denied")


@pytest.mark.django_db
def test_not_found(api_client):
    _error(api_client.get(f"{API}topics/999999/"), 404, "not_found")
    _error(api_client.get(f"{API}no-such-thing/"), 404, "not_found")
    _error(api_client.get(f"{API}topics/abc/"), 404, "not_found")


def test_bad_input_keeps_its_field_names(as_resident, community):
    body = _error(as_resident.post(f"{API}topics/", {"community": community.pk}), 400, "invalid")
    assert body["title"] == body["fields"]["title"] and body["title"]
    assert "title" in body["detail"] or body["title"][0] in body["detail"]


def test_a_field_named_code_does_not_clash(api_client):
    body = _error(api_client.post(f"{API}auth/sms-login/", {"phone": "13900000001"}), 400, "invalid")
    assert body["fields"]["code"]  # the SMS code's own field error


@pytest.mark.django_db
def test_unreadable_json_and_another_format(api_client):
    _error(api_client.post(f"{API}auth/token/", "{", content_type="application/json"), 400, "parse_error")
    refused = api_client.post(f"{API}auth/token/", "username=a", content_type="application/x-www-form-urlencoded")
    _error(refused, 415, "unsupported_media_type")


@pytest.mark.django_db
def test_a_method_the_operation_does_not_take(api_client):
    _error(api_client.delete(f"{API}typologies/"), 405, "method_not_allowed")


def test_the_schema_lists_every_error_answers_codes():
    schema = openapi.generate()
    components = schema["components"]["schemas"]
    seen = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if not status.startswith("4"):
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                component = components[ref.rsplit("/", 1)[1]]
                code = component["properties"]["code"]["allOf"][0]["$ref"]
                enum = components[code.rsplit("/", 1)[1]]["enum"]
                assert enum == list(ERROR_CODES[int(status)]), (method, path, status)
                assert set(component["required"]) >= {"code", "detail"}
                seen.add(int(status))
    assert {400, 401, 403, 404, 409, 413, 415, 429} <= seen
