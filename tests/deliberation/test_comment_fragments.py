"""The topic page's comments rendered once and reused (deliberation/templatetags/
comment_fragments.py): each viewer still gets exactly their own markup. An edit, a hiding, a
report's hold, a renamed author show on the next request for everyone; one person's edit link,
report form or moderator buttons never reach another; hidden text stays hidden; the report
forms carry each viewer's own working CSRF token."""

import re

import pytest
from django.test import Client

from communities import services as community_services
from deliberation import services
from deliberation.models import CommentReport
from deliberation.templatetags.comment_fragments import fragments

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _empty():
    fragments.clear()
    yield
    fragments.clear()


def logged_in(user, **kwargs):
    client = Client(**kwargs)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(user)
    return client


def page(client, topic):
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def article(html, comment):
    match = re.search(rf'<article[^>]*id="comment-{comment.pk}".*?</article>', html, re.S)
    assert match, f"comment {comment.pk} not on the page"
    return match.group(0)


@pytest.fixture
def scene(flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.author, topic=topic, body="楼道灯应该换成声控的。")
    return topic, comment


def test_another_resident_reuses_the_markup_with_a_token_of_their_own(scene, world, flow):
    topic, comment = scene
    first = page(logged_in(world.resident), topic)
    kept = len(fragments.kept)
    assert kept >= 1
    someone = logged_in(world.supervisor, enforce_csrf_checks=True)
    second = page(someone, topic)
    assert len(fragments.kept) == kept  # nothing rendered again
    theirs = article(second, comment)
    assert "Send the report" in theirs
    token = TOKEN.search(theirs).group(1)
    assert token != TOKEN.search(article(first, comment)).group(1)
    response = someone.post(f"/comments/{comment.pk}/report/", {"reason": "广告", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert CommentReport.objects.filter(comment=comment, reporter=world.supervisor).exists()


def test_the_authors_edit_link_never_reaches_anyone_else(scene, world):
    topic, comment = scene
    mine = article(page(logged_in(world.author), topic), comment)
    assert f"/comments/{comment.pk}/edit/" in mine and "Send the report" not in mine
    theirs = article(page(logged_in(world.resident), topic), comment)
    assert f"/comments/{comment.pk}/edit/" not in theirs and "Send the report" in theirs
    assert f"/comments/{comment.pk}/edit/" in article(page(logged_in(world.author), topic), comment)


def test_moderator_buttons_never_reach_a_resident(scene, world):
    topic, comment = scene
    assert "Hide the comment" in article(page(logged_in(world.staff), topic), comment)
    assert "Hide the comment" not in article(page(logged_in(world.resident), topic), comment)
    assert "Hide the comment" not in article(page(Client(), topic), comment)


def test_an_edit_shows_at_once_for_everyone(scene, world):
    topic, comment = scene
    reader = logged_in(world.resident)
    page(reader, topic)
    services.comment_edit(actor=world.author, comment=comment, body="改成感应灯也可以。")
    html = article(page(reader, topic), comment)
    assert "改成感应灯也可以。" in html and "(edited)" in html
    assert "改成感应灯也可以。" in article(page(logged_in(world.staff), topic), comment)


def test_a_hidden_comment_stays_hidden_from_those_who_may_not_see_it(scene, world):
    topic, comment = scene
    reader, author, staff = logged_in(world.resident), logged_in(world.author), logged_in(world.staff)
    for client in (reader, author, staff):
        assert "楼道灯应该换成声控的。" in page(client, topic)
    services.comment_moderate(actor=world.staff, comment=comment, keep=False, reason="与议题无关")
    theirs = article(page(reader, topic), comment)
    assert "楼道灯应该换成声控的。" not in theirs and "This comment was hidden by staff." in theirs
    assert "楼道灯应该换成声控的。" not in page(Client(), topic)
    own = article(page(author, topic), comment)
    assert "楼道灯应该换成声控的。" in own and "Staff hid your comment from others." in own
    moderated = article(page(staff, topic), comment)
    assert "楼道灯应该换成声控的。" in moderated and "Show it again" in moderated
    services.comment_moderate(actor=world.staff, comment=comment, keep=True)
    assert "楼道灯应该换成声控的。" in article(page(reader, topic), comment)


def test_a_renamed_author_shows_at_once(scene, world):
    topic, comment = scene
    reader = logged_in(world.resident)
    page(reader, topic)
    community_services.profile_update(
        user=world.author, display_name="赵淑珍", preferred_language="zh-hans", sms_opt_out=False, email_opt_in=False
    )
    assert "赵淑珍" in article(page(reader, topic), comment)
