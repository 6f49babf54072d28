"""SMS backends: file, console, and Tencent Cloud through its SDK against a local fake server."""

import io
import json

import pytest

from notifications import sms

from .fake_tencent import FakeTencentSms


def test_fit_keeps_one_segment_where_it_can():
    url = "http://127.0.0.1:8000/meetings/12/"
    assert sms.fit("Council meets May 20 19:00", url, optional="Hall 3") == f"Council meets May 20 19:00 Hall 3 {url}"
    long_place = "Community service centre, second floor, room 204, east entrance"
    text = sms.fit("Council meets May 20 19:00", url, optional=long_place)
    assert len(text) == 70 and text.endswith(url) and "…" in text
    assert (
        sms.fit("议事会5月20日 19:00开会", url, optional="社区党群服务中心二楼会议室")
        == f"议事会5月20日 19:00开会 社区党群服务中心二楼会议室 {url}"
    )
    # When the required parts alone are too long, nothing is cut from them.
    head = "x" * 60
    assert sms.fit(head, url, optional="place") == f"{head} {url}"


def test_file_backend_writes_one_file_per_reference(tmp_path):
    backend = sms.FileBackend(path=tmp_path)
    first = backend.send(sms.SmsMessage(phone="13900000001", text="会议通知", ref="delivery-7"))
    again = backend.send(sms.SmsMessage(phone="13900000001", text="会议通知", ref="delivery-7"))
    files = list(tmp_path.rglob("*.txt"))
    assert first == again and len(files) == 1
    record = json.loads(files[0].read_text(encoding="utf-8"))
    assert record["to"] == "13900000001" and record["text"] == "会议通知"
    assert not list(tmp_path.rglob("*.tmp"))


def test_default_backend_is_the_file_backend_under_var_sms(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path)
    assert settings.SMS_BACKEND == "notifications.sms.FileBackend"
    sms.send_sms("13900000002", "hello", ref="x1")
    assert (sms.today_folder() / "x1.txt").exists()


def test_console_backend_prints():
    stream = io.StringIO()
    sms.ConsoleBackend(stream=stream).send(sms.SmsMessage(phone="13900000003", text="hi", ref="r"))
    assert stream.getvalue() == "SMS to 13900000003 [r]: hi\n"


@pytest.fixture
def tencent(settings):
    settings.SMS_TENCENT_SECRET_ID = "AKIDtest"
    settings.SMS_TENCENT_SECRET_KEY = "secret"
    settings.SMS_TENCENT_SDK_APP_ID = "1400000000"
    settings.SMS_TENCENT_SIGN_NAME = "社区议事"
    settings.SMS_TENCENT_TEMPLATE_ID = "100001"
    settings.SMS_TENCENT_TEMPLATES = {"deliberation.meeting_notice": "200002"}
    settings.SMS_TIMEOUT = 1
    with FakeTencentSms() as fake:
        settings.SMS_TENCENT_ENDPOINT = fake.endpoint
        yield fake


def test_tencent_sends_through_the_sdk(tencent):
    backend = sms.TencentBackend()
    message_id = backend.send(sms.SmsMessage(phone="13900000004", text="议事会5月20日开会", ref="delivery-9"))
    assert message_id.startswith("2433:")
    request = tencent.requests[0]
    assert request["headers"]["X-TC-Action"] == "SendSms"
    assert request["headers"]["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    body = request["body"]
    assert body["PhoneNumberSet"] == ["+8613900000004"]
    assert body["SmsSdkAppId"] == "1400000000" and body["SignName"] == "社区议事"
    # No template of its own: the generic one carries the whole text.
    assert body["TemplateId"] == "100001" and body["TemplateParamSet"] == ["议事会5月20日开会"]
    assert body["SessionContext"] == "delivery-9"


def test_tencent_uses_a_kinds_own_template(tencent):
    sms.TencentBackend().send(
        sms.SmsMessage(phone="13900000005", text="t", template="deliberation.meeting_notice", params=("5月20日", "12"))
    )
    assert tencent.requests[0]["body"]["TemplateId"] == "200002"
    assert tencent.requests[0]["body"]["TemplateParamSet"] == ["5月20日", "12"]


@pytest.mark.parametrize(
    ("mode", "transient", "code"),
    [
        ("error", False, "FailedOperation.PhoneNumberInBlacklist"),
        ("internal", True, "InternalError.Timeout"),
        ("timeout", True, "ClientNetworkError"),
    ],
)
def test_tencent_errors_say_whether_to_retry(tencent, mode, transient, code):
    tencent.mode = mode
    with pytest.raises(sms.SmsError) as caught:
        sms.TencentBackend().send(sms.SmsMessage(phone="13900000006", text="t", ref="d"))
    assert caught.value.transient is transient
    assert caught.value.code == code
    assert code in str(caught.value)
