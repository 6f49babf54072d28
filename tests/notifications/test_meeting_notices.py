"""Deliberation's notices through the outbox: the meeting notice five days ahead, short
notice, moves and cancellations, step changes to followers, answers to objections and the
overdue digest. The services are called as staff and residents would cause them."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone, translation

from deliberation import notices, services
from deliberation.models import AgendaItem, Meeting, Topic
from deliberation.workflow import Step
from notifications import services as notice_services
from notifications import tasks
from notifications.models import Delivery, Notice
from notifications.registry import EMAIL, IN_APP, SMS
from tests import factories
from tests.fixtures.world import BODY

pytestmark = pytest.mark.django_db

T0 = timezone.make_aware(datetime.datetime(2026, 6, 1, 10, 0))
LEAD = datetime.timedelta(days=5)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w(community, other_community, admin_user, time_machine):
    time_machine.move_to(T0, tick=False)
    council = [factories.council_member(community, actor=admin_user, phone=None) for _ in range(3)]
    return SimpleNamespace(
        community=community,
        staff=factories.staff_member(community, actor=admin_user),
        council=council,
        residents=[factories.resident(community, actor=admin_user, email_opt_in=True) for _ in range(2)],
        outsider=factories.resident(other_community, actor=admin_user),
        admin=admin_user,
        clock=time_machine,
    )


def everyone(w):
    return {u.pk for u in (*w.council, *w.residents)}


def schedule(w, starts_at, **fields):
    meeting = services.meeting_schedule(
        actor=w.staff, community=w.community, starts_at=starts_at, location="社区议事厅", **fields
    )
    if "agenda" not in fields:
        # A meeting notice goes out only with an agenda: give it one item, laid down directly
        # so that no other notice (a step change) joins the ones these tests count.
        topic = Topic.objects.create(
            community=w.community, title="议程事项", body=BODY, raised_by=w.staff, step=Step.REVIEW
        )
        AgendaItem.objects.create(meeting=meeting, topic=topic, added_by=w.staff)
    return meeting


def tick(django_capture_on_commit_callbacks):
    """One beat of the dispatcher at the current (travelled) time, its tasks run here."""
    with django_capture_on_commit_callbacks(execute=True):
        tasks.dispatch.apply()


def inbox(user):
    return list(Delivery.objects.filter(recipient=user, channel=IN_APP, status="sent").select_related("notice"))


def test_the_notice_goes_five_days_ahead_never_earlier(w, django_capture_on_commit_callbacks):
    meeting = schedule(w, T0 + datetime.timedelta(days=7))
    notice = Notice.objects.get()
    assert (notice.kind, notice.status, notice.short_notice) == (notices.MEETING_NOTICE, "pending", False)
    assert notice.due_at == meeting.starts_at - LEAD == meeting.notice_at
    w.clock.move_to(notice.due_at - datetime.timedelta(seconds=1), tick=False)
    tick(django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists()
    w.clock.move_to(notice.due_at + datetime.timedelta(seconds=30), tick=False)
    tick(django_capture_on_commit_callbacks)
    in_app = Delivery.objects.filter(channel=IN_APP, status="sent")
    assert set(in_app.values_list("recipient_id", flat=True)) == everyone(w)
    assert w.outsider.pk not in set(Delivery.objects.values_list("recipient_id", flat=True))
    # Council members here have no phone; the residents do, and opted in to e-mail.
    assert set(Delivery.objects.filter(channel=SMS).values_list("recipient_id", flat=True)) == {
        u.pk for u in w.residents
    }
    assert Delivery.objects.filter(channel=EMAIL, status="sent").count() == 2
    # Again, and again: nothing more.
    tick(django_capture_on_commit_callbacks)
    assert Delivery.objects.count() == 5 + 2 + 2


def test_its_content_has_date_place_agenda_seats_and_how_to_register(w, django_capture_on_commit_callbacks, settings):
    topic = services.topic_raise(
        actor=w.residents[0], community=w.community, title="更换楼道灯", body=BODY, category="public_space"
    )
    services.topic_advance(actor=w.staff, topic=topic, to=Step.REVIEW)
    meeting = schedule(w, T0 + datetime.timedelta(days=2), observer_seats=10, agenda=[topic])
    services.observer_register(actor=w.residents[1], meeting=meeting)
    tick(django_capture_on_commit_callbacks)
    notice = Notice.objects.get(kind=notices.MEETING_NOTICE)
    assert notice.short_notice
    text = notice.content["en"]
    local = timezone.localtime(meeting.starts_at)
    assert text["title"].startswith("Short notice: council meeting on ")
    assert local.strftime("%H:%M") in text["body"]
    assert "社区议事厅" in text["body"]
    assert f"1. 更换楼道灯 {settings.SITE_URL}/topics/{topic.pk}/" in text["body"]
    assert "9 of 10 seats left" in text["body"]
    assert f"{settings.SITE_URL}/meetings/{meeting.pk}/" in text["body"]
    assert text["url"] == f"{settings.SITE_URL}/meetings/{meeting.pk}/"
    assert len(text["sms"]) <= 70 and text["sms"].endswith(text["url"])
    assert set(notice.content) == {"zh-hans", "en"}
    assert len(notice.content["zh-hans"]["sms"]) <= 70


def test_a_meeting_inside_the_lead_time_is_noticed_at_once_and_flagged(w, django_capture_on_commit_callbacks):
    schedule(w, T0 + datetime.timedelta(days=3))
    notice = Notice.objects.get()
    assert notice.short_notice and notice.due_at == T0
    tick(django_capture_on_commit_callbacks)
    assert len(inbox(w.residents[0])) == 1


def test_an_exception_in_the_scheduling_transaction_leaves_nothing_due(w, django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), transaction.atomic():
        schedule(w, T0 + datetime.timedelta(days=1))
        raise RuntimeError("the agenda could not be saved")
    assert not Meeting.objects.exists() and not Notice.objects.exists()
    tick(django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists()


def test_moved_before_its_notice_nothing_goes_for_the_old_date(w, django_capture_on_commit_callbacks):
    meeting = schedule(w, T0 + datetime.timedelta(days=7))
    old = Notice.objects.get()
    services.meeting_move(actor=w.staff, meeting=meeting, starts_at=T0 + datetime.timedelta(days=14))
    old.refresh_from_db()
    new = Notice.objects.exclude(pk=old.pk).get()
    assert old.status == "superseded" and old.superseded_by == new
    assert new.status == "pending" and new.due_at == T0 + datetime.timedelta(days=9)
    w.clock.move_to(old.due_at + datetime.timedelta(minutes=1), tick=False)
    tick(django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists()
    w.clock.move_to(new.due_at + datetime.timedelta(minutes=1), tick=False)
    tick(django_capture_on_commit_callbacks)
    assert [d.notice_id for d in inbox(w.residents[0])] == [new.pk]


def test_moved_after_its_notice_a_change_notice_goes_at_once(w, django_capture_on_commit_callbacks):
    meeting = schedule(w, T0 + datetime.timedelta(days=6))
    w.clock.move_to(T0 + datetime.timedelta(days=1, minutes=1), tick=False)
    # The notice is expanded, and the in-app channel has accepted its deliveries, but the
    # SMS and e-mail sends are still waiting when staff move the meeting.
    notice_services.notices_dispatch()
    in_app = list(Delivery.objects.filter(channel=IN_APP).values_list("pk", flat=True))
    notice_services.deliveries_send(channel=IN_APP, ids=in_app)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_move(actor=w.staff, meeting=meeting, starts_at=T0 + datetime.timedelta(days=8))
    first = Notice.objects.get(kind=notices.MEETING_NOTICE)
    assert not Delivery.objects.filter(notice=first, status="queued").exists()
    assert Delivery.objects.filter(notice=first, channel=SMS, status="superseded").count() == 2
    change = Notice.objects.get(kind=notices.MEETING_CHANGED)
    assert change.status == "dispatched"
    got = [d.notice.kind for d in inbox(w.residents[0])]
    assert sorted(got) == sorted([notices.MEETING_NOTICE, notices.MEETING_CHANGED])
    body = change.content["en"]["body"]
    assert "has changed" in body and "It was set for" in body
    # The SMS and e-mail that carried the old date never went; the change did.
    assert (
        Delivery.objects.filter(channel=SMS, status="sent").values_list("notice_id", flat=True).distinct().get()
        == change.pk
    )


def test_cancelled_before_its_notice_nothing_ever_goes(w, django_capture_on_commit_callbacks):
    meeting = schedule(w, T0 + datetime.timedelta(days=7))
    services.meeting_cancel(actor=w.staff, meeting=meeting, reason="场地维修")
    assert Notice.objects.get().status == "superseded"
    w.clock.move_to(T0 + datetime.timedelta(days=7), tick=False)
    tick(django_capture_on_commit_callbacks)
    assert not Delivery.objects.exists()


def test_cancelled_after_its_notice_a_cancellation_goes_at_once(w, django_capture_on_commit_callbacks):
    meeting = schedule(w, T0 + datetime.timedelta(days=6))
    w.clock.move_to(T0 + datetime.timedelta(days=1, minutes=1), tick=False)
    tick(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(actor=w.staff, meeting=meeting, reason="场地维修")
    cancelled = Notice.objects.get(kind=notices.MEETING_CANCELLED)
    assert cancelled.status == "dispatched"
    assert "is cancelled" in cancelled.content["en"]["body"] and "场地维修" in cancelled.content["en"]["body"]
    assert len(inbox(w.council[0])) == 2


def test_a_meeting_changed_behind_the_services_back_is_not_noticed_for_the_old_date(
    w, django_capture_on_commit_callbacks
):
    meeting = schedule(w, T0 + datetime.timedelta(days=7))
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=meeting.starts_at + datetime.timedelta(hours=2))
    w.clock.move_to(T0 + datetime.timedelta(days=2, minutes=1), tick=False)
    tick(django_capture_on_commit_callbacks)
    assert Notice.objects.get().status == "superseded"
    assert not Delivery.objects.exists()


def test_the_api_names_the_meeting(w, api_client, django_capture_on_commit_callbacks):
    meeting = schedule(w, T0 + datetime.timedelta(days=1))
    tick(django_capture_on_commit_callbacks)
    api_client.force_authenticate(w.residents[0])
    item = api_client.get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]
    assert item["meeting"] == meeting.pk
    assert item["kind"] == notices.MEETING_NOTICE
    assert item["title"].startswith("Short notice: council meeting on")
    assert "社区议事厅" in item["body"]


def test_step_changes_reach_the_author_and_followers_not_the_actor(w, django_capture_on_commit_callbacks):
    author, commenter = w.residents
    quiet = factories.resident(w.community, actor=w.admin)
    topic = services.topic_raise(
        actor=author, community=w.community, title="更换楼道灯", body=BODY, category="public_space"
    )
    services.comment_post(actor=commenter, topic=topic, body="同意，尽快更换。")
    services.comment_post(actor=quiet, topic=topic, body="我也同意。")
    notice_services.unfollow(user=quiet, subject=topic)
    services.comment_post(actor=quiet, topic=topic, body="再补充一句。")  # stays unfollowed
    services.topic_advance(actor=w.staff, topic=topic, to=Step.REVIEW)
    tick(django_capture_on_commit_callbacks)
    notice = Notice.objects.get(kind=notices.STEP_CHANGED)
    recipients = set(notice.deliveries.filter(channel=IN_APP).values_list("recipient_id", flat=True))
    assert recipients == {author.pk, commenter.pk}
    assert "moved from" in notice.content["en"]["body"]
    # In-app and e-mail only: step changes do not cost an SMS.
    assert not notice.deliveries.filter(channel=SMS).exists()


def test_an_answered_objection_reaches_its_author(w, django_capture_on_commit_callbacks):
    from deliberation.models import Objection

    objector = w.residents[0]
    topic = services.topic_raise(
        actor=objector, community=w.community, title="更换楼道灯", body=BODY, category="public_space"
    )
    Objection.objects.create(topic=topic, author=objector, body="费用太高")
    objection = Objection.objects.get()
    # A resolution under publicity is what objections answer; the answer service checks only
    # that the record is open.
    services.objection_answer(actor=w.staff, objection=objection, answer="费用由维修基金承担")
    tick(django_capture_on_commit_callbacks)
    notice = Notice.objects.get(kind=notices.OBJECTION_ANSWERED)
    assert set(notice.deliveries.values_list("recipient_id", flat=True)) == {objector.pk}
    assert "费用由维修基金承担" in notice.content["en"]["body"]


def test_overdue_topics_reach_staff_once_a_day(w, django_capture_on_commit_callbacks):
    topic = services.topic_raise(
        actor=w.residents[0], community=w.community, title="更换楼道灯", body=BODY, category="public_space"
    )
    topic.refresh_from_db()
    morning = timezone.localtime(topic.step_due_at).replace(hour=9, minute=0) + datetime.timedelta(days=1)
    w.clock.move_to(morning, tick=False)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.plan_daily.apply()
        tick(django_capture_on_commit_callbacks)
    digest = Notice.objects.get(kind=notices.OVERDUE_DIGEST)
    assert set(digest.deliveries.filter(channel=IN_APP).values_list("recipient_id", flat=True)) == {w.staff.pk}
    assert "更换楼道灯" in digest.content["en"]["body"]
