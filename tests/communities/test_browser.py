"""A visitor in a real browser: the directory, a community, the English switch."""

import re

import pytest

from communities.models import Stage, Typology
from tests import factories
from tests.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitor_filters_opens_a_community_and_switches_to_english(browser_page, live_server):
    from playwright.sync_api import expect

    village = factories.CommunityFactory(name="明月村", typology=Typology.RURAL, stage=Stage.RURAL)
    factories.CommunityFactory(name="玉林北路社区", typology=Typology.OLD_NEIGHBOURHOOD)
    factories.CommunityFactory(name="桐梓林社区", typology=Typology.COMMERCIAL_HOUSING)
    page = browser_page

    page.goto(f"{live_server.url}/communities/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)

    page.locator("select[name=typology]").select_option("rural")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]typology=rural"))
    expect(rows).to_have_count(1)

    page.get_by_role("link", name="明月村").click()
    expect(page).to_have_url(f"{live_server.url}{village.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text("明月村")

    page.locator(".language-switch").get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_server.url}{village.get_absolute_url()}")
    expect(page.get_by_role("heading", name="About the community")).to_be_visible()
    expect(page.locator(".tag").first).to_have_text("Rural community")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Communities")).to_be_visible()


def test_pages_fit_a_phone_screen_and_the_skip_link_works(browser_page, live_server):
    from playwright.sync_api import expect

    community = factories.CommunityFactory(
        name="失地农民安置社区示例", address="成都市郫都区犀浦街道很长很长的一条路八百八十八号"
    )
    page = browser_page
    page.set_viewport_size(PHONE)
    for path in ("/", "/communities/", community.get_absolute_url(), "/accounts/signup/", "/accounts/login/"):
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {PHONE['width']}px"

    page.goto(f"{live_server.url}/communities/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
