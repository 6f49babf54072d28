"""The admin as the staff workspace: scoped lists, the workflow panel and its buttons, inlines
that write through the services, and a trail nobody can edit."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from deliberation.models import AgendaItem, Attendance, Meeting, Topic, TrailEntry, Vote
from deliberation.workflow import Step

pytestmark = pytest.mark.django_db


def change_url(topic):
    return reverse("admin:deliberation_topic_change", args=[topic.pk])


def advance_url(topic):
    return reverse("admin:deliberation_topic_advance", args=[topic.pk])


def form_data(response):
    """The POST a browser would send back from an admin change page, as it stands."""
    data = {}

    def add(form):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if callable(value):
                value = value()
            key = form.add_prefix(name)
            if value is None:
                continue
            if isinstance(value, datetime.datetime):
                local = timezone.localtime(value)
                data[f"{key}_0"], data[f"{key}_1"] = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
            elif hasattr(value, "pk"):
                data[key] = value.pk
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            else:
                data[key] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(name)] = value
        for form in formset.forms:
            add(form)
    return data


def test_staff_see_only_their_communitys_topics(client, flow, world):
    mine = flow.raise_topic(title="本社区议题")
    other = Topic.objects.create(
        community=world.other_community, title="别的社区", body="x" * 40, raised_by=world.outsider
    )
    client.force_login(world.staff)
    response = client.get(reverse("admin:deliberation_topic_changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [mine]
    assert other.title not in response.content.decode()


def test_the_topic_page_shows_the_timeline_and_one_button_per_allowed_step(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.staff)
    page = client.get(change_url(topic)).content.decode()
    assert "Send to review" in page
    assert TrailEntry.objects.get(topic=topic).hash in page
    response = client.post(advance_url(topic), {"to": "review", "from": "collect", "note": "材料齐全"}, follow=True)
    assert response.status_code == 200
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW
    assert "moved to" in response.content.decode()
    # In review the move to resolve is held until the topic is on an agenda: the reason is listed.
    page = client.get(change_url(topic)).content.decode()
    assert "Accept the topic onto the agenda of a scheduled council meeting first." in page


def test_a_held_move_posted_anyway_changes_nothing(client, flow, world):
    topic = flow.at(Step.REVIEW)
    client.force_login(world.staff)
    response = client.post(advance_url(topic), {"to": "resolve", "from": "review"}, follow=True)
    assert "Accept the topic onto the agenda" in response.content.decode()
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW


def test_another_communitys_staff_can_neither_open_nor_advance(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.other_staff)
    response = client.get(change_url(topic))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert client.post(advance_url(topic), {"to": "review"}).status_code == 404
    assert client.get(reverse("admin:deliberation_topic_record", args=[topic.pk])).status_code == 404
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT


def test_residents_do_not_reach_the_admin(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    assert client.post(advance_url(topic), {"to": "review"}).status_code == 302
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT


def test_officials_read_but_do_not_move(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.official)
    assert client.get(change_url(topic)).status_code == 200
    response = client.post(advance_url(topic), {"to": "review", "from": "collect"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Only this community's committee staff can take this step."
    ]
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT


def test_overdue_filter(client, flow, world):
    late, fresh = flow.raise_topic(title="早就该处理"), None
    flow.travel(days=31)
    fresh = flow.raise_topic(title="刚提出")
    client.force_login(world.staff)
    response = client.get(reverse("admin:deliberation_topic_changelist") + "?overdue=yes")
    assert list(response.context["cl"].result_list) == [late]
    response = client.get(reverse("admin:deliberation_topic_changelist") + "?overdue=no")
    assert list(response.context["cl"].result_list) == [fresh]


def test_raising_a_topic_in_the_admin_goes_through_the_service(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:deliberation_topic_add"),
        {
            "community": world.community.pk,
            "title": "增设快递柜",
            "body": "小区没有快递柜，快递经常丢失，需要增设。",
            "category": "services",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    topic = Topic.objects.get(title="增设快递柜")
    assert topic.raised_by == world.staff
    assert TrailEntry.objects.filter(topic=topic, kind="raised").exists()


def test_a_refused_save_shows_the_form_again_with_the_reason(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:deliberation_topic_add"),
        {"community": world.community.pk, "title": "长", "body": "正文", "category": "services"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Topic.objects.exists()


def test_meeting_inlines_record_agenda_attendance_and_vote(client, flow, world):
    client.force_login(world.staff)
    topic = flow.at(Step.REVIEW)
    meeting = flow.meeting(days=2)
    url = reverse("admin:deliberation_meeting_change", args=[meeting.pk])
    data = form_data(client.get(url))
    data.update({"agenda_items-TOTAL_FORMS": 1, "agenda_items-0-topic": topic.pk, "agenda_items-0-position": 1})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert AgendaItem.objects.filter(meeting=meeting, topic=topic).exists()
    client.post(advance_url(topic), {"to": "resolve", "from": "review"})
    topic.refresh_from_db()
    assert topic.step == Step.RESOLVE

    flow.travel(days=2, minutes=5)
    data = form_data(client.get(url))
    prefix = "attendance"
    for index in range(int(data[f"{prefix}-TOTAL_FORMS"])):
        data[f"{prefix}-{index}-status"] = "present"
    data.update(
        {
            "agenda_items-0-votes_for": 3,
            "agenda_items-0-votes_against": 0,
            "agenda_items-0-abstentions": 0,
            "agenda_items-0-resolution": "同意",
        }
    )
    # Attendance and the vote in one save: the vote counts the attendance being saved.
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert Attendance.objects.filter(meeting=meeting, status="present").count() == 3
    vote = Vote.objects.get()
    assert vote.passed and vote.present == 3
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_a_vote_without_quorum_is_refused_in_the_admin(client, flow, world):
    client.force_login(world.staff)
    topic = flow.at(Step.RESOLVE)
    meeting = topic.agenda_item().meeting
    flow.now = meeting.starts_at
    flow.traveller.move_to(flow.now, tick=False)
    url = reverse("admin:deliberation_meeting_change", args=[meeting.pk])
    data = form_data(client.get(url))
    data.update(
        {
            "agenda_items-0-votes_for": 1,
            "agenda_items-0-votes_against": 0,
            "agenda_items-0-abstentions": 0,
            "agenda_items-0-resolution": "同意",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    assert "no quorum" in response.content.decode()
    assert not Vote.objects.exists()


def test_nobody_edits_or_deletes_the_trail_in_the_admin(client, flow, world):
    topic = flow.raise_topic()
    entry = TrailEntry.objects.get(topic=topic)
    for user in (world.staff, world.superuser):
        client.force_login(user)
        url = reverse("admin:deliberation_trailentry_change", args=[entry.pk])
        assert client.get(url).status_code == 200
        assert client.post(url, {"kind": "step"}).status_code == 403
        assert (
            client.post(reverse("admin:deliberation_trailentry_delete", args=[entry.pk]), {"post": "yes"}).status_code
            == 403
        )
    assert TrailEntry.objects.get(pk=entry.pk).hash == entry.hash


def test_the_record_downloads_as_json(client, flow, world):
    topic = flow.at(Step.PUBLICIZE)
    client.force_login(world.staff)
    response = client.get(reverse("admin:deliberation_topic_record", args=[topic.pk]))
    assert response["Content-Type"] == "application/json"
    assert response.json()["topic"]["step"] == "publicize"
