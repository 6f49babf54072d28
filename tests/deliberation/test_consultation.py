"""Comments, replies, the 15-minute edit window, reports and moderation, and support."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import Conflict
from deliberation import selectors, services, trail
from deliberation.models import COMMENT_MAX, Comment, CommentReport, Support, TrailEntry, TrailKind
from deliberation.workflow import Step
from tests import factories

pytestmark = pytest.mark.django_db


def test_residents_comment_and_reply_one_level_deep(flow, world):
    topic = flow.raise_topic()
    first = services.comment_post(actor=world.resident, topic=topic, body="支持，楼道太黑了")
    reply = services.comment_post(actor=world.author, topic=topic, body="谢谢", parent=first)
    deeper = services.comment_post(actor=world.staff, topic=topic, body="已记录", parent=reply)
    assert reply.parent == first
    assert deeper.parent == first  # a reply to a reply joins the thread
    entry = TrailEntry.objects.filter(topic=topic, kind=TrailKind.COMMENT).last()
    assert entry.data == {"comment": deeper.pk, "parent": first.pk, "body_sha256": trail.text_digest("已记录")}


def test_text_is_stored_as_typed(flow, world):
    topic = flow.raise_topic()
    body = '<script>alert("x")</script>  two  spaces\n'
    comment = services.comment_post(actor=world.resident, topic=topic, body=body)
    comment.refresh_from_db()
    assert comment.body == body


def test_who_may_comment(flow, world):
    topic = flow.raise_topic()
    for someone in (world.outsider, world.other_staff, world.official, world.anonymous, factories.UserFactory()):
        with pytest.raises(PermissionDenied):
            services.comment_post(actor=someone, topic=topic, body="路过")
    services.comment_post(actor=world.council[0], topic=topic, body="议事会会讨论")


def test_a_comment_over_5000_characters_is_refused_and_nothing_is_saved(flow, world):
    topic = flow.raise_topic()
    entries = TrailEntry.objects.count()
    with pytest.raises(ValidationError) as info:
        services.comment_post(actor=world.resident, topic=topic, body="长" * (COMMENT_MAX + 1))
    assert "5,000" in info.value.message_dict["body"][0]
    with pytest.raises(ValidationError):
        services.comment_post(actor=world.resident, topic=topic, body="   ")
    assert not Comment.objects.exists()
    assert TrailEntry.objects.count() == entries
    services.comment_post(actor=world.resident, topic=topic, body="长" * COMMENT_MAX)


def test_reply_must_belong_to_the_same_topic(flow, world):
    one, two = flow.raise_topic(), flow.raise_topic(title="另一件事")
    comment = services.comment_post(actor=world.resident, topic=one, body="甲")
    with pytest.raises(ValidationError):
        services.comment_post(actor=world.resident, topic=two, body="乙", parent=comment)


def test_consultation_closes_after_the_vote(flow, world):
    topic = flow.at(Step.PUBLICIZE)
    with pytest.raises(Conflict):
        services.comment_post(actor=world.resident, topic=topic, body="晚了")
    with pytest.raises(Conflict):
        services.support_give(actor=world.resident, topic=topic)


def test_authors_edit_for_fifteen_minutes(flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="错字")
    with pytest.raises(PermissionDenied):
        services.comment_edit(actor=world.author, comment=comment, body="改")
    flow.travel(minutes=14)
    edited = services.comment_edit(actor=world.resident, comment=comment, body="改正")
    assert edited.body == "改正" and edited.edited_at == flow.now
    flow.travel(minutes=2)
    with pytest.raises(Conflict):
        services.comment_edit(actor=world.resident, comment=comment, body="再改")
    comment.refresh_from_db()
    assert comment.body == "改正"


def test_three_open_reports_hold_a_comment_until_a_moderator_decides(flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="广告：低价装修")
    reporters = [world.author, world.council[0], world.council[1]]
    services.comment_report(actor=reporters[0], comment=comment, reason="广告")
    with pytest.raises(Conflict):
        services.comment_report(actor=reporters[0], comment=comment, reason="又是广告")
    with pytest.raises(ValidationError):
        services.comment_report(actor=world.resident, comment=comment, reason="自己举报自己")
    services.comment_report(actor=reporters[1], comment=comment, reason="广告")
    comment.refresh_from_db()
    assert comment.is_visible
    services.comment_report(actor=reporters[2], comment=comment, reason="广告")
    comment.refresh_from_db()
    assert comment.held and not comment.is_visible
    assert TrailEntry.objects.filter(topic=topic, kind=TrailKind.COMMENT_HELD).count() == 1
    # Others no longer see its text; its author and staff still do.
    shown = {u.pk: selectors.topic_comments(topic, u)[0].shown for u in (world.author, world.resident, world.staff)}
    assert shown == {world.author.pk: False, world.resident.pk: True, world.staff.pk: True}
    with pytest.raises(PermissionDenied):
        services.comment_moderate(actor=world.other_staff, comment=comment, keep=False, reason="广告")
    with pytest.raises(ValidationError):
        services.comment_moderate(actor=world.staff, comment=comment, keep=False, reason="")
    services.comment_moderate(actor=world.staff, comment=comment, keep=False, reason="商业广告")
    comment.refresh_from_db()
    assert (comment.hidden, comment.held, comment.hidden_reason, comment.hidden_by) == (
        True,
        False,
        "商业广告",
        world.staff,
    )
    assert set(CommentReport.objects.values_list("status", flat=True)) == {CommentReport.Status.UPHELD}


def test_a_moderator_may_keep_a_held_comment(flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="我反对这个方案")
    for reporter in (world.author, world.council[0], world.council[1]):
        services.comment_report(actor=reporter, comment=comment, reason="不同意")
    services.comment_moderate(actor=world.staff, comment=comment, keep=True)
    comment.refresh_from_db()
    assert comment.is_visible
    assert set(CommentReport.objects.values_list("status", flat=True)) == {CommentReport.Status.DISMISSED}
    assert TrailEntry.objects.filter(topic=topic, kind=TrailKind.COMMENT_RESTORED).exists()


def test_hidden_comments_cannot_be_answered_or_edited(flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="骂人的话")
    services.comment_hide(actor=world.staff, comment=comment, reason="人身攻击")
    with pytest.raises(ValidationError):
        services.comment_post(actor=world.author, topic=topic, body="回复", parent=comment)
    with pytest.raises(Conflict):
        services.comment_edit(actor=world.resident, comment=comment, body="改好了")


def test_support_once_per_resident(flow, world):
    topic = flow.raise_topic()
    support, created = services.support_give(actor=world.resident, topic=topic)
    again, created_again = services.support_give(actor=world.resident, topic=topic)
    assert created and not created_again and support.pk == again.pk
    with pytest.raises(PermissionDenied):
        services.support_give(actor=world.outsider, topic=topic)
    assert selectors.topic_support(topic, world.resident) == {"count": 1, "mine": True}
    assert services.support_withdraw(actor=world.resident, topic=topic) is True
    assert not Support.objects.exists()
    kinds = list(TrailEntry.objects.filter(topic=topic).values_list("kind", flat=True))
    assert kinds[-2:] == [TrailKind.SUPPORT, TrailKind.SUPPORT_WITHDRAWN]


def test_comment_can_edit_flag_follows_the_window(flow, world):
    topic = flow.raise_topic()
    services.comment_post(actor=world.resident, topic=topic, body="一")
    assert selectors.topic_comments(topic, world.resident)[0].can_edit
    assert not selectors.topic_comments(topic, world.author)[0].can_edit
    flow.travel(minutes=16)
    assert not selectors.topic_comments(topic, world.resident)[0].can_edit
