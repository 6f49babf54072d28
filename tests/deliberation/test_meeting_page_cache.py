"""A meeting's page for anonymous visitors from the page cache (deliberation/page_scopes.py):
served again without the database, and every change it shows (the agenda, a topic's step, a
vote, attendance, the gallery's seats, the meeting moved or cancelled, the council) shows on
the next request, for visitors and for logged-in people alike."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from communities import services as community_services
from communities.models import BodyKind, Post
from deliberation import services
from tests import factories


@pytest.fixture
def visitor():
    client = Client()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page(client, meeting):
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_served_again_without_the_database(visitor, flow):
    meeting = flow.meeting()
    page(visitor, meeting)
    with CaptureQueriesContext(connection) as queries:
        html = page(visitor, meeting)
    assert "社区议事厅" in html
    assert len(queries) == 0, [q["sql"][:120] for q in queries]


def test_the_agenda_and_each_topic_step_show_at_once(visitor, flow, world):
    meeting = flow.meeting()
    assert "No topics are on the agenda yet." in page(visitor, meeting)
    topic = flow.to_review(flow.raise_topic(title="加装电梯"))
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    html = page(visitor, meeting)
    assert "加装电梯" in html and "Now at: Review" in html
    services.topic_advance(actor=world.staff, topic=topic, to="resolve")
    assert "Now at: Resolve" in page(visitor, meeting)


def test_a_vote_and_the_attendance_show_at_once(visitor, flow, world):
    topic = flow.accept(flow.to_review(flow.raise_topic(title="修缮车棚")))
    meeting = topic.agenda_item().meeting
    flow.travel(days=8)
    assert "Adopted" not in page(visitor, meeting)
    flow.vote(topic, votes_for=3)
    html = page(visitor, meeting)
    assert "Adopted" in html and "3 for, 0 against, 0 abstaining" in html
    assert "Quorum met" in html


def test_a_seat_taken_moved_or_cancelled_shows_at_once(visitor, flow, world):
    meeting = flow.meeting(observer_seats=5)
    assert "5 seats left" in page(visitor, meeting)
    services.observer_register(actor=world.resident, meeting=meeting)
    assert "4 seats left" in page(visitor, meeting)
    services.meeting_move(actor=world.staff, meeting=meeting, location="党群服务中心二楼")
    assert "党群服务中心二楼" in page(visitor, meeting)
    services.meeting_cancel(actor=world.staff, meeting=meeting, reason="台风预警")
    html = page(visitor, meeting)
    assert "This meeting was cancelled." in html and "台风预警" in html


def test_a_new_council_member_and_a_renamed_one_show_in_the_attendance(visitor, flow, world, admin_user):
    topic = flow.accept(flow.to_review(flow.raise_topic()))
    meeting = topic.agenda_item().meeting
    flow.travel(days=8)
    flow.vote(topic)
    member = world.council[0]
    assert member.name in page(visitor, meeting)
    community_services.profile_update(
        user=member, display_name="王桂芳", preferred_language="zh-hans", sms_opt_out=False, email_opt_in=False
    )
    assert "王桂芳" in page(visitor, meeting)
    council = world.community.bodies.get(kind=BodyKind.DELIBERATION_COUNCIL)
    newcomer = factories.resident(world.community, actor=admin_user, display_name="李建国")
    community_services.membership_add(
        actor=admin_user, body=council, user=newcomer, post=Post.MEMBER, term_start=datetime.date(2000, 1, 1)
    )
    assert "李建国" in page(visitor, meeting)


def test_one_persons_seat_and_buttons_never_reach_another(visitor, flow, world):
    meeting = flow.meeting(observer_seats=5)
    page(visitor, meeting)  # the visitors' copy exists
    resident = Client(HTTP_ACCEPT_LANGUAGE="en")
    resident.force_login(world.resident)
    services.observer_register(actor=world.resident, meeting=meeting)
    mine = page(resident, meeting)
    assert "Cancel my seat" in mine
    anonymous = page(visitor, meeting)
    assert "Cancel my seat" not in anonymous and "Register for a seat" not in anonymous
    assert "Log in with an SMS code to register" in anonymous
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(world.staff)
    assert "Manage in the admin" in page(staff, meeting)
    assert "Manage in the admin" not in page(visitor, meeting)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.force_login(world.author)
    theirs = page(other, meeting)
    assert "Register for a seat" in theirs and "Cancel my seat" not in theirs
