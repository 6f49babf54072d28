"""Deploy checks (`manage.py check --deploy`): settings that would leak login codes and reset
links, or lock residents out, fail the check instead of reaching production.

- civic.E001: DEBUG is off and SMS_BACKEND writes messages to files or the console (login
  codes readable on disk or in the logs, deliveries marked sent though nothing left).
- civic.E002: the same for EMAIL_BACKEND (password-reset links).
- civic.E003: DEBUG is off and SITE_URL points at this machine (every link in notices,
  SMS and e-mail leads nowhere).
- civic.W001: BEHIND_TLS_PROXY is on but TRUSTED_PROXY_COUNT is 0: every client is the
  proxy's address, so five wrong passwords from anyone lock an account and the per-address
  limits become city-wide.
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

LOCAL_SMS_BACKENDS = {"notifications.sms.FileBackend", "notifications.sms.ConsoleBackend"}
LOCAL_EMAIL_BACKENDS = {
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "civic.mail.PrivateFileBackend",
}


def _is_loopback(url):
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@register(Tags.security, deploy=True)
def check_production_delivery(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    problems = []
    if settings.SMS_BACKEND in LOCAL_SMS_BACKENDS:
        problems.append(
            Error(
                f"SMS_BACKEND is {settings.SMS_BACKEND}: login codes are written to files or the console "
                "and marked sent, though no message leaves.",
                hint="Set SMS_BACKEND=notifications.sms.TencentBackend and its SMS_TENCENT_* keys.",
                id="civic.E001",
            )
        )
    if settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS:
        problems.append(
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: password-reset links are kept on this machine "
                "and marked sent, though no e-mail leaves.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and EMAIL_HOST (EMAIL_* ).",
                id="civic.E002",
            )
        )
    if _is_loopback(settings.SITE_URL):
        problems.append(
            Error(
                f"SITE_URL is {settings.SITE_URL}: links in notices, SMS and e-mail point at this machine.",
                hint="Set SITE_URL to the portal's public address, e.g. https://civic.example.cn.",
                id="civic.E003",
            )
        )
    return problems


@register(Tags.security, deploy=True)
def check_proxy_count(app_configs, **kwargs):
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and settings.TRUSTED_PROXY_COUNT <= 0:
        return [
            Warning(
                "BEHIND_TLS_PROXY is on but TRUSTED_PROXY_COUNT is 0: every client counts as the proxy's "
                "address, so wrong passwords from anyone lock an account and per-address limits are city-wide.",
                hint="Set TRUSTED_PROXY_COUNT to the number of proxies that append to X-Forwarded-For (1 for one nginx).",
                id="civic.W001",
            )
        ]
    return []
