"""At 360 px and 1280 px, as people click: the phone header's menu, the directory's street list
following the district, a visitor reading the public announcements. Screenshots go to
/tmp/polish-shots/."""

from pathlib import Path

import pytest

from tests import factories
from tests.browser import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/polish-shots")


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _log_in(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill("pass-1234-word")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_the_logged_in_phone_header_folds_its_navigation_under_a_menu(browser_page, live_server):
    from playwright.sync_api import expect

    root = factories.superuser()
    community = factories.CommunityFactory(name="玉林东路社区")
    resident = factories.resident(community, actor=root, display_name="王晓梅")
    resident.set_password("pass-1234-word")
    resident.save(update_fields=["password"])
    page = browser_page
    page.set_viewport_size(PHONE)
    _log_in(page, live_server, resident)
    header = page.locator(".site-header").bounding_box()
    assert header["height"] <= 80, f"the phone header is {header['height']} px tall"
    nav = page.get_by_role("navigation", name="主导航")
    expect(nav).to_be_hidden()
    _shot(page, "header-closed-360")
    page.locator(".site-menu__button").click()
    expect(nav).to_be_visible()
    expect(page.locator(".site-nav__account")).to_contain_text("王晓梅")
    _shot(page, "header-open-360")
    nav.get_by_role("link", name="通知公告").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("通知公告")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    # On a desktop the navigation is always shown and the button is not.
    page.set_viewport_size(DESKTOP)
    expect(page.locator(".site-menu__button")).to_be_hidden()
    expect(nav).to_be_visible()
    _shot(page, "header-1280")


def test_the_directorys_street_list_follows_the_district_live_and_without_script(browser_page, live_server):
    from playwright.sync_api import expect

    wuhou = factories.DistrictFactory(name="武侯区")
    chenghua = factories.DistrictFactory(name="成华区")
    yulin = factories.StreetFactory(district=wuhou, name="玉林街道")
    factories.StreetFactory(district=wuhou, name="浆洗街街道")
    factories.StreetFactory(district=chenghua, name="猛追湾街道")
    factories.CommunityFactory(name="玉林东路社区", street=yulin)
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/communities/")
    street = page.locator("select[name=street]")
    expect(street.locator("option", has_text="猛追湾街道")).to_have_count(1)
    page.locator("select[name=district]").select_option(str(wuhou.pk))
    # directory.js narrows the list at once.
    expect(street.locator("option", has_text="猛追湾街道")).to_have_count(0)
    expect(street.locator("option", has_text="玉林街道")).to_have_count(1)
    street.select_option(str(yulin.pk))
    _shot(page, "directory-narrowed-360")
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(street.locator("option", has_text="猛追湾街道")).to_have_count(0)  # the page narrows it too
    page.locator("select[name=district]").select_option("")
    expect(street.locator("option", has_text="猛追湾街道")).to_have_count(1)


def test_a_visitor_reads_a_district_wide_announcement(browser_page, live_server):
    from playwright.sync_api import expect

    from information import services

    root = factories.superuser()
    community = factories.CommunityFactory()
    district = community.street.district
    official = factories.official(district=district, actor=root)
    services.announcement_publish(actor=official, area=district, title="全区防汛通知", body="请注意防汛。")
    services.announcement_publish(
        actor=factories.staff_member(community, actor=root), area=community, title="本小区停水通知", body="明天停水。"
    )
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/")
    page.locator(".site-menu__button").click()
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="通知公告").click()
    expect(page.get_by_role("link", name="全区防汛通知")).to_be_visible()
    expect(page.get_by_role("link", name="本小区停水通知")).to_have_count(0)
    _shot(page, "announcements-anonymous-360")
    page.get_by_role("link", name="全区防汛通知").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("全区防汛通知")
