"""The OpenAPI schema of the whole API is valid and produced without a warning."""

import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

from civic import openapi

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    path = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    schema = yaml.safe_load(path.read_text())
    assert schema["openapi"].startswith("3.")
    for endpoint in ("/api/v1/me/", "/api/v1/typologies/", "/api/v1/communities/", "/api/v1/communities/{id}/"):
        assert endpoint in schema["paths"]


def test_schema_is_served(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/communities/" in response.json()["paths"]


def test_docs_are_served(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    # Swagger UI comes from our own static files: the docs work without the internet.
    assert b"/static/drf_spectacular_sidecar/" in response.content
    assert b"cdn.jsdelivr" not in response.content
    # Its start-up script, naming the schema, is a file of its own: the CSP allows no inline script.
    assert b'src="/api/docs/?script="' in response.content
    assert b"/api/schema/" in client.get("/api/docs/?script=").content


# Issue 15: one schema, committed, valid, with JSON bodies and integer path ids.
DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
# Operations that upload a file take multipart besides JSON; every other body is JSON only.
UPLOADS = {
    ("post", "/api/v1/announcements/"),
    ("patch", "/api/v1/announcements/{id}/"),
    ("post", "/api/v1/tasks/{id}/progress/"),
}


@pytest.fixture(scope="module")
def live():
    """The live schema, generated once for this module's tests (it takes seconds)."""
    return openapi.generate()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, operation


def test_the_committed_schema_is_the_live_one(live):
    """docs/openapi.json is what `make openapi` writes: a change to the API shows in review."""
    committed = json.loads(DOCS.read_text(encoding="utf-8"))
    assert committed == live, "The API changed: run `make openapi` and commit docs/openapi.json."


def test_openapi_spec_validator_accepts_the_committed_schema():
    validate(json.loads(DOCS.read_text(encoding="utf-8")))


def test_the_served_schema_is_the_same_in_every_language(client, live):
    served = {
        language: client.get("/api/schema/?format=json", HTTP_ACCEPT_LANGUAGE=language).json()
        for language in ("zh-hans", "en")
    }
    assert served["zh-hans"] == served["en"] == live
    # In the source language: no Chinese in a name, title or description (the language
    # choice's own label, 简体中文, is the one value written in Chinese).
    text = json.dumps(served["zh-hans"], ensure_ascii=False).replace("简体中文", "")
    assert not re.search(r"[\u4e00-\u9fff]", text)


def test_the_served_schema_stays_in_yaml_too(client, live):
    response = client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == live


def test_every_path_id_is_an_integer(live):
    for method, path, operation in _operations(live):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"] == {"type": "integer"}, (method, path, parameter)


def test_request_bodies_are_json_and_multipart_only_where_a_file_is_uploaded(live):
    bodies = {
        (method, path): list(operation["requestBody"]["content"])
        for method, path, operation in _operations(live)
        if "requestBody" in operation
    }
    assert set(bodies) >= UPLOADS
    for key, types in bodies.items():
        assert types == (["application/json", "multipart/form-data"] if key in UPLOADS else ["application/json"]), key


@pytest.mark.parametrize("path", ["/api/v1/topics/x/", "/api/v1/meetings/1x/", "/api/v1/tasks/-1/"])
def test_an_id_that_is_not_a_number_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.json()["detail"]


def test_a_form_body_is_refused_with_415_where_no_file_is_uploaded(client):
    response = client.post(
        "/api/v1/auth/token/", "username=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415 and response.json()["detail"]
