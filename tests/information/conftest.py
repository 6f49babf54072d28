"""Information's tests: every one with uploads and SMS files in a fresh folder and notice tasks
run in the test process; `area` and the helpers come from tests/fixtures/area.py."""

import pytest


@pytest.fixture(autouse=True)
def _media_and_sms(media_and_sms):
    return media_and_sms
