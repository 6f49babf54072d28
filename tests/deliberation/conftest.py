"""Deliberation's tests read English; `world`, `flow` and BODY come from tests/fixtures/world.py."""

import pytest

from tests.fixtures.language import in_english


@pytest.fixture(autouse=True)
def _english(english):
    """Assertions read the English source strings, whatever the catalogue holds."""


@pytest.fixture
def client(client):
    return in_english(client)
