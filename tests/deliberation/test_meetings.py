"""Meetings, the monthly deliberation day, the agenda and the public gallery."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from core.errors import Conflict
from deliberation import selectors, services, signals, tasks
from deliberation.models import CouncilRules, Meeting, ObserverRegistration, TrailEntry, TrailKind
from deliberation.workflow import Step

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("rule", "year", "month", "expected"),
    [
        ({}, 2026, 3, at(2026, 3, 19, 19, 0)),  # third Thursday, 19:00 by default
        ({}, 2026, 10, at(2026, 10, 15, 19, 0)),
        (
            {"day_week": CouncilRules.Week.LAST, "day_weekday": CouncilRules.Weekday.FRIDAY},
            2026,
            7,
            at(2026, 7, 31, 19, 0),
        ),
        (
            {"day_week": CouncilRules.Week.FIRST, "day_weekday": CouncilRules.Weekday.MONDAY},
            2026,
            6,
            at(2026, 6, 1, 19, 0),
        ),
        (
            {"day_rule": CouncilRules.DayRule.DAY_OF_MONTH, "day_of_month": 25, "time_of_day": datetime.time(9, 30)},
            2026,
            2,
            at(2026, 2, 25, 9, 30),
        ),
    ],
)
def test_the_deliberation_day_follows_the_rule(rule, year, month, expected):
    assert CouncilRules(**rule).deliberation_day(year, month) == expected


def test_notice_goes_out_notice_lead_days_before(flow):
    meeting = flow.meeting(days=10)
    assert meeting.notice_at == meeting.starts_at - datetime.timedelta(days=5)
    with override_settings(NOTICE_LEAD_DAYS=3):
        assert meeting.notice_at == meeting.starts_at - datetime.timedelta(days=3)


def test_the_task_keeps_two_months_of_deliberation_days_and_is_idempotent(world, time_machine):
    time_machine.move_to(at(2026, 3, 20, 8, 0), tick=False)  # the day after March's third Thursday
    created = tasks.ensure_deliberation_days()
    days = Meeting.objects.filter(community=world.community, is_deliberation_day=True).order_by("starts_at")
    assert [m.starts_at for m in days.all()] == [at(2026, 4, 16, 19, 0), at(2026, 5, 21, 19, 0)]
    assert created == 2 * Meeting.objects.values("community").distinct().count()
    assert tasks.ensure_deliberation_days() == 0
    assert days.count() == 2
    # A cancelled deliberation day keeps its month: it is not created again.
    services.meeting_cancel(actor=world.staff, meeting=days[0], reason="节假日")
    assert tasks.ensure_deliberation_days() == 0
    time_machine.move_to(at(2026, 4, 1, 8, 0), tick=False)
    tasks.ensure_deliberation_days()
    assert [m.starts_at for m in days.all()] == [at(2026, 4, 16, 19, 0), at(2026, 5, 21, 19, 0), at(2026, 6, 18, 19, 0)]
    assert days.filter(status=Meeting.Status.CANCELLED).count() == 1


def test_a_changed_rule_re_times_coming_days_not_yet_noticed(world, time_machine, django_capture_on_commit_callbacks):
    time_machine.move_to(at(2026, 3, 20, 8, 0), tick=False)
    tasks.ensure_deliberation_days(community_ids=[world.community.pk])
    april, may = Meeting.objects.filter(community=world.community).order_by("starts_at")
    services.meeting_move(actor=world.staff, meeting=may, location="新议事厅")  # not a move in time
    moved = []
    signals.meeting_moved.connect(lambda sender, **kw: moved.append(kw["meeting_id"]), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.council_rules_update(
                actor=world.staff, community=world.community, day_weekday=CouncilRules.Weekday.TUESDAY
            )
    finally:
        signals.meeting_moved.disconnect(dispatch_uid="t")
    april.refresh_from_db()
    may.refresh_from_db()
    assert april.starts_at == at(2026, 4, 21, 19, 0)
    assert may.starts_at == at(2026, 5, 19, 19, 0)
    assert april.pk in moved


def test_staff_schedule_meetings_in_the_future_only(flow, world):
    with pytest.raises(ValidationError):
        services.meeting_schedule(
            actor=world.staff, community=world.community, starts_at=flow.now - datetime.timedelta(hours=1)
        )
    with pytest.raises(PermissionDenied):
        services.meeting_schedule(
            actor=world.other_staff, community=world.community, starts_at=flow.now + datetime.timedelta(days=3)
        )
    meeting = services.meeting_schedule(
        actor=world.staff, community=world.community, starts_at=flow.now + datetime.timedelta(days=3)
    )
    assert meeting.observer_seats == 20
    assert meeting.location == world.community.address


def test_scheduling_announces_the_meeting_only_after_commit(flow, world, django_capture_on_commit_callbacks):
    heard = []
    signals.meeting_scheduled.connect(lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            meeting = flow.meeting()
        assert heard == []
        for callback in callbacks:
            callback()
    finally:
        signals.meeting_scheduled.disconnect(dispatch_uid="t")
    assert heard == [{"signal": signals.meeting_scheduled, "meeting_id": meeting.pk, "actor_id": world.staff.pk}]


def test_agenda_takes_topics_under_review_of_the_same_community(flow, world):
    meeting = flow.meeting()
    collecting = flow.raise_topic()
    with pytest.raises(Conflict):
        services.agenda_add(actor=world.staff, meeting=meeting, topic=collecting)
    reviewed = flow.at(Step.REVIEW)
    first = services.agenda_add(actor=world.staff, meeting=meeting, topic=reviewed)
    with pytest.raises(Conflict):
        services.agenda_add(actor=world.staff, meeting=meeting, topic=reviewed)
    with pytest.raises(Conflict):
        services.agenda_add(actor=world.staff, meeting=flow.meeting(days=30), topic=reviewed)
    second = services.agenda_add(actor=world.staff, meeting=meeting, topic=flow.at(Step.REVIEW))
    assert (first.position, second.position) == (1, 2)
    other_meeting = services.meeting_schedule(
        actor=world.other_staff, community=world.other_community, starts_at=flow.now + datetime.timedelta(days=3)
    )
    with pytest.raises(PermissionDenied):
        services.agenda_add(actor=world.staff, meeting=other_meeting, topic=flow.at(Step.REVIEW))


def test_moving_and_cancelling_are_recorded_on_the_agenda_topics(flow, world):
    meeting = flow.meeting()
    topic = flow.at(Step.REVIEW)
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    services.meeting_move(actor=world.staff, meeting=meeting, starts_at=flow.now + datetime.timedelta(days=9))
    services.meeting_cancel(actor=world.staff, meeting=meeting, reason="停电")
    with pytest.raises(ValidationError):
        services.meeting_cancel(actor=world.staff, meeting=flow.meeting(), reason="")
    kinds = list(TrailEntry.objects.filter(topic=topic).values_list("kind", flat=True))
    assert kinds[-2:] == [TrailKind.MEETING_MOVED, TrailKind.MEETING_CANCELLED]
    with pytest.raises(Conflict):
        services.meeting_move(actor=world.staff, meeting=meeting, location="别处")


def test_minutes_after_the_meeting_starts(flow, world):
    meeting = flow.meeting(days=1)
    with pytest.raises(Conflict):
        services.meeting_minutes_record(actor=world.staff, meeting=meeting, minutes="纪要")
    flow.travel(days=1, hours=2)
    meeting = services.meeting_minutes_record(actor=world.staff, meeting=meeting, minutes="纪要")
    assert meeting.status == Meeting.Status.HELD


class TestGallery:
    def test_residents_register_and_cancel(self, flow, world):
        meeting = flow.meeting(observer_seats=1)
        registration, created = services.observer_register(actor=world.resident, meeting=meeting)
        assert created
        assert services.observer_register(actor=world.resident, meeting=meeting) == (registration, False)
        assert selectors.meeting_get(meeting.pk).seats_left == 0
        with pytest.raises(Conflict) as info:
            services.observer_register(actor=world.author, meeting=meeting)
        assert "1" in info.value.message
        services.observer_cancel(actor=world.resident, meeting=meeting)
        assert selectors.meeting_get(meeting.pk).seats_left == 1
        services.observer_register(actor=world.author, meeting=meeting)
        with pytest.raises(Conflict):
            services.observer_register(actor=world.resident, meeting=meeting)
        with pytest.raises(Conflict):
            services.observer_cancel(actor=world.resident, meeting=meeting)

    def test_only_residents_of_the_community(self, flow, world):
        meeting = flow.meeting()
        for someone in (world.outsider, world.other_staff, world.anonymous):
            with pytest.raises(PermissionDenied):
                services.observer_register(actor=someone, meeting=meeting)

    def test_registration_closes_when_the_meeting_starts(self, flow, world):
        meeting = flow.meeting(days=1)
        flow.travel(days=1)
        with pytest.raises(Conflict):
            services.observer_register(actor=world.resident, meeting=meeting)

    def test_seats_cannot_drop_below_registrations(self, flow, world):
        meeting = flow.meeting(observer_seats=2)
        services.observer_register(actor=world.resident, meeting=meeting)
        services.observer_register(actor=world.author, meeting=meeting)
        with pytest.raises(Conflict):
            services.meeting_move(actor=world.staff, meeting=meeting, observer_seats=1)
        services.meeting_move(actor=world.staff, meeting=meeting, observer_seats=5)

    def test_staff_check_observers_in_on_the_day(self, flow, world):
        meeting = flow.meeting(days=1)
        registration, _ = services.observer_register(actor=world.resident, meeting=meeting)
        with pytest.raises(Conflict):
            services.observer_check_in(actor=world.staff, registration=registration)
        flow.travel(hours=23)
        with pytest.raises(PermissionDenied):
            services.observer_check_in(actor=world.other_staff, registration=registration)
        checked = services.observer_check_in(actor=world.staff, registration=registration)
        assert checked.checked_in_at == flow.now and checked.checked_in_by == world.staff
        assert ObserverRegistration.objects.get().checked_in_at == flow.now


def test_ids_as_text_are_accepted_and_unknown_topics_refused(flow, world):
    topic = flow.at(Step.REVIEW)
    meeting = services.meeting_schedule(
        actor=world.staff,
        community=world.community,
        starts_at=flow.now + datetime.timedelta(days=3),
        agenda=[str(topic.pk)],
    )
    assert [i.topic_id for i in selectors.meeting_agenda(meeting)] == [topic.pk]
    flow.travel(days=3)
    rows = services.attendance_record(actor=world.staff, meeting=meeting, entries={str(world.council[0].pk): "present"})
    assert rows == {world.council[0].pk: "present"}
    for agenda in (["999999"], ["abc"], [None]):
        with pytest.raises(ValidationError):
            services.meeting_schedule(
                actor=world.staff,
                community=world.community,
                starts_at=flow.now + datetime.timedelta(days=1),
                agenda=agenda,
            )
    assert Meeting.objects.filter(community=world.community).count() == 1
