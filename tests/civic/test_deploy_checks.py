"""Deploy checks (issue 13, findings 3 and 7), both ways: the production environment README
gives passes `check --deploy --fail-level WARNING`; each unsafe setting fails it."""

import stat
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail
from django.core.checks import ERROR, WARNING, run_checks
from django.test import override_settings

from tests.civic.test_hardening import production_environment

SAFE = {
    "DEBUG": False,
    "SMS_BACKEND": "notifications.sms.TencentBackend",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "SITE_URL": "https://civic.example.cn",
    "TRUSTED_PROXY_COUNT": 1,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


def civic_findings(**overrides):
    with override_settings(**{**SAFE, **overrides}):
        return {m.id: m.level for m in run_checks(include_deployment_checks=True) if m.id.startswith("civic.")}


def deploy_check(**env):
    environment = {**production_environment(), **env}
    for name in [name for name, value in env.items() if value is None]:
        del environment[name]
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_readme_production_environment_passes():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_readme_lists_every_variable_the_check_asks_for():
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    production = readme.split("### Production", 1)[1].split("```", 2)[1]
    scale = readme.split("N web processes and M workers", 1)[1].split("```", 2)[1]
    for block in (production, scale):
        for name in ("TRUSTED_PROXY_COUNT", "SITE_URL", "SMS_BACKEND", "EMAIL_BACKEND", "EMAIL_HOST"):
            assert name in block, name


@pytest.mark.parametrize(
    ("env", "finding"),
    [
        ({"SMS_BACKEND": None}, "civic.E001"),  # the default: files under var/sms
        ({"EMAIL_BACKEND": None}, "civic.E002"),
        ({"SITE_URL": None}, "civic.E003"),
        ({"TRUSTED_PROXY_COUNT": "0"}, "civic.W001"),
    ],
)
def test_each_unsafe_setting_fails_the_deploy_check(env, finding):
    result = deploy_check(**env)
    assert result.returncode != 0
    assert finding in result.stdout + result.stderr


def test_the_safe_configuration_has_no_findings():
    assert civic_findings() == {}


@pytest.mark.parametrize("backend", ["notifications.sms.FileBackend", "notifications.sms.ConsoleBackend"])
def test_file_and_console_sms_backends_are_errors(backend):
    assert civic_findings(SMS_BACKEND=backend) == {"civic.E001": ERROR}


@pytest.mark.parametrize(
    "backend",
    [
        "civic.mail.PrivateFileBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.console.EmailBackend",
    ],
)
def test_local_email_backends_are_errors(backend):
    assert civic_findings(EMAIL_BACKEND=backend) == {"civic.E002": ERROR}


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]/", "http://0.0.0.0:8000", "http://127.0.0.2"],
)
def test_a_loopback_site_url_is_an_error(url):
    assert civic_findings(SITE_URL=url) == {"civic.E003": ERROR}


def test_a_proxy_without_a_proxy_count_is_a_warning():
    assert civic_findings(TRUSTED_PROXY_COUNT=0) == {"civic.W001": WARNING}
    assert civic_findings(TRUSTED_PROXY_COUNT=0, SECURE_PROXY_SSL_HEADER=None) == {}


def test_development_keeps_its_files():
    findings = civic_findings(DEBUG=True, SMS_BACKEND="notifications.sms.FileBackend", SITE_URL="http://127.0.0.1:8000")
    assert findings == {}


def test_sms_files_are_for_their_owner_only(tmp_path):
    from notifications import sms

    backend = sms.FileBackend(path=tmp_path / "sms")
    backend.send(sms.SmsMessage(phone="13900000001", text="验证码 123456", ref="login-1"))
    (written,) = (tmp_path / "sms").rglob("*.txt")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700


def test_mail_files_are_for_their_owner_only(tmp_path):
    with override_settings(EMAIL_BACKEND="civic.mail.PrivateFileBackend", EMAIL_FILE_PATH=str(tmp_path / "mail")):
        mail.send_mail("重置密码", "https://civic.example.cn/accounts/reset/x/y/", "civic@localhost", ["a@example.cn"])
    (written,) = (tmp_path / "mail").iterdir()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mail").stat().st_mode) == 0o700
