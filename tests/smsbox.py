"""The SMS file backend as a test's phone: what was sent to a number, and the code in it.

from tests.smsbox import sms_box, sent_code  # noqa: F401  (sms_box is a fixture)
"""

import json
import re

import pytest


@pytest.fixture
def sms_box(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    return tmp_path / "sms"


def sent_texts(folder, phone):
    """The texts sent to `phone`, oldest first."""
    messages = [json.loads(path.read_text(encoding="utf-8")) for path in folder.rglob("*.txt")]
    return [m["text"] for m in sorted((m for m in messages if m["to"] == phone), key=lambda m: m["at"])]


def sent_code(folder, phone):
    """The code in the newest message sent to `phone`."""
    texts = sent_texts(folder, phone)
    assert texts, f"no SMS to {phone}"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)
