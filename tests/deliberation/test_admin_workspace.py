"""The admin as the clerk's workspace (issue 12): every refusal of a deliberation service that
an admin form can reach comes back as the same form, HTTP 200, the reason on its field or on
its inline row and what was typed kept; tasks past collect; meetings as a clerk runs them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communities import services as community_services
from communities.models import BodyKind, Post
from deliberation import notices, services
from deliberation.admin import trail_details
from deliberation.models import AgendaItem, Attendance, Meeting, ProgressReport, Task, TrailEntry, Vote
from deliberation.workflow import Step
from notifications import services as notice_services
from notifications.models import Notice
from tests import factories
from tests.deliberation.test_admin import form_data

pytestmark = pytest.mark.django_db


def meeting_url(meeting):
    return reverse("admin:deliberation_meeting_change", args=[meeting.pk])


def topic_url(topic):
    return reverse("admin:deliberation_topic_change", args=[topic.pk])


def local(moment):
    moment = timezone.localtime(moment)
    return {"starts_at_0": moment.strftime("%Y-%m-%d"), "starts_at_1": moment.strftime("%H:%M:%S")}


def refused(response):
    """The reasons on the re-rendered page: {"form": {...}, prefix: {...}} of every invalid form."""
    assert response.status_code == 200, response.status_code
    found = {}
    form = response.context["adminform"].form
    if form.errors:
        found["form"] = {k: [str(m) for m in v] for k, v in form.errors.items()}
    for inline in response.context["inline_admin_formsets"]:
        for row in inline.formset.forms:
            if row.errors:
                found[row.prefix] = {k: [str(m) for m in v] for k, v in row.errors.items()}
    return found


def other_supervisor(world):
    committee = community_services.body_create(
        actor=world.superuser,
        community=world.other_community,
        kind=BodyKind.SUPERVISORY_COMMITTEE,
        name="别的监督委员会",
    )
    person = factories.resident(world.other_community, actor=world.superuser)
    community_services.membership_add(actor=world.superuser, body=committee, user=person, post=Post.MEMBER)
    return person


# The refusals of the services that reach an admin form, one row each: what is posted, where
# the reason must show, and a word of it.
def _meeting_add_past(flow, world, client):
    data = {"community": world.community.pk, "location": "议事厅", "observer_seats": 10}
    return reverse("admin:deliberation_meeting_add"), {**data, **local(flow.now - datetime.timedelta(days=1))}


def _meeting_add_late_future(flow, world, client):
    data = {"community": world.community.pk, "location": "议事厅", "observer_seats": 10, "recorded_late": "on"}
    return reverse("admin:deliberation_meeting_add"), {**data, **local(flow.now + datetime.timedelta(days=1))}


def _meeting_moved_to_the_past(flow, world, client):
    meeting = flow.meeting()
    data = form_data(client.get(meeting_url(meeting)))
    data.update(local(flow.now - datetime.timedelta(hours=1)))
    return meeting_url(meeting), data


def _vote_on_a_large_council(flow, world, client, votes_for=15):
    # A council of twelve, all present: fifteen votes for cannot be.
    for _ in range(9):
        world.council.append(factories.council_member(world.community, actor=world.superuser))
    topic = flow.at(Step.RESOLVE)
    meeting = topic.agenda_item().meeting
    flow.now = meeting.starts_at + datetime.timedelta(minutes=5)
    flow.traveller.move_to(flow.now, tick=False)
    data = form_data(client.get(meeting_url(meeting)))
    data.update(
        {
            "all_present": "on",
            "agenda_items-0-votes_for": votes_for,
            "agenda_items-0-votes_against": 0,
            "agenda_items-0-abstentions": 0,
            "agenda_items-0-resolution": "同意",
        }
    )
    return meeting_url(meeting), data


def _vote_without_quorum(flow, world, client):
    topic = flow.at(Step.RESOLVE)
    meeting = topic.agenda_item().meeting
    flow.now = meeting.starts_at + datetime.timedelta(minutes=5)
    flow.traveller.move_to(flow.now, tick=False)
    data = form_data(client.get(meeting_url(meeting)))
    data.update({"attendance-0-status": "present", "agenda_items-0-votes_for": 1, "agenda_items-0-resolution": "同意"})
    for index in range(1, int(data["attendance-TOTAL_FORMS"])):
        data[f"attendance-{index}-status"] = "absent"
    data.update({"agenda_items-0-votes_against": 0, "agenda_items-0-abstentions": 0})
    return meeting_url(meeting), data


def _vote_before_the_meeting(flow, world, client):
    topic = flow.at(Step.RESOLVE)
    meeting = topic.agenda_item().meeting
    data = form_data(client.get(meeting_url(meeting)))
    data.update({"agenda_items-0-votes_for": 3, "agenda_items-0-votes_against": 0, "agenda_items-0-abstentions": 0})
    data["agenda_items-0-resolution"] = "同意"
    return meeting_url(meeting), data


def _resolution_without_a_tally(flow, world, client):
    url, data = _vote_on_a_large_council(flow, world, client)
    for name in ("votes_for", "votes_against", "abstentions"):
        data.pop(f"agenda_items-0-{name}")
    return url, data


def _agenda_topic_on_another_agenda(flow, world, client):
    meeting = flow.meeting()
    topic = flow.at(Step.REVIEW)
    services.agenda_add(actor=world.staff, meeting=flow.meeting(days=9), topic=topic)
    data = form_data(client.get(meeting_url(meeting)))
    data.update({"agenda_items-TOTAL_FORMS": 1, "agenda_items-0-topic": topic.pk, "agenda_items-0-position": 1})
    return meeting_url(meeting), data


def _task_supervisor_of_another_community(flow, world, client):
    client.force_login(world.superuser)
    topic = flow.at(Step.PUBLICIZE)
    return reverse("admin:deliberation_task_add"), {
        "topic": topic.pk,
        "title": "更换楼道灯",
        "owner_user": world.staff.pk,
        "supervisor": other_supervisor(world).pk,
        "due_date": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
    }


def _task_due_in_the_past(flow, world, client):
    url, data = _task_supervisor_of_another_community(flow, world, client)
    data.update(
        supervisor=world.supervisor.pk, due_date=(timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    )
    return url, data


def _task_with_two_owners(flow, world, client):
    url, data = _task_supervisor_of_another_community(flow, world, client)
    data.update(supervisor=world.supervisor.pk, owner_body=world.supervisory.pk)
    return url, data


def _task_inline_due_in_the_past(flow, world, client):
    topic = flow.at(Step.PUBLICIZE)
    data = form_data(client.get(topic_url(topic)))
    data.update(
        {
            "tasks-TOTAL_FORMS": 1,
            "tasks-0-title": "更换楼道灯",
            "tasks-0-owner_user": world.staff.pk,
            "tasks-0-supervisor": world.supervisor.pk,
            "tasks-0-due_date": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        }
    )
    return topic_url(topic), data


def _progress_over_100_on_the_topic(flow, world, client):
    topic = flow.at(Step.IMPLEMENT)
    flow.task(topic)
    client.force_login(world.staff)  # the clock moved past the session's age
    data = form_data(client.get(topic_url(topic)))
    data.update({"tasks-0-progress_percent": 150, "tasks-0-progress_note": "过半"})
    return topic_url(topic), data


def _progress_without_a_note(flow, world, client):
    topic = flow.at(Step.IMPLEMENT)
    flow.task(topic)
    client.force_login(world.staff)  # the clock moved past the session's age
    data = form_data(client.get(topic_url(topic)))
    data.update({"tasks-0-progress_percent": 40})
    return topic_url(topic), data


REFUSALS = [
    ("meeting in the past", _meeting_add_past, "form", "starts_at", "in the future"),
    ("recorded late but still to come", _meeting_add_late_future, "form", "starts_at", "taken place already"),
    ("meeting moved to the past", _meeting_moved_to_the_past, "form", "starts_at", "in the future"),
    ("15 for on a council of 12", _vote_on_a_large_council, "agenda_items-0", "votes_for", "from 0 to 12"),
    ("vote without quorum", _vote_without_quorum, "agenda_items-0", "__all__", "no quorum"),
    ("vote before the meeting", _vote_before_the_meeting, "agenda_items-0", "__all__", "starts at"),
    ("resolution without a tally", _resolution_without_a_tally, "agenda_items-0", "votes_for", "whole number"),
    ("topic on another agenda", _agenda_topic_on_another_agenda, "agenda_items-0", "__all__", "already on the agenda"),
    ("supervisor off the committee", _task_supervisor_of_another_community, "form", "supervisor", "supervisory"),
    ("task due in the past", _task_due_in_the_past, "form", "due_date", "cannot be in the past"),
    ("task with two owners", _task_with_two_owners, "form", "owner_body", "one owner"),
    ("inline task due in the past", _task_inline_due_in_the_past, "tasks-0", "due_date", "cannot be in the past"),
    ("progress over 100 %", _progress_over_100_on_the_topic, "tasks-0", "progress_percent", "from 0 to 100"),
    ("progress without a note", _progress_without_a_note, "tasks-0", "progress_note", "cannot be empty"),
]


@pytest.mark.parametrize(("case", "build", "where", "field", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_service_refusal_shows_on_its_field_and_keeps_what_was_typed(
    client, flow, world, case, build, where, field, words
):
    client.force_login(world.staff)
    url, data = build(flow, world, client)
    before = (Meeting.objects.count(), Vote.objects.count(), Task.objects.count(), ProgressReport.objects.count())
    trail_before = TrailEntry.objects.count()
    response = client.post(url, data)
    errors = refused(response)
    assert where in errors, errors
    assert any(words in message for message in errors[where].get(field, [])), errors
    # Nothing of the refused save stays, and the page does not say "saved".
    assert (
        Meeting.objects.count(),
        Vote.objects.count(),
        Task.objects.count(),
        ProgressReport.objects.count(),
    ) == before
    assert TrailEntry.objects.count() == trail_before
    assert not [m for m in response.context["messages"] if m.level_tag == "success"]
    # What was typed is on the page again.
    page = response.content.decode()
    typed = [v for k, v in data.items() if k.endswith(("resolution", "title", "progress_note")) and v]
    assert all(str(value) in page for value in typed)


def test_a_task_is_planned_on_the_topic_page_past_collect(client, flow, world):
    client.force_login(world.staff)
    topic = flow.at(Step.PUBLICIZE)
    data = form_data(client.get(topic_url(topic)))
    due = timezone.localdate() + datetime.timedelta(days=30)
    data.update(
        {
            "tasks-TOTAL_FORMS": 1,
            "tasks-0-title": "更换楼道灯",
            "tasks-0-owner_body": world.supervisory.pk,
            "tasks-0-supervisor": world.supervisor.pk,
            "tasks-0-due_date": due.isoformat(),
        }
    )
    response = client.post(topic_url(topic), data)
    assert response.status_code == 302, refused(response)
    task = Task.objects.get(topic=topic)
    assert (task.supervisor, task.owner_body, task.due_date) == (world.supervisor, world.supervisory, due)
    # In implement, progress is reported from the same row, to done.
    flow.implement(topic)
    client.force_login(world.staff)  # the clock moved past the session's age
    data = form_data(client.get(topic_url(topic)))
    data.update({"tasks-0-progress_percent": 100, "tasks-0-progress_note": "已全部更换"})
    assert client.post(topic_url(topic), data).status_code == 302
    task.refresh_from_db()
    assert task.percent == 100 and task.is_done


def test_the_supervisor_autocomplete_finds_committee_members_by_name_and_phone(client, flow, world):
    client.force_login(world.staff)
    url = reverse("admin:deliberation_task_supervisors")
    other = other_supervisor(world)

    def found(**params):
        answer = client.get(url, params).json()
        return {int(r["id"]) for r in answer["results"]}

    assert found() == {world.supervisor.pk}
    assert found(term=world.supervisor.display_name[:2]) == {world.supervisor.pk}
    assert found(term=world.supervisor.phone[-6:]) == {world.supervisor.pk}
    assert found(term=world.resident.phone) == set()
    assert found(community=world.community.pk) == {world.supervisor.pk}
    assert other.pk not in found(term=other.phone)
    # The task's own page asks this view, and its choices are the committee's members only.
    page = client.get(reverse("admin:deliberation_task_add"))
    assert url in page.content.decode()
    assert list(page.context["adminform"].form.fields["supervisor"].queryset) == [world.supervisor]
    client.force_login(world.resident)
    assert client.get(url).status_code in (302, 403)


def test_attendance_all_present_and_the_vote_in_one_save(client, flow, world):
    client.force_login(world.staff)
    topic = flow.at(Step.RESOLVE)
    meeting = topic.agenda_item().meeting
    # Before the meeting starts there is no attendance to record.
    page = client.get(meeting_url(meeting))
    assert "attendance-TOTAL_FORMS" not in page.content.decode()
    assert 'name="all_present"' not in page.content.decode()
    with pytest.raises(Exception, match="once the meeting has started"):
        services.attendance_record(actor=world.staff, meeting=meeting, entries={world.council[0]: "present"})
    flow.now = meeting.starts_at + datetime.timedelta(minutes=10)
    flow.traveller.move_to(flow.now, tick=False)
    page = client.get(meeting_url(meeting))
    html = page.content.decode()
    # Rows not yet recorded carry no time (never the page's load time).
    assert html.count("not recorded yet") == 3 + 1  # and the empty row a new one is made from
    assert (
        timezone.localtime(flow.now).strftime("%H:%M")
        not in html.split('id="attendance-group"')[1].split("</fieldset>")[0]
    )
    data = form_data(page)
    data.update(
        {
            "all_present": "on",
            "attendance-2-status": "excused",
            "agenda_items-0-votes_for": 2,
            "agenda_items-0-votes_against": 0,
            "agenda_items-0-abstentions": 0,
            "agenda_items-0-resolution": "同意更换",
        }
    )
    response = client.post(meeting_url(meeting), data)
    assert response.status_code == 302, refused(response)
    statuses = sorted(Attendance.objects.filter(meeting=meeting).values_list("status", flat=True))
    assert statuses == ["excused", "present", "present"]
    vote = Vote.objects.get()
    assert vote.present == 2 and vote.passed
    # Afterwards the page shows the attendance as recorded, fixed now that the council voted.
    html = client.get(meeting_url(meeting)).content.decode()
    assert "not recorded yet" not in html and 'name="attendance-0-status"' not in html
    assert html.count('class="field-status"') >= 3


def test_a_meeting_held_offline_is_recorded_afterwards_without_a_notice(client, flow, world):
    client.force_login(world.staff)
    topic = flow.at(Step.REVIEW)
    # The council sat (its members' terms began) before the meeting took place.
    flow.travel(days=3)
    client.force_login(world.staff)
    held = flow.now - datetime.timedelta(days=1)
    response = client.post(
        reverse("admin:deliberation_meeting_add"),
        {
            "community": world.community.pk,
            "location": "议事厅",
            "observer_seats": 0,
            "recorded_late": "on",
            **local(held),
        },
    )
    assert response.status_code == 302, refused(response)
    meeting = Meeting.objects.get()
    assert meeting.recorded_late and meeting.starts_at == held
    assert not Notice.objects.filter(kind__startswith="deliberation.meeting").exists()
    data = form_data(client.get(meeting_url(meeting)))
    data.update({"agenda_items-TOTAL_FORMS": 1, "agenda_items-0-topic": topic.pk, "agenda_items-0-position": 1})
    response = client.post(meeting_url(meeting), data)
    assert response.status_code == 302, refused(response)
    services.topic_advance(actor=world.staff, topic=topic, to=Step.RESOLVE)
    data = form_data(client.get(meeting_url(meeting)))
    data.update(
        {
            "all_present": "on",
            "agenda_items-0-votes_for": 3,
            "agenda_items-0-votes_against": 0,
            "agenda_items-0-abstentions": 0,
            "agenda_items-0-resolution": "同意",
        }
    )
    response = client.post(meeting_url(meeting), data)
    assert response.status_code == 302, refused(response)
    assert Vote.objects.get().passed
    assert not Notice.objects.filter(kind__startswith="deliberation.meeting").exists()
    listing = client.get(reverse("admin:deliberation_meeting_changelist")).content.decode()
    assert "recorded late" in listing


def test_an_agenda_item_is_moved_or_taken_off_before_its_vote(client, flow, world):
    client.force_login(world.staff)
    topic = flow.at(Step.RESOLVE)
    first = topic.agenda_item().meeting
    second = flow.meeting(days=14)
    data = form_data(client.get(meeting_url(first)))
    data["agenda_items-0-move_to"] = second.pk
    assert client.post(meeting_url(first), data).status_code == 302
    assert list(AgendaItem.objects.values_list("meeting_id", flat=True)) == [second.pk]
    data = form_data(client.get(meeting_url(second)))
    data["agenda_items-0-take_off"] = "on"
    assert client.post(meeting_url(second), data).status_code == 302
    assert not AgendaItem.objects.exists()
    kinds = [
        e.data.get("removed", False) for e in TrailEntry.objects.filter(topic=topic, kind="agenda").order_by("seq")
    ]
    assert kinds == [False, True, False, True]


def test_a_new_meeting_is_prefilled_from_the_council_rules_and_warns_of_short_notice(client, flow, world):
    services.council_rules_update(
        actor=world.staff, community=world.community, location="党群服务中心议事厅", default_observer_seats=15
    )
    client.force_login(world.staff)
    page = client.get(reverse("admin:deliberation_meeting_add"))
    initial = page.context["adminform"].form.initial
    assert (initial["community"], initial["location"], initial["observer_seats"]) == (
        world.community.pk,
        "党群服务中心议事厅",
        15,
    )
    assert "5 days before the meeting" in page.content.decode()
    soon = flow.now + datetime.timedelta(minutes=4)
    response = client.post(
        reverse("admin:deliberation_meeting_add"),
        {"community": world.community.pk, "location": "党群服务中心议事厅", "observer_seats": 15, **local(soon)},
        follow=True,
    )
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings and "Short notice" in warnings[0]
    meeting = Meeting.objects.get()
    assert Notice.objects.get(kind=notices.MEETING_NOTICE).short_notice
    assert "short notice" in client.get(meeting_url(meeting)).content.decode()


def test_a_notice_due_with_an_empty_agenda_says_so_and_topics_added_later_are_noticed(flow, world):
    """CONTRACT: the notice reaches everyone at T - lead days whatever the agenda holds then; a
    deliberation day with no topic yet says so, and every later change of the agenda is noticed."""
    meeting = flow.meeting(days=7)
    first = Notice.objects.get(kind=notices.MEETING_NOTICE)
    topic = flow.at(Step.REVIEW)
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    services.agenda_remove(actor=world.staff, meeting=meeting, topic=topic)
    # Before the notice went, the agenda's changes are carried by the one pending notice.
    assert not Notice.objects.filter(kind=notices.MEETING_CHANGED).exists()
    flow.travel(days=2, minutes=1)
    notice_services.notices_dispatch()
    first.refresh_from_db()
    assert first.status == "dispatched" and first.deliveries.exists()
    assert "No topics are on the agenda yet" in first.content["en"]["body"]
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    change = Notice.objects.get(kind=notices.MEETING_CHANGED)
    notice_services.notices_dispatch()
    change.refresh_from_db()
    assert change.status == "dispatched"
    assert "agenda" in change.content["en"]["body"] and topic.title in change.content["en"]["body"]


def test_overdue_topics_are_marked_as_a_warning_in_the_list(client, flow, world):
    late = flow.raise_topic(title="逾期的议题")
    flow.travel(days=40)
    flow.raise_topic(title="按期的议题")
    client.force_login(world.staff)
    html = client.get(reverse("admin:deliberation_topic_changelist")).content.decode()
    assert html.count('class="deliberation-overdue"') == 1
    assert "icon-yes.svg" not in html and late.title in html


def test_trail_details_name_the_steps_and_hashes_are_shortened_but_whole(client, flow, world):
    topic = flow.at(Step.REVIEW)
    step = topic.trail.get(kind="step")
    assert trail_details(step) == f"{Step.COLLECT.label} → {Step.REVIEW.label}"
    client.force_login(world.staff)
    html = client.get(topic_url(topic)).content.decode()
    assert "collect → review" not in html
    assert f'class="deliberation-hash" title="{step.hash}' in html
    listing = client.get(reverse("admin:deliberation_trailentry_changelist")).content.decode()
    assert f'class="deliberation-hash" title="{step.hash}">{step.hash}</code>' in listing


def test_the_meeting_page_query_count_stays_flat(client, flow, world, django_assert_max_num_queries):
    topic = flow.at(Step.RESOLVE)
    meeting = topic.agenda_item().meeting
    flow.now = meeting.starts_at + datetime.timedelta(minutes=5)
    flow.traveller.move_to(flow.now, tick=False)
    client.force_login(world.staff)
    client.get(meeting_url(meeting))
    with django_assert_max_num_queries(60):
        assert client.get(meeting_url(meeting)).status_code == 200


def test_progress_is_reported_to_done_on_the_tasks_own_page(client, flow, world):
    topic = flow.at(Step.IMPLEMENT)
    task = flow.task(topic)
    client.force_login(world.staff)
    url = reverse("admin:deliberation_task_change", args=[task.pk])
    data = form_data(client.get(url))
    data.update({"reports-TOTAL_FORMS": 1, "reports-0-percent": 100, "reports-0-note": "已全部更换并验收"})
    response = client.post(url, data)
    assert response.status_code == 302, refused(response)
    task.refresh_from_db()
    assert task.is_done and ProgressReport.objects.get(task=task).percent == 100
    # Done: no further report is offered, and the topic can open its evaluation.
    assert 'name="reports-MAX_NUM_FORMS" value="0"' in client.get(url).content.decode()
    services.topic_advance(actor=world.staff, topic=topic, to=Step.EVALUATE)
