"""Links in notices (issue 12): under `make run` they follow the address served unless
SITE_URL is set, and the inbox's Open goes to the notice's path on the origin in use, never
off-site."""

import pytest
from django.urls import reverse
from django.utils import timezone

from civic.settings import served_site_url
from notifications import links, services
from notifications.models import Delivery
from notifications.registry import IN_APP

from .conftest import TEST_KIND


@pytest.mark.parametrize(
    ("addr", "site"),
    [
        ("127.0.0.1:8301", "http://127.0.0.1:8301"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("localhost:9000", "http://localhost:9000"),
        ("[::1]:8302", "http://[::1]:8302"),
        (":::8303", "http://127.0.0.1:8303"),
    ],
)
def test_the_served_address_becomes_the_link_base(addr, site):
    assert served_site_url(addr) == site


def _settings_site_url(monkeypatch, **env):
    """SITE_URL as civic/settings.py computes it from this environment."""
    import importlib

    import civic.settings as module

    for name in ("SITE_URL", "CIVIC_ADDR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DEBUG", "1")
    try:
        return importlib.reload(module).SITE_URL
    finally:
        monkeypatch.undo()
        importlib.reload(module)


def test_make_run_links_follow_the_port_unless_site_url_is_set(monkeypatch):
    assert _settings_site_url(monkeypatch, CIVIC_ADDR="127.0.0.1:8301") == "http://127.0.0.1:8301"
    assert (
        _settings_site_url(monkeypatch, CIVIC_ADDR="127.0.0.1:8301", SITE_URL="https://civic.example.cn/")
        == "https://civic.example.cn"
    )
    assert _settings_site_url(monkeypatch) == "http://127.0.0.1:8000"


def test_notices_are_written_with_the_current_site_url(settings, db):
    settings.SITE_URL = "http://127.0.0.1:8301"
    assert links.absolute("/meetings/3/") == "http://127.0.0.1:8301/meetings/3/"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("http://127.0.0.1:8000/meetings/3/", "/meetings/3/"),
        ("https://civic.example.cn/topics/5/?page=2#comment-9", "/topics/5/?page=2#comment-9"),
        ("/announcements/7/", "/announcements/7/"),
        ("javascript:alert(1)", ""),
        ("//evil.example/x", "/x"),  # its path, here: never the other host
        ("http://evil.example//evil.example/x", ""),
        ("/\\evil.example", ""),
        ("", ""),
    ],
)
def test_the_inbox_opens_only_paths_of_its_own(url, path):
    assert links.local_path(url) == path


@pytest.mark.django_db
def test_open_goes_to_the_path_on_this_origin_whatever_port_the_notice_was_written_for(
    news_kind, client, community, resident
):
    services.notice_schedule(kind=TEST_KIND, subject=community, due_at=timezone.now(), params={"text": "停水"})
    services.notices_dispatch()
    services.deliveries_send(
        channel=IN_APP, ids=list(Delivery.objects.filter(channel=IN_APP).values_list("pk", flat=True))
    )
    delivery = Delivery.objects.get(recipient=resident, channel=IN_APP)
    assert delivery.notice.text()["url"].startswith("http://testserver/")  # written for another origin
    client.force_login(resident)
    response = client.post(reverse("notifications:read", args=[delivery.pk]), {"open": "1"}, HTTP_HOST="127.0.0.1:8301")
    assert response.status_code == 302 and response["Location"] == community.get_absolute_url()
    delivery.refresh_from_db()
    assert delivery.read_at is not None


@pytest.mark.django_db
def test_open_never_leaves_the_site(news_kind, client, community, resident):
    services.notice_schedule(kind=TEST_KIND, subject=community, due_at=timezone.now(), params={"text": "停水"})
    services.notices_dispatch()
    services.deliveries_send(
        channel=IN_APP, ids=list(Delivery.objects.filter(channel=IN_APP).values_list("pk", flat=True))
    )
    delivery = Delivery.objects.get(recipient=resident, channel=IN_APP)
    notice = delivery.notice
    client.force_login(resident)
    for url, location in [("//evil.example/x", "/x"), ("javascript:alert(1)", reverse("notifications:inbox"))]:
        notice.content = {language: {**text, "url": url} for language, text in notice.content.items()}
        notice.save(update_fields=["content"])
        response = client.post(reverse("notifications:read", args=[delivery.pk]), {"open": "1"})
        assert response.status_code == 302 and response["Location"] == location
