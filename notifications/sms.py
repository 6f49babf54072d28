"""Text messages through the backend named by `SMS_BACKEND`, the way Django sends mail.

- `notifications.sms.FileBackend` (default): one file per message under `SMS_FILE_PATH`
  (`var/sms/`), named by the message's reference, so a message written twice is one file.
- `notifications.sms.ConsoleBackend`: prints each message.
- `notifications.sms.TencentBackend`: Tencent Cloud SMS through its official SDK
  (`tencentcloud-sdk-python-sms`), endpoint and keys from the `SMS_TENCENT_*` settings.

A backend's `send(message)` returns the provider's message id or raises `SmsError`, whose
`transient` says whether trying again later may succeed (timeouts, throttling, the
provider's internal errors) or not (a malformed number, a rejected template).
Other apps (SMS-code login) call `send_sms(phone, text)`.
"""

import json
import os
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from core.phones import international, normalise_phone

SEGMENT = 70  # characters of one SMS segment in UCS-2, which Chinese text needs


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    # An idempotency reference (the delivery's id): the file backend names its file after it,
    # the provider gets it back in its receipts (SessionContext).
    ref: str = ""
    # A provider template's name and parameters, for providers that only send templates.
    template: str = ""
    params: tuple = field(default_factory=tuple)

    def __post_init__(self):
        # Whoever built the message, the number reads as everywhere else (core.phones): the
        # file backend's "to" is the stored number, the provider gets it as +86... once.
        object.__setattr__(self, "phone", normalise_phone(self.phone) or "")


class SmsError(Exception):
    def __init__(self, message, *, transient=True, code=""):
        super().__init__(message)
        self.transient = transient
        self.code = code


def fit(head, tail="", *, optional="", limit=SEGMENT, separator=" "):
    """`head optional tail` within one segment where it can: the optional part is shortened
    with an ellipsis or left out; head and tail always stay, even if that takes two segments."""

    def join(*parts):
        return separator.join(part for part in parts if part)

    text = join(head, optional, tail)
    if len(text) <= limit or not optional:
        return text
    room = limit - len(join(head, tail)) - len(separator)
    if room >= 4:  # a shorter stub says nothing
        return join(head, optional[: room - 1] + "…", tail)
    return join(head, tail)


class BaseBackend:
    def __init__(self, **options):
        self.options = options

    def send(self, message):
        raise NotImplementedError


class FileBackend(BaseBackend):
    def __init__(self, path=None, **options):
        super().__init__(**options)
        self.path = Path(path or getattr(settings, "SMS_FILE_PATH", None) or settings.VAR_DIR / "sms")

    def send(self, message):
        day = timezone.localdate().isoformat()
        folder = self.path / day
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = _safe_name(message.ref) if message.ref else uuid.uuid4().hex
        target = folder / f"{name}.txt"
        record = {
            "to": message.phone,
            "ref": message.ref,
            "at": timezone.now().isoformat(),
            "template": message.template,
            "params": list(message.params),
            "text": message.text,
        }
        # Written aside and renamed, so a worker killed mid-write never leaves half a message.
        temporary = folder / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        # Readable by its owner only (0600): the text may be a login code.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
        os.replace(temporary, target)
        return f"file:{day}/{target.name}"


def _safe_name(ref):
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(ref))[:80]


class ConsoleBackend(BaseBackend):
    def __init__(self, stream=None, **options):
        super().__init__(**options)
        self.stream = stream

    def send(self, message):
        stream = self.stream or sys.stdout
        stream.write(f"SMS to {message.phone} [{message.ref or '-'}]: {message.text}\n")
        stream.flush()
        return f"console:{message.ref or uuid.uuid4().hex}"


# Tencent Cloud answers these codes for a problem that may pass; every other code is final.
TENCENT_TRANSIENT = (
    "InternalError",
    "RequestLimitExceeded",
    "LimitExceeded.DeliveryFrequencyLimit",
    "FailedOperation.InsufficientBalanceInSmsPackage",
    "ClientNetworkError",
    "ServerNetworkError",
)


class TencentBackend(BaseBackend):
    """Tencent Cloud SMS (腾讯云短信), API 2021-01-11, through the official SDK.

    Providers in mainland China send approved templates only. A message that names one of
    `SMS_TENCENT_TEMPLATES` goes with that template and its parameters; any other goes with
    `SMS_TENCENT_TEMPLATE_ID`, a template whose only parameter is the whole text.
    """

    def __init__(self, **options):
        super().__init__(**options)
        conf = {
            "secret_id": settings.SMS_TENCENT_SECRET_ID,
            "secret_key": settings.SMS_TENCENT_SECRET_KEY,
            "region": settings.SMS_TENCENT_REGION,
            "endpoint": settings.SMS_TENCENT_ENDPOINT,
            "sdk_app_id": settings.SMS_TENCENT_SDK_APP_ID,
            "sign_name": settings.SMS_TENCENT_SIGN_NAME,
            "template_id": settings.SMS_TENCENT_TEMPLATE_ID,
            "templates": settings.SMS_TENCENT_TEMPLATES,
            "timeout": settings.SMS_TIMEOUT,
        }
        conf.update(options)
        self.conf = conf
        self._client = None

    def client(self):
        if self._client is None:
            from tencentcloud.common import credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.sms.v20210111 import sms_client

            endpoint = self.conf["endpoint"]
            parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
            http = HttpProfile(protocol=parts.scheme, endpoint=parts.netloc, reqTimeout=self.conf["timeout"])
            profile = ClientProfile(httpProfile=http)
            # A failing region is our problem to retry with back-off, not the SDK's to reroute.
            profile.disable_region_breaker = True
            self._client = sms_client.SmsClient(
                credential.Credential(self.conf["secret_id"], self.conf["secret_key"]), self.conf["region"], profile
            )
        return self._client

    def request(self, message):
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet = [international(message.phone)]
        request.SmsSdkAppId = self.conf["sdk_app_id"]
        request.SignName = self.conf["sign_name"]
        templates = self.conf["templates"] or {}
        if message.template and message.template in templates:
            request.TemplateId = str(templates[message.template])
            request.TemplateParamSet = [str(p) for p in message.params]
        else:
            request.TemplateId = str(self.conf["template_id"])
            request.TemplateParamSet = [message.text]
        request.SessionContext = message.ref
        return request

    def send(self, message):
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        try:
            response = self.client().SendSms(self.request(message))
        except TencentCloudSDKException as exc:
            code = exc.get_code() or ""
            raise SmsError(
                f"{code}: {exc.get_message()}", transient=code.startswith(TENCENT_TRANSIENT), code=code
            ) from exc
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsError(f"No send status in the answer (request {response.RequestId}).", transient=True)
        status = statuses[0]
        if status.Code != "Ok":
            raise SmsError(
                f"{status.Code}: {status.Message}",
                transient=status.Code.startswith(TENCENT_TRANSIENT),
                code=status.Code,
            )
        return status.SerialNo or response.RequestId


def get_backend(path=None, **options):
    return import_string(path or settings.SMS_BACKEND)(**options)


def send_sms(phone, text, *, ref="", template="", params=(), backend=None):
    """Send one message now; returns the provider's message id or raises SmsError."""
    return (backend or get_backend()).send(
        SmsMessage(phone=phone, text=text, ref=ref, template=template, params=tuple(params))
    )


def today_folder(path=None):
    """Where the file backend writes today's messages."""
    base = Path(path or getattr(settings, "SMS_FILE_PATH", None) or settings.VAR_DIR / "sms")
    return base / timezone.localdate().isoformat()


__all__ = [
    "SEGMENT",
    "SmsMessage",
    "SmsError",
    "fit",
    "BaseBackend",
    "FileBackend",
    "ConsoleBackend",
    "TencentBackend",
    "get_backend",
    "send_sms",
    "today_folder",
]
