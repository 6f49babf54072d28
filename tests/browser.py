"""A real browser for tests: Playwright driving Debian's Chromium, headless.

Its fixture `browser_page` is registered for every test (tests/conftest.py's pytest_plugins):

    @pytest.mark.browser
    @pytest.mark.django_db(transaction=True)
    def test_something(browser_page, live_server):
        browser_page.goto(live_server.url + "/")

Mark such tests `transaction=True`: while Playwright runs, the test's own ORM calls go
through a separate database connection, so they must commit to be seen (and the live
server must see them anyway).

Playwright's own browser download is not used: Debian's `chromium` package is, so the
tests run wherever that package is installed. Without it they skip locally and fail in CI.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests import factories

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@contextlib.contextmanager
def chromium():
    """A launched Chromium (a Playwright Browser); closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def require_chromium():
    if CHROMIUM.exists():
        return
    message = f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run the browser tests)")
    pytest.skip(message)


@pytest.fixture
def browser_page(monkeypatch):
    """A fresh page in a desktop-sized window; Accept-Language asks for Chinese, like most visitors."""
    require_chromium()
    # Playwright's sync API keeps an event loop running in this thread; Django would refuse
    # the test's own ORM calls beside it, though nothing here runs concurrently.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            # While Playwright's loop runs, Django keeps this thread's database connections
            # apart from the usual ones; close them here, or they outlive the test database.
            from django.db import connections

            connections.close_all()


def session_cookie(username, live_server):
    """A logged-in session of `username` as a cookie for Playwright's context."""
    from communities.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    host = re.sub(r"^https?://", "", live_server.url).split(":")[0]
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "domain": host,
        "path": "/",
    }


def log_in(page, live_server, username):
    """Log in on the login page with the test password, then read the site in English."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    # Logging in restores the person's language (Chinese); the assertions read English.
    page.locator(".language-switch").get_by_role("button", name="English").click()
