"""Contract tests of the deliberation API (CONTRACT.md "HTTP API": topics/, advance/, comments/,
meetings/, observers/), the endpoints around them, the permission matrix, bad input and races."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core import tokens
from deliberation import services
from deliberation.models import (
    COMMENT_MAX,
    Comment,
    Meeting,
    Objection,
    ObserverRegistration,
    Rating,
    Support,
    Topic,
    TrailEntry,
    Vote,
)
from deliberation.workflow import Step
from tests.fixtures.races import race

pytestmark = pytest.mark.django_db

API = "/api/v1/"
PAGE_KEYS = {"count", "next", "previous", "results"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def as_user(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None and user.is_authenticated:
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.issue(user)}")
    return client


def later(days=7):
    return (timezone.now() + datetime.timedelta(days=days)).isoformat()


# Topics
def test_topics_list_is_paginated_and_filtered(flow, world):
    review = flow.at(Step.REVIEW)
    collect = flow.raise_topic(title="收集中的事")
    services.topic_raise(actor=world.outsider, community=world.other_community, title="别处", body="x" * 40)
    body = as_user(None).get(f"{API}topics/").json()
    assert set(body) == PAGE_KEYS and body["count"] == 3
    item = body["results"][0]
    assert {"id", "community", "title", "body", "step", "outcome", "overdue"} <= set(item)

    mine = as_user(None).get(f"{API}topics/", {"community": world.community.pk}).json()
    assert {t["id"] for t in mine["results"]} == {review.pk, collect.pk}
    in_review = as_user(None).get(f"{API}topics/", {"community": world.community.pk, "step": "review"}).json()
    assert [t["id"] for t in in_review["results"]] == [review.pk]


@pytest.mark.parametrize("query", [{"step": "nonsense"}, {"community": "999999"}, {"community": "abc"}])
def test_topics_list_refuses_unknown_filters(world, query):
    response = as_user(None).get(f"{API}topics/", query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_topics_list_costs_the_same_at_two_sizes(flow, world):
    for index in range(2):
        flow.raise_topic(title=f"议题{index}")
    client = as_user(world.resident)
    client.get(f"{API}topics/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}topics/")
    for index in range(25):
        flow.raise_topic(title=f"更多{index}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(f"{API}topics/").json()["results"]) == 20
    assert len(few) == len(many)


def test_a_resident_raises_a_topic(world):
    response = as_user(world.resident).post(
        f"{API}topics/",
        {
            "community": world.community.pk,
            "title": "增设快递柜",
            "body": "快递经常丢失，建议在小区门口增设智能快递柜。",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["step"] == "collect" and body["outcome"] == "pending"
    assert body["community"] == world.community.pk and body["title"] == "增设快递柜"
    assert [(h["from"], h["to"]) for h in body["history"]] == [(None, "collect")]
    assert Topic.objects.get(pk=body["id"]).raised_by == world.resident


def test_staff_raise_topics_for_their_community(world):
    response = as_user(world.staff).post(
        f"{API}topics/", {"community": world.community.pk, "title": "居委会议题", "body": "x" * 40}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("who", ["outsider", "other_staff", "official"])
def test_only_residents_and_staff_of_the_community_raise_topics(world, who):
    response = as_user(getattr(world, who)).post(
        f"{API}topics/", {"community": world.community.pk, "title": "越界", "body": "x" * 40}, format="json"
    )
    assert response.status_code == 403 and response.json()["detail"]
    assert not Topic.objects.exists()


def test_raising_needs_login_and_good_input(world):
    payload = {"community": world.community.pk, "title": "议题", "body": "x" * 40}
    assert as_user(None).post(f"{API}topics/", payload, format="json").status_code == 401
    client = as_user(world.resident)
    cases = [
        ({**payload, "title": ""}, "title"),
        ({**payload, "body": "长" * 5001}, "body"),
        ({**payload, "community": 999999}, "community"),
        ({**payload, "community": "abc"}, "community"),
        ({**payload, "category": "nonsense"}, "category"),
        ({"title": "议题"}, "community"),
    ]
    for data, field in cases:
        response = client.post(f"{API}topics/", data, format="json")
        assert response.status_code == 400, data
        assert field in response.json(), response.json()
    assert "5,000" in client.post(f"{API}topics/", cases[1][0], format="json").json()["body"][0]
    assert not Topic.objects.exists()


def test_topic_detail_has_history_and_the_requesters_next_steps(flow, world):
    topic = flow.at(Step.REVIEW)
    body = as_user(world.staff).get(f"{API}topics/{topic.pk}/").json()
    assert {"id", "community", "title", "body", "step", "outcome", "history", "next_steps"} <= set(body)
    assert [(h["from"], h["to"]) for h in body["history"]] == [(None, "collect"), ("collect", "review")]
    assert {"from", "to", "at", "by", "note", "hash"} <= set(body["history"][1])
    assert body["history"][1]["hash"] == TrailEntry.objects.filter(topic=topic, kind="step").get().hash
    steps = {s["step"]: s for s in body["next_steps"]}
    assert set(steps) == {"resolve", "archive"}
    assert steps["resolve"]["allowed"] is False and steps["resolve"]["blockers"]
    assert steps["archive"]["allowed"] is True and steps["archive"]["blockers"] == []

    public = as_user(None).get(f"{API}topics/{topic.pk}/").json()
    assert all(not s["allowed"] and s["blockers"] for s in public["next_steps"])


def test_unknown_topics_are_404(world):
    assert as_user(None).get(f"{API}topics/999999/").status_code == 404
    assert as_user(None).get(f"{API}topics/abc/").status_code == 404
    assert as_user(world.staff).post(f"{API}topics/999999/advance/", {"to": "review"}).status_code == 404


# Advancing
def test_staff_advance_a_topic(flow, world):
    topic = flow.raise_topic()
    response = as_user(world.staff).post(
        f"{API}topics/{topic.pk}/advance/", {"to": "review", "note": "齐全"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["step"] == "review"
    assert body["history"][-1]["note"] == "齐全" and body["history"][-1]["by"] == world.staff.name


def test_a_skipped_step_is_a_409_with_blockers(flow, world):
    topic = flow.raise_topic()
    for target in ("resolve", "publicize", "implement", "evaluate"):
        response = as_user(world.staff).post(f"{API}topics/{topic.pk}/advance/", {"to": target}, format="json")
        assert response.status_code == 409
        body = response.json()
        assert set(body) == {"detail", "blockers"} and body["blockers"]
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT


def test_a_guard_holds_the_move_with_its_reasons(flow, world):
    topic = flow.at(Step.REVIEW)
    response = as_user(world.staff).post(f"{API}topics/{topic.pk}/advance/", {"to": "resolve"}, format="json")
    assert response.status_code == 409
    assert response.json()["blockers"] == ["Accept the topic onto the agenda of a scheduled council meeting first."]
    no_reason = as_user(world.staff).post(f"{API}topics/{topic.pk}/advance/", {"to": "archive"}, format="json")
    assert no_reason.status_code == 400 and "note" in no_reason.json()
    unknown = as_user(world.staff).post(f"{API}topics/{topic.pk}/advance/", {"to": "somewhere"}, format="json")
    assert unknown.status_code == 400
    stale = as_user(world.staff).post(
        f"{API}topics/{topic.pk}/advance/", {"to": "archive", "note": "x", "expected_step": "collect"}, format="json"
    )
    assert stale.status_code == 409
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW


@pytest.mark.parametrize("who", ["resident", "author", "outsider", "other_staff", "official", "council"])
def test_only_the_communitys_staff_advance(flow, world, who):
    topic = flow.raise_topic()
    user = world.council[0] if who == "council" else getattr(world, who)
    response = as_user(user).post(f"{API}topics/{topic.pk}/advance/", {"to": "review"}, format="json")
    assert response.status_code == 403
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT


def test_the_author_withdraws_through_the_api(flow, world):
    topic = flow.raise_topic()
    response = as_user(world.author).post(f"{API}topics/{topic.pk}/withdraw/", {"note": "已自行解决"}, format="json")
    assert response.status_code == 200 and response.json()["outcome"] == "withdrawn"
    assert as_user(world.resident).post(f"{API}topics/{flow.raise_topic().pk}/withdraw/", {}).status_code == 403


def test_the_author_or_staff_complete_a_topic(flow, world):
    topic = flow.raise_topic(category="")
    response = as_user(world.author).patch(f"{API}topics/{topic.pk}/", {"category": "safety"}, format="json")
    assert response.status_code == 200 and response.json()["category"] == "safety"
    assert as_user(world.resident).patch(f"{API}topics/{topic.pk}/", {"title": "改"}, format="json").status_code == 403


# Comments
def test_comments_list_and_post(flow, world):
    topic = flow.raise_topic()
    client = as_user(world.resident)
    first = client.post(f"{API}topics/{topic.pk}/comments/", {"body": "<b>支持</b>"}, format="json")
    assert first.status_code == 201
    comment = first.json()
    assert comment["body"] == "<b>支持</b>" and comment["parent"] is None and comment["can_edit"]
    reply = as_user(world.author).post(
        f"{API}topics/{topic.pk}/comments/", {"body": "谢谢", "parent": comment["id"]}, format="json"
    )
    assert reply.status_code == 201 and reply.json()["parent"] == comment["id"]
    listed = as_user(None).get(f"{API}topics/{topic.pk}/comments/").json()
    assert set(listed) == PAGE_KEYS and listed["count"] == 2
    assert [c["id"] for c in listed["results"]] == [comment["id"], reply.json()["id"]]
    assert listed["results"][0]["body"] == "<b>支持</b>"  # JSON carries text, nothing runs


def test_comment_bad_input(flow, world):
    topic, other = flow.raise_topic(), flow.raise_topic(title="另一件")
    elsewhere = services.comment_post(actor=world.resident, topic=other, body="别处")
    client = as_user(world.resident)
    url = f"{API}topics/{topic.pk}/comments/"
    too_long = client.post(url, {"body": "长" * (COMMENT_MAX + 1)}, format="json")
    assert too_long.status_code == 400 and "5,000" in too_long.json()["body"][0]
    assert client.post(url, {"body": ""}, format="json").status_code == 400
    assert client.post(url, {"body": "回复", "parent": elsewhere.pk}, format="json").status_code == 400
    assert client.post(url, {"body": "回复", "parent": 999999}, format="json").status_code == 400
    assert client.post(url, {"body": "回复", "parent": "abc"}, format="json").status_code == 400
    assert client.post(url, {"parent": None}, format="json").status_code == 400
    assert not Comment.objects.filter(topic=topic).exists()
    closed = flow.at(Step.PUBLICIZE, title="已公示")
    late = client.post(f"{API}topics/{closed.pk}/comments/", {"body": "晚了"}, format="json")
    assert late.status_code == 409 and late.json()["detail"]


def test_hidden_comments_are_empty_for_others_and_keep_their_reason_for_the_author(flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="不当言论")
    response = as_user(world.staff).post(
        f"{API}comments/{comment.pk}/moderate/", {"keep": False, "reason": "人身攻击"}, format="json"
    )
    assert response.status_code == 200 and response.json()["hidden"] is True
    public = as_user(None).get(f"{API}topics/{topic.pk}/comments/").json()["results"][0]
    assert public["body"] == "" and public["hidden"] and public["hidden_reason"] == ""
    own = as_user(world.resident).get(f"{API}comments/{comment.pk}/").json()
    assert own["body"] == "不当言论" and own["hidden_reason"] == "人身攻击"
    assert (
        as_user(world.resident).post(f"{API}comments/{comment.pk}/moderate/", {"keep": True}, format="json").status_code
        == 403
    )


def test_edit_and_report_comments(flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="错字")
    assert as_user(world.author).patch(f"{API}comments/{comment.pk}/", {"body": "改"}, format="json").status_code == 403
    edited = as_user(world.resident).patch(f"{API}comments/{comment.pk}/", {"body": "改正"}, format="json")
    assert edited.status_code == 200 and edited.json()["body"] == "改正"
    flow.travel(minutes=16)
    assert (
        as_user(world.resident).patch(f"{API}comments/{comment.pk}/", {"body": "再改"}, format="json").status_code
        == 409
    )
    report = as_user(world.author).post(f"{API}comments/{comment.pk}/report/", {"reason": "不实"}, format="json")
    assert report.status_code == 201 and report.json()["status"] == "open"
    again = as_user(world.author).post(f"{API}comments/{comment.pk}/report/", {"reason": "不实"}, format="json")
    assert again.status_code == 409
    assert (
        as_user(world.author).post(f"{API}comments/{comment.pk}/report/", {"reason": ""}, format="json").status_code
        == 400
    )
    assert as_user(None).get(f"{API}comments/999999/").status_code == 404


def test_support_once_and_withdraw(flow, world):
    topic = flow.raise_topic()
    client = as_user(world.resident)
    first = client.post(f"{API}topics/{topic.pk}/support/")
    assert first.status_code == 201 and first.json() == {"count": 1, "mine": True}
    assert client.post(f"{API}topics/{topic.pk}/support/").status_code == 200
    assert client.delete(f"{API}topics/{topic.pk}/support/").status_code == 204
    assert not Support.objects.exists()


# Meetings and the gallery
def test_staff_schedule_a_meeting_with_its_agenda(flow, world):
    topic = flow.at(Step.REVIEW)
    payload = {
        "community": world.community.pk,
        "starts_at": later(10),
        "location": "社区议事厅",
        "observer_seats": 15,
        "agenda": [topic.pk],
    }
    response = as_user(world.staff).post(f"{API}meetings/", payload, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["observer_seats"] == 15 and body["seats_left"] == 15 and body["status"] == "scheduled"
    assert [item["topic"] for item in body["agenda"]] == [topic.pk]
    meeting = Meeting.objects.get(pk=body["id"])
    assert body["notice_at"] == meeting.notice_at.astimezone(timezone.get_current_timezone()).isoformat()

    listed = as_user(None).get(f"{API}meetings/", {"community": world.community.pk}).json()
    assert set(listed) == PAGE_KEYS
    assert listed["results"][0]["id"] == meeting.pk and "notice_at" in listed["results"][0]
    upcoming = as_user(None).get(f"{API}meetings/", {"upcoming": "true"}).json()
    assert meeting.pk in [m["id"] for m in upcoming["results"]]


def test_meeting_input_is_checked(flow, world):
    elsewhere = services.topic_raise(
        actor=world.outsider, community=world.other_community, title="别处", body="x" * 40, category="other"
    )
    services.topic_advance(actor=world.other_staff, topic=elsewhere, to=Step.REVIEW)
    base = {"community": world.community.pk, "starts_at": later(10), "location": "议事厅"}
    client = as_user(world.staff)
    cases = [
        {**base, "agenda": [elsewhere.pk]},
        {**base, "agenda": [999999]},
        {**base, "agenda": ["abc"]},
        {**base, "starts_at": (timezone.now() - datetime.timedelta(days=1)).isoformat()},
        {**base, "starts_at": "tomorrow"},
        {**base, "observer_seats": -1},
        {**base, "community": 999999},
    ]
    for data in cases:
        assert client.post(f"{API}meetings/", data, format="json").status_code == 400, data
    assert not Meeting.objects.exists()
    for someone in (world.resident, world.other_staff, world.official):
        assert as_user(someone).post(f"{API}meetings/", base, format="json").status_code == 403
    assert as_user(None).post(f"{API}meetings/", base, format="json").status_code == 401
    assert not Meeting.objects.exists()


def test_a_topic_twice_on_a_new_meetings_agenda_is_a_field_error(flow, world):
    """Issue 15: it answered 409 with empty `blockers`; it is bad input, named on its field."""
    topic = flow.at(Step.REVIEW)
    data = {"community": world.community.pk, "starts_at": later(10), "location": "议事厅", "agenda": [topic.pk] * 2}
    response = as_user(world.staff).post(f"{API}meetings/", data, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["detail"]
    assert body["agenda"] == body["fields"]["agenda"] and body["agenda"]
    assert not Meeting.objects.exists()


def test_residents_take_and_give_back_gallery_seats(flow, world):
    meeting = flow.meeting(observer_seats=1)
    url = f"{API}meetings/{meeting.pk}/observers/"
    first = as_user(world.resident).post(url)
    assert first.status_code == 201 and first.json()["seats_left"] == 0
    assert as_user(world.resident).post(url).status_code == 200
    full = as_user(world.author).post(url)
    assert full.status_code == 409 and set(full.json()) == {"code", "detail", "blockers"}
    assert as_user(world.outsider).post(url).status_code == 403
    assert as_user(None).post(url).status_code == 401
    assert as_user(world.resident).delete(url).status_code == 204
    assert as_user(world.resident).delete(url).status_code == 409
    assert as_user(world.author).post(url).status_code == 201
    assert ObserverRegistration.objects.filter(cancelled_at__isnull=True).get().user == world.author
    assert as_user(None).get(f"{API}meetings/{meeting.pk}/").json()["seats_left"] == 0


def test_agenda_add_and_remove(flow, world):
    topic, meeting = flow.at(Step.REVIEW), flow.meeting()
    client = as_user(world.staff)
    added = client.post(f"{API}meetings/{meeting.pk}/agenda/", {"topic": topic.pk}, format="json")
    assert added.status_code == 201 and added.json()["agenda"][0]["topic"] == topic.pk
    assert client.post(f"{API}meetings/{meeting.pk}/agenda/", {"topic": topic.pk}, format="json").status_code == 409
    removed = client.delete(f"{API}meetings/{meeting.pk}/agenda/{topic.pk}/")
    assert removed.status_code == 200 and removed.json()["agenda"] == []
    assert client.delete(f"{API}meetings/{meeting.pk}/agenda/{topic.pk}/").status_code == 409


def test_attendance_and_votes(flow, world):
    topic = flow.at(Step.RESOLVE)
    meeting = topic.agenda_item().meeting
    flow.travel(days=8)
    staff = as_user(world.staff)
    attendance_url, votes_url = f"{API}meetings/{meeting.pk}/attendance/", f"{API}meetings/{meeting.pk}/votes/"
    vote = {"topic": topic.pk, "resolution": "同意", "votes_for": 1, "votes_against": 0, "abstentions": 0}
    assert staff.post(votes_url, vote, format="json").status_code == 409  # nobody recorded present: no quorum

    entries = [
        {"member": world.council[0].pk, "status": "present"},
        {"member": world.council[1].pk, "status": "absent"},
    ]
    recorded = staff.post(attendance_url, {"entries": entries}, format="json")
    assert recorded.status_code == 200
    assert recorded.json()["quorum"] == {"council_size": 3, "present": 1, "needed": 2, "met": False}
    without_quorum = staff.post(votes_url, vote, format="json")
    assert without_quorum.status_code == 409 and without_quorum.json()["blockers"]
    assert not Vote.objects.exists()

    bad = staff.post(attendance_url, {"entries": [{"member": world.resident.pk, "status": "present"}]}, format="json")
    assert bad.status_code == 400
    entries = [{"member": m.pk, "status": "present"} for m in world.council]
    staff.post(attendance_url, {"entries": entries}, format="json")
    other_topic = flow.at(Step.REVIEW, title="不在议程")
    assert staff.post(votes_url, {**vote, "topic": other_topic.pk}, format="json").status_code == 400
    assert staff.post(votes_url, {"topic": topic.pk, "resolution": "同意"}, format="json").status_code == 400
    assert as_user(world.council[0]).post(votes_url, vote, format="json").status_code == 403
    ballots = [{"member": m.pk, "choice": c} for m, c in zip(world.council, ["for", "for", "against"], strict=True)]
    response = staff.post(votes_url, {"topic": topic.pk, "resolution": "同意更换", "ballots": ballots}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["votes_for"], body["votes_against"], body["passed"], body["roll_call"]) == (2, 1, True, True)
    assert len(body["ballots"]) == 3
    assert staff.post(votes_url, vote, format="json").status_code == 409  # a recorded vote is final
    assert as_user(None).get(votes_url).json()["count"] == 1
    assert as_user(None).get(attendance_url).json()["quorum"]["met"] is True

    published = staff.post(f"{API}topics/{topic.pk}/advance/", {"to": "publicize"}, format="json")
    assert published.status_code == 200 and published.json()["outcome"] == "adopted"


# Publicity, implementation, evaluation
def test_objections_during_publicity_and_answers(flow, world):
    topic = flow.at(Step.PUBLICIZE)
    url = f"{API}topics/{topic.pk}/objections/"
    lodged = as_user(world.resident).post(url, {"body": "费用太高"}, format="json")
    assert lodged.status_code == 201
    objection = lodged.json()
    assert as_user(world.outsider).post(url, {"body": "越界"}, format="json").status_code == 403
    answer_url = f"{API}objections/{objection['id']}/answer/"
    assert as_user(world.resident).post(answer_url, {"answer": "自问自答"}, format="json").status_code == 403
    answered = as_user(world.staff).post(answer_url, {"answer": "由维修基金承担"}, format="json")
    assert answered.status_code == 200 and answered.json()["answer"] == "由维修基金承担"
    assert as_user(world.staff).post(answer_url, {"answer": "再答"}, format="json").status_code == 409
    assert as_user(None).get(url).json()["count"] == 1

    flow.end_publicity(topic)
    late = as_user(world.resident).post(url, {"body": "过期"}, format="json")
    assert late.status_code == 409
    assert Objection.objects.count() == 1


def test_tasks_and_progress_reports(flow, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    topic = flow.at(Step.PUBLICIZE)
    url = f"{API}topics/{topic.pk}/tasks/"
    payload = {
        "title": "更换楼道灯",
        "due_date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "supervisor": world.supervisor.pk,
        "owner_body": world.supervisory.pk,
    }
    assert as_user(world.resident).post(url, payload, format="json").status_code == 403
    assert (
        as_user(world.staff).post(url, {**payload, "supervisor": world.resident.pk}, format="json").status_code == 400
    )
    assert as_user(world.staff).post(url, {**payload, "owner_user": world.staff.pk}, format="json").status_code == 400
    created = as_user(world.staff).post(url, payload, format="json")
    assert created.status_code == 201
    task = created.json()
    assert task["owner"] == world.supervisory.name and task["percent"] == 0

    progress_url = f"{API}tasks/{task['id']}/progress/"
    early = as_user(world.supervisor).post(progress_url, {"percent": 10, "note": "开始"}, format="json")
    assert early.status_code == 409  # progress is reported once implementation starts
    flow.implement(topic)
    assert as_user(world.resident).post(progress_url, {"percent": 10, "note": "x"}, format="json").status_code == 403
    assert as_user(world.supervisor).post(progress_url, {"percent": 101, "note": "x"}, format="json").status_code == 400
    fake = SimpleUploadedFile("photo.png", b"<html>not an image</html>", content_type="image/png")
    response = as_user(world.supervisor).post(progress_url, {"percent": 50, "note": "x", "attachment": fake})
    assert response.status_code == 400 and "attachment" in response.json()
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    response = as_user(world.supervisor).post(progress_url, {"percent": 100, "note": "完成", "attachment": photo})
    assert response.status_code == 201
    assert response.json()["attachment_type"] == "image/png"
    listed = as_user(None).get(url).json()
    assert listed["results"][0]["percent"] == 100 and listed["results"][0]["done_at"]


def test_ratings_once_during_the_evaluation(flow, world):
    topic = flow.at(Step.EVALUATE)
    url = f"{API}topics/{topic.pk}/ratings/"
    assert as_user(world.resident).post(url, {"score": 6}, format="json").status_code == 400
    assert as_user(world.resident).post(url, {"score": 4, "comment": "好"}, format="json").status_code == 201
    second = as_user(world.resident).post(url, {"score": 5}, format="json")
    assert second.status_code == 409
    assert as_user(world.author).post(url, {"score": 2}, format="json").status_code == 201
    assert as_user(world.outsider).post(url, {"score": 5}, format="json").status_code == 403
    summary = as_user(world.resident).get(url).json()
    assert summary["count"] == 2 and summary["mean"] == 3 and summary["rated"] is True
    assert summary["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    assert Rating.objects.count() == 2
    flow.end_evaluation(topic)
    assert as_user(world.supervisor).post(url, {"score": 5}, format="json").status_code == 409


def test_the_record_endpoint(flow, world):
    topic = flow.at(Step.ARCHIVE)
    record = as_user(None).get(f"{API}topics/{topic.pk}/record/").json()
    assert [h["to"] for h in record["history"]] == [s.value for s in Step]
    assert record["trail"][-1]["hash"] == TrailEntry.objects.filter(topic=topic).last().hash


# The permission matrix: nobody outside the community's roles gets a 2xx, and nothing changes
def _matrix_requests(flow, world):
    collect = flow.raise_topic(title="收集")
    comment = services.comment_post(actor=world.resident, topic=collect, body="意见")
    publicize = flow.at(Step.PUBLICIZE, title="公示")
    objection = services.objection_lodge(actor=world.resident, topic=publicize, body="异议")
    evaluate = flow.at(Step.EVALUATE, title="测评")
    task = evaluate.tasks.get()
    meeting = flow.meeting(days=20)
    review = flow.at(Step.REVIEW, title="审查")
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    return [
        ("post", "topics/", {"community": world.community.pk, "title": "越界", "body": "x" * 40}),
        ("patch", f"topics/{collect.pk}/", {"title": "改"}),
        ("post", f"topics/{collect.pk}/advance/", {"to": "review"}),
        ("post", f"topics/{collect.pk}/withdraw/", {}),
        ("post", f"topics/{collect.pk}/comments/", {"body": "路过"}),
        ("post", f"topics/{collect.pk}/support/", None),
        ("patch", f"comments/{comment.pk}/", {"body": "改"}),
        ("post", f"comments/{comment.pk}/report/", {"reason": "不实"}),
        ("post", f"comments/{comment.pk}/moderate/", {"keep": False, "reason": "x"}),
        ("post", f"topics/{publicize.pk}/objections/", {"body": "越界"}),
        ("post", f"objections/{objection.pk}/answer/", {"answer": "越界"}),
        (
            "post",
            f"topics/{publicize.pk}/tasks/",
            {"title": "x", "due_date": due, "supervisor": world.supervisor.pk, "owner_user": world.staff.pk},
        ),
        ("post", f"tasks/{task.pk}/progress/", {"percent": 10, "note": "x"}),
        ("post", f"topics/{evaluate.pk}/ratings/", {"score": 5}),
        ("post", "meetings/", {"community": world.community.pk, "starts_at": later(12), "location": "x"}),
        ("patch", f"meetings/{meeting.pk}/", {"location": "别处"}),
        ("post", f"meetings/{meeting.pk}/cancel/", {"reason": "x"}),
        ("post", f"meetings/{meeting.pk}/agenda/", {"topic": review.pk}),
        (
            "post",
            f"meetings/{meeting.pk}/attendance/",
            {"entries": [{"member": world.council[0].pk, "status": "present"}]},
        ),
        (
            "post",
            f"meetings/{meeting.pk}/votes/",
            {"topic": review.pk, "resolution": "x", "votes_for": 1, "votes_against": 0, "abstentions": 0},
        ),
        ("post", f"meetings/{meeting.pk}/observers/", None),
    ]


def test_the_permission_matrix(flow, world):
    requests = _matrix_requests(flow, world)
    trail_before = TrailEntry.objects.count()
    rows_before = (Topic.objects.count(), Comment.objects.count(), Meeting.objects.count(), Support.objects.count())
    for who in ("anonymous", "outsider", "other_staff", "official"):
        user = getattr(world, who)
        client = as_user(user)
        for method, path, data in requests:
            response = getattr(client, method)(f"{API}{path}", data, format="json")
            expected = {401} if who == "anonymous" else {403, 404}
            assert response.status_code in expected, (who, method, path, response.status_code, response.content)
            assert "detail" in response.json()
    assert TrailEntry.objects.count() == trail_before
    assert (Topic.objects.count(), Comment.objects.count(), Meeting.objects.count(), Support.objects.count()) == (
        rows_before
    )
    assert not ObserverRegistration.objects.exists()


def test_reads_are_public_and_cost_the_same_at_two_sizes(flow, world):
    small, large = flow.at(Step.REVIEW, title="小事"), flow.at(Step.REVIEW, title="大事")
    people = [world.resident, world.author, *world.council]
    for index in range(3):
        services.comment_post(actor=people[index % len(people)], topic=small, body=f"意见{index}")
    for index in range(60):
        services.comment_post(actor=people[index % len(people)], topic=large, body=f"意见{index}")
    client = as_user(world.resident)
    for suffix in ("", "comments/"):
        client.get(f"{API}topics/{small.pk}/{suffix}")
        with CaptureQueriesContext(connection) as few:
            assert client.get(f"{API}topics/{small.pk}/{suffix}").status_code == 200
        with CaptureQueriesContext(connection) as many:
            assert client.get(f"{API}topics/{large.pk}/{suffix}").status_code == 200
        assert len(few) == len(many), suffix

    meetings = [flow.meeting(days=7 + n) for n in range(2)]
    client.get(f"{API}meetings/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}meetings/")
    for n in range(6):
        meeting = flow.meeting(days=12 + n)
        services.agenda_add(actor=world.staff, meeting=meeting, topic=flow.at(Step.REVIEW, title=f"议{n}"))
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{API}meetings/").json()["count"] == len(meetings) + 6
    assert len(few) == len(many)


# Races, on PostgreSQL where rows are really locked
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_staff_advance_one_topic_through_the_api_one_wins(flow, world, attempt):
    from tests import factories

    second = factories.staff_member(world.community, actor=world.superuser)
    topic = flow.raise_topic()
    clients = [as_user(world.staff), as_user(second)]
    url = f"{API}topics/{topic.pk}/advance/"
    results = race(*[lambda c=c: c.post(url, {"to": "review"}, format="json").status_code for c in clients])
    assert sorted(results) == [200, 409], results
    assert TrailEntry.objects.filter(topic=topic, kind="step").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_residents_take_the_last_seat_through_the_api_one_gets_it(flow, world, attempt):
    meeting = flow.meeting(observer_seats=1)
    url = f"{API}meetings/{meeting.pk}/observers/"
    clients = [as_user(world.resident), as_user(world.author)]
    results = race(*[lambda c=c: c.post(url).status_code for c in clients])
    assert sorted(results) == [201, 409], results
    assert ObserverRegistration.objects.filter(meeting=meeting, cancelled_at__isnull=True).count() == 1
