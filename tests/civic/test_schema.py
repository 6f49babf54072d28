"""The OpenAPI schema of the whole API is valid and produced without a warning."""

import pytest
import yaml
from django.core.management import call_command

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
