"""Reminders and nudges (issue 17 item 2): the meeting reminder the day before, to the council
and the registered observers, once, never for a date that no longer holds; the nudges two days
before a rating window, a publicity period or a survey closes, to those who have not acted."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from deliberation import reminders, services
from deliberation import tasks as deliberation_tasks
from deliberation.models import AgendaItem, Objection, Rating, Topic
from deliberation.workflow import Step
from notifications import tasks
from notifications.models import Delivery, Notice
from notifications.registry import IN_APP
from surveys import nudges
from surveys.models import Participation, Scope, Survey
from tests import factories

pytestmark = pytest.mark.django_db

BODY = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"
T0 = timezone.make_aware(datetime.datetime(2026, 6, 1, 10, 0))
DAY = datetime.timedelta(hours=24)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w(community, other_community, admin_user, time_machine):
    time_machine.move_to(T0, tick=False)
    return SimpleNamespace(
        community=community,
        staff=factories.staff_member(community, actor=admin_user),
        council=[factories.council_member(community, actor=admin_user, phone=None) for _ in range(3)],
        residents=[factories.resident(community, actor=admin_user) for _ in range(3)],
        outsider=factories.resident(other_community, actor=admin_user),
        clock=time_machine,
    )


def at(w, moment):
    w.clock.move_to(moment, tick=False)


def beat(django_capture_on_commit_callbacks):
    """One minute's beat: the scans, then the dispatcher, their tasks run here."""
    with django_capture_on_commit_callbacks(execute=True):
        deliberation_tasks.plan_reminders.apply()
        nudges.plan()
        tasks.dispatch.apply()


def residents(w, *but):
    """Every verified resident of the community (council members live there too) but `but`."""
    return {u.pk for u in (*w.council, *w.residents)} - {u.pk for u in but}


def reached(kind):
    return set(
        Delivery.objects.filter(notice__kind=kind, channel=IN_APP, status="sent").values_list("recipient_id", flat=True)
    )


def meeting(w, starts_at):
    created = services.meeting_schedule(
        actor=w.staff, community=w.community, starts_at=starts_at, location="社区议事厅"
    )
    topic = Topic.objects.create(
        community=w.community, title="议程事项", body=BODY, raised_by=w.staff, step=Step.REVIEW
    )
    AgendaItem.objects.create(meeting=created, topic=topic, added_by=w.staff)
    return created


def test_the_reminder_goes_a_day_before_to_council_and_observers_once(w, django_capture_on_commit_callbacks):
    starts = T0 + datetime.timedelta(days=7)
    held = meeting(w, starts)
    observer = w.residents[0]
    services.observer_register(actor=observer, meeting=held)

    at(w, starts - DAY - datetime.timedelta(minutes=1))
    beat(django_capture_on_commit_callbacks)
    assert not Notice.objects.filter(kind=reminders.MEETING_REMINDER).exists()

    at(w, starts - DAY + datetime.timedelta(seconds=30))
    beat(django_capture_on_commit_callbacks)
    assert reached(reminders.MEETING_REMINDER) == {*(m.pk for m in w.council), observer.pk}
    notice = Notice.objects.get(kind=reminders.MEETING_REMINDER)
    assert "Reminder" in notice.text("en")["title"]
    assert "社区议事厅" in notice.text("en")["body"]

    # Every minute until the meeting, two beats at once, the task run again: nothing more.
    for minutes in (1, 2, 60, 600):
        at(w, starts - DAY + datetime.timedelta(minutes=minutes))
        beat(django_capture_on_commit_callbacks)
        beat(django_capture_on_commit_callbacks)
    assert Notice.objects.filter(kind=reminders.MEETING_REMINDER).count() == 1
    assert Delivery.objects.filter(notice__kind=reminders.MEETING_REMINDER, channel=IN_APP).count() == 4


def test_no_reminder_for_a_moved_date_and_one_for_the_new_date(w, django_capture_on_commit_callbacks):
    starts = T0 + datetime.timedelta(days=7)
    held = meeting(w, starts)
    at(w, starts - DAY + datetime.timedelta(seconds=10))
    # Written, not yet sent (no dispatcher ran), when the meeting moves two days on.
    with django_capture_on_commit_callbacks(execute=False):
        reminders.plan()
    later = starts + datetime.timedelta(days=2)
    services.meeting_move(actor=w.staff, meeting=held, starts_at=later)
    beat(django_capture_on_commit_callbacks)
    assert reached(reminders.MEETING_REMINDER) == set()
    assert Notice.objects.get(kind=reminders.MEETING_REMINDER).status == Notice.Status.SUPERSEDED

    at(w, later - DAY + datetime.timedelta(seconds=10))
    beat(django_capture_on_commit_callbacks)
    assert reached(reminders.MEETING_REMINDER) == {m.pk for m in w.council}
    sent = Notice.objects.get(kind=reminders.MEETING_REMINDER, status=Notice.Status.DISPATCHED)
    assert datetime.datetime.fromisoformat(sent.params["starts_at"]) == later


def test_no_reminder_for_a_cancelled_meeting(w, django_capture_on_commit_callbacks):
    starts = T0 + datetime.timedelta(days=7)
    cancelled = meeting(w, starts)
    services.meeting_cancel(actor=w.staff, meeting=cancelled, reason="场地维修")
    at(w, starts - DAY + datetime.timedelta(seconds=10))
    beat(django_capture_on_commit_callbacks)
    assert not Notice.objects.filter(kind=reminders.MEETING_REMINDER).exists()


def test_cancelled_after_the_reminder_was_written_nothing_more_goes(w, django_capture_on_commit_callbacks):
    starts = T0 + datetime.timedelta(days=7)
    cancelled = meeting(w, starts)
    at(w, starts - DAY + datetime.timedelta(seconds=10))
    with django_capture_on_commit_callbacks(execute=False):
        reminders.plan()
    services.meeting_cancel(actor=w.staff, meeting=cancelled, reason="场地维修")
    beat(django_capture_on_commit_callbacks)
    assert reached(reminders.MEETING_REMINDER) == set()


def test_a_meeting_called_inside_the_day_gets_its_notice_and_no_reminder(w, django_capture_on_commit_callbacks):
    meeting(w, T0 + datetime.timedelta(hours=20))
    beat(django_capture_on_commit_callbacks)
    assert not Notice.objects.filter(kind=reminders.MEETING_REMINDER).exists()


def test_the_reminder_lead_follows_the_setting(w, settings, django_capture_on_commit_callbacks):
    settings.MEETING_REMINDER_HOURS = 3
    starts = T0 + datetime.timedelta(days=2)
    meeting(w, starts)
    at(w, starts - DAY)
    beat(django_capture_on_commit_callbacks)
    assert not Notice.objects.filter(kind=reminders.MEETING_REMINDER).exists()
    at(w, starts - datetime.timedelta(hours=3))
    beat(django_capture_on_commit_callbacks)
    assert reached(reminders.MEETING_REMINDER) == {m.pk for m in w.council}


def _topic_in(w, step, **fields):
    return Topic.objects.create(
        community=w.community, title="楼道灯", body=BODY, raised_by=w.residents[0], step=step, **fields
    )


def test_the_rating_nudge_goes_two_days_before_to_those_who_have_not_rated(w, django_capture_on_commit_callbacks):
    ends = T0 + datetime.timedelta(days=5)
    topic = _topic_in(w, Step.EVALUATE, evaluation_ends_at=ends)
    Rating.objects.create(topic=topic, user=w.residents[1], score=4)
    at(w, ends - datetime.timedelta(hours=49))
    beat(django_capture_on_commit_callbacks)
    assert not Notice.objects.filter(kind=reminders.RATING_NUDGE).exists()
    at(w, ends - datetime.timedelta(hours=48))
    beat(django_capture_on_commit_callbacks)
    beat(django_capture_on_commit_callbacks)
    assert reached(reminders.RATING_NUDGE) == residents(w, w.residents[1])
    assert Notice.objects.filter(kind=reminders.RATING_NUDGE).count() == 1


def test_the_publicity_nudge_spares_those_who_read_it_or_objected(
    w, client, django_capture_on_commit_callbacks, django_user_model
):
    ends = T0 + datetime.timedelta(days=3)
    topic = _topic_in(w, Step.PUBLICIZE, publicity_ends_at=ends, resolution="同意更换。")
    Objection.objects.create(topic=topic, author=w.residents[1], body="费用太高")
    client.force_login(w.residents[2])
    assert client.get(f"/topics/{topic.pk}/").status_code == 200
    at(w, ends - datetime.timedelta(hours=47))
    beat(django_capture_on_commit_callbacks)
    assert reached(reminders.PUBLICITY_NUDGE) == residents(w, w.residents[1], w.residents[2])


def test_the_survey_nudge_goes_to_residents_who_have_not_answered(w, django_capture_on_commit_callbacks):
    closes = T0 + datetime.timedelta(days=4)
    survey = Survey.objects.create(
        title="社区环境满意度",
        scope=Scope.COMMUNITY,
        community=w.community,
        opens_at=T0,
        closes_at=closes,
        created_by=w.staff,
    )
    Participation.objects.create(survey=survey, user=w.residents[0], community=w.community)
    at(w, closes - datetime.timedelta(hours=47))
    beat(django_capture_on_commit_callbacks)
    beat(django_capture_on_commit_callbacks)
    assert reached(nudges.CLOSING_NUDGE) == residents(w, w.residents[0])
    assert w.outsider.pk not in reached(nudges.CLOSING_NUDGE)
    assert Notice.objects.filter(kind=nudges.CLOSING_NUDGE).count() == 1
