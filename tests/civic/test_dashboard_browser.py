"""An official in a real browser: logs in, filters the dashboard by typology, downloads a CSV."""

import csv
import io
import re

import pytest

from communities.models import Stage, Typology
from tests import factories
from tests.browser import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district():
    admin = factories.superuser()
    street = factories.StreetFactory(name="玉林街道")
    village = factories.CommunityFactory(street=street, name="明月村", typology=Typology.RURAL, stage=Stage.RURAL)
    estate = factories.CommunityFactory(street=street, name="桐梓林社区", typology=Typology.COMMERCIAL_HOUSING)
    for community, count in ((village, 3), (estate, 2)):
        for _ in range(count):
            factories.resident(community, actor=admin)
    official = factories.official(district=street.district, actor=admin, username="district_official")
    far = factories.CommunityFactory(name="很远的社区", typology=Typology.RURAL)
    factories.resident(far, actor=admin)
    return village, estate, official


def _log_in(page, base):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "district_official")
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def test_an_official_filters_by_typology_and_downloads_a_csv(browser_page, live_server, district):
    from playwright.sync_api import expect

    village, estate, _official = district
    page = browser_page
    _log_in(page, live_server.url)
    page.locator('nav.site-nav a[href="/dashboard/"]').click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    communities = page.locator("#table-communities tbody tr")
    expect(communities).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("很远的社区")

    page.locator("select[name=typology]").select_option("rural")
    page.locator("form.dash-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]typology=rural"))
    expect(communities).to_have_count(1)
    expect(communities.first).to_contain_text("明月村")

    export = page.locator('#panel-communities a[href*="/dashboard/export/communities.csv"]')
    expect(export).to_have_attribute("href", re.compile(r"typology=rural"))
    with page.expect_download() as download_info:
        export.click()
    download = download_info.value
    assert download.suggested_filename.startswith("civic-dashboard-communities-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    names = [row[0] for row in rows if row]
    assert "明月村" in names
    assert "桐梓林社区" not in names
    assert "很远的社区" not in names

    # The community's own dashboard, one click away.
    page.locator("#table-communities").get_by_role("link", name="明月村").click()
    expect(page).to_have_url(f"{live_server.url}/dashboard/communities/{village.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("明月村")


def test_the_dashboard_fits_a_phone(browser_page, live_server, district):
    page = browser_page
    page.set_viewport_size(PHONE)
    _log_in(page, live_server.url)
    village = district[0]
    for path in ("/dashboard/", f"/dashboard/communities/{village.pk}/"):
        page.goto(live_server.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {PHONE['width']}px"
