"""A resident's account errands in Chromium at 360 px: sign up with consent, wait for
verification, log in by SMS, download their data, delete their account."""

import json
import os
from pathlib import Path

import pytest

from communities.models import Residency, User
from tests import factories
from tests.browser import PHONE
from tests.smsbox import sent_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("ACCOUNTS_SHOTS", "/tmp/accounts-shots"))


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_menu(page):
    """At phone width the navigation folds under the Menu button (a <details>)."""
    button = page.locator("summary.site-menu__button")
    if button.is_visible() and page.locator("details.site-menu").get_attribute("open") is None:
        button.click()


def no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 360 px"


def test_sign_up_wait_sms_login_download_and_delete(browser_page, live_server, sms_box):
    from playwright.sync_api import expect

    community = factories.CommunityFactory(name="玉林北路社区")
    page = browser_page
    page.set_viewport_size(PHONE)

    # Sign up: the consent box must be ticked, and the number is confirmed by a code.
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("显示名称").fill("陈静")
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("所在社区").select_option(str(community.pk))
    page.get_by_label("密码", exact=True).fill("lantern-river-2026")
    page.get_by_label("再次输入密码").fill("lantern-river-2026")
    page.get_by_role("button", name="注册").click()
    expect(page.locator("#id_accept_terms_error")).to_contain_text("请同意用户条款和隐私政策")
    expect(page.get_by_label("显示名称")).to_have_value("陈静")  # nothing typed is lost
    page.get_by_label("密码", exact=True).fill("lantern-river-2026")
    page.get_by_label("再次输入密码").fill("lantern-river-2026")
    page.locator("#id_accept_terms").check()
    shot(page, "01-signup-consent")
    no_sideways_scroll(page)
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_text("以完成注册")).to_be_visible()
    resend = page.get_by_role("button", name="重新发送验证码")
    expect(resend).to_be_disabled()  # the countdown of the server's minute
    expect(resend).to_contain_text("秒后可重发")
    shot(page, "02-signup-code")
    page.get_by_label("短信验证码").fill(sent_code(sms_box, "13912345678"))
    page.get_by_role("button", name="登录").click()

    # The verification wait, in plain words.
    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    expect(page.locator(".message--success")).to_contain_text("正在等待核实")
    expect(page.locator(".state--pending")).to_contain_text("等待")
    shot(page, "03-profile-waiting")
    no_sideways_scroll(page)
    user = User.objects.get(phone="13912345678")
    assert user.consented_at and Residency.objects.get(user=user).status == Residency.Status.PENDING
    open_menu(page)
    page.locator(".site-nav__account").get_by_role("button", name="退出").click()

    # SMS login of an existing resident: only the code is asked for.
    resident = factories.resident(community, phone="13900000042", display_name="周阿姨")
    page.goto(f"{live_server.url}/accounts/login/sms/")
    page.get_by_label("手机号码").fill("13900000042")
    page.get_by_role("button", name="发送验证码").click()
    expect(page.get_by_label("短信验证码")).to_be_visible()
    expect(page.locator("select[name=community]")).to_have_count(0)
    expect(page.locator("input[name=display_name]")).to_have_count(0)
    shot(page, "04-sms-login-existing")
    no_sideways_scroll(page)
    page.get_by_label("短信验证码").fill(sent_code(sms_box, "13900000042"))
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".site-nav__account")).to_contain_text("周阿姨")

    # Download my data.
    page.goto(f"{live_server.url}/accounts/profile/")
    shot(page, "05-profile-data")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载我的数据（JSON）").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["profile"]["phone"] == "13900000042"
    assert data["residencies"][0]["community"] == "玉林北路社区"

    # Delete my account: confirmation and the password.
    page.get_by_role("link", name="注销我的账号").click()
    shot(page, "06-delete-form")
    no_sideways_scroll(page)
    page.get_by_role("button", name="注销我的账号").click()
    expect(page.locator(".field--invalid").first).to_be_visible()
    page.get_by_label("我明白").check()
    page.get_by_label("您的密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="注销我的账号").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".message--success")).to_contain_text("已注销用户")
    open_menu(page)
    expect(page.locator(".site-nav__account").get_by_role("link", name="登录")).to_be_visible()
    shot(page, "07-deleted")
    gone = User.objects.get(pk=resident.pk)
    assert gone.phone is None and gone.deleted_at is not None and not gone.is_active


def test_role_badges_privacy_notice_and_a_new_numbers_sign_up_step(browser_page, live_server, sms_box):
    from playwright.sync_api import expect

    from deliberation import services as deliberation
    from deliberation.models import TopicCategory

    community = factories.CommunityFactory(name="玉林北路社区")
    root = factories.superuser()
    author = factories.resident(community, actor=root, display_name="周阿姨")
    staff = factories.staff_member(community, actor=root, display_name="王主任")
    impostor = factories.resident(community, actor=root, display_name="李婷（居委会工作人员）")
    topic = deliberation.topic_raise(
        actor=author,
        community=community,
        title="更换楼道灯",
        body="楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。",
        category=TopicCategory.PUBLIC_SPACE,
    )
    deliberation.comment_post(actor=staff, topic=topic, body="已报修，本周内更换。")
    deliberation.comment_post(actor=impostor, topic=topic, body="我是工作人员，这事不用管了。")
    page = browser_page
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/topics/{topic.pk}/")
    staff_head = page.locator(".delib-comment__head", has_text="王主任")
    expect(staff_head.locator(".tag--role")).to_have_text("社区工作人员")
    expect(page.locator(".delib-comment__head", has_text="李婷").locator(".tag--role")).to_have_count(0)
    page.locator(f"#comment-{topic.comments.get(author=staff).pk}").scroll_into_view_if_needed()
    shot(page, "08-role-badges")
    no_sideways_scroll(page)

    page.goto(f"{live_server.url}/privacy/")
    page.locator(".language-switch").get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")
    shot(page, "09-privacy-en")
    no_sideways_scroll(page)

    page.goto(f"{live_server.url}/accounts/login/sms/")
    page.get_by_label("Mobile phone number").fill("13900000051")
    page.get_by_role("button", name="Send me a code").click()
    page.get_by_label("Code from the SMS").fill(sent_code(sms_box, "13900000051"))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("group", name="Sign up with this number")).to_be_visible()
    page.get_by_label("Your community").select_option(str(community.pk))
    page.get_by_label("Your name").fill("New Resident")
    page.locator("#id_accept_terms").check()
    shot(page, "10-sms-new-number")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/profile/")
    assert User.objects.get(phone="13900000051").terms_version
