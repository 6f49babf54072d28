"""Issue 15: the contract's reads are typed. The dashboard, a survey's results, the open-data
export (JSON) and a topic's record, as the small demo answers them, match the response
components the schema names for them, and every field they carry is documented there (an
undocumented field fails)."""

import copy
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from openapi_schema_validator import OAS30Validator
from rest_framework.test import APIClient

from civic import openapi
from deliberation.models import Topic
from deliberation.workflow import Step
from surveys.models import Survey


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def schema():
    return openapi.generate()


@pytest.fixture
def admin(demo, db):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username="admin"))
    return client


def _closed(node):
    """The components with every object that lists its properties closed to any other."""
    if isinstance(node, dict):
        node = {key: _closed(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_closed(value) for value in node]
    return node


def assert_documented(schema, path, method, body, media_type="application/json"):
    response = schema["paths"][path][method]["responses"]["200"]["content"][media_type]["schema"]
    root = {**copy.deepcopy(response), "components": _closed(schema["components"])}
    errors = sorted(OAS30Validator(root).iter_errors(body), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_the_dashboard_is_typed(admin, schema):
    response = admin.get("/api/v1/dashboard/")
    assert response.status_code == 200
    assert schema["paths"]["/api/v1/dashboard/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert_documented(schema, "/api/v1/dashboard/", "get", response.json())


def test_survey_results_are_typed(admin, schema):
    kinds = set()
    for survey in Survey.objects.all():
        response = admin.get(f"/api/v1/surveys/{survey.pk}/results/")
        assert response.status_code == 200
        assert_documented(schema, "/api/v1/surveys/{id}/results/", "get", response.json())
        kinds |= {question["kind"] for question in response.json()["questions"]}
    assert kinds == {"single", "multiple", "scale", "number", "text"}  # every kind of question was checked


def test_open_data_is_typed(admin, schema):
    body = admin.get("/api/v1/open-data/decisions/?format=json").json()
    assert body["results"]
    assert_documented(schema, "/api/v1/open-data/decisions/", "get", body)


def test_a_topics_record_is_typed(admin, schema):
    topic = Topic.objects.filter(step=Step.ARCHIVE).exclude(resolution="").order_by("pk").first()
    body = admin.get(f"/api/v1/topics/{topic.pk}/record/").json()
    assert body["meetings"] and body["history"] and body["trail"]
    assert_documented(schema, "/api/v1/topics/{id}/record/", "get", body)
