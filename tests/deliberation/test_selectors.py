"""Reads for the pages and the API: the same number of queries whatever the amount of data."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliberation import selectors, services
from deliberation.models import Comment
from deliberation.workflow import Step
from tests import factories

pytestmark = pytest.mark.django_db


def add_comments(topic, people, count):
    comments = []
    for index in range(count):
        parent = comments[index - 1] if index % 3 == 2 else None
        comments.append(
            services.comment_post(actor=people[index % len(people)], topic=topic, body=f"意见{index}", parent=parent)
        )
    return comments


def queries(fn):
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


@pytest.mark.parametrize("viewer", ["resident", "staff", "anonymous"])
def test_topic_comments_take_two_queries_whatever_their_number(flow, world, viewer, django_assert_num_queries):
    few, many = flow.raise_topic(), flow.raise_topic(title="热门议题")
    people = [world.resident, world.author, *world.council]
    add_comments(few, people, 10)
    add_comments(many, people, 300)
    user = getattr(world, viewer)
    selectors.topic_comments(few, user)  # roles are loaded once per user, as once per request
    with django_assert_num_queries(2):
        threads = selectors.topic_comments(few, user)
    assert sum(1 + len(c.thread) for c in threads) == 10
    with django_assert_num_queries(2):
        threads = selectors.topic_comments(many, user)
    assert sum(1 + len(c.thread) for c in threads) == 300


def test_topic_page_reads_cost_the_same_at_10_and_300_comments(flow, world):
    few, many = flow.raise_topic(), flow.raise_topic(title="热门议题")
    people = [world.resident, world.author, *world.council]
    add_comments(few, people, 10)
    add_comments(many, people, 300)

    def page(topic):
        topic = selectors.topic_get(topic.pk)
        selectors.topic_history(topic)
        selectors.next_steps(world.resident, topic)
        selectors.topic_comments(topic, world.resident)
        selectors.topic_support(topic, world.resident)
        selectors.topic_timeline(topic)

    page(few)
    assert queries(lambda: page(few)) == queries(lambda: page(many))


def test_topic_list_counts_visible_comments_and_supports(flow, world):
    topic = flow.raise_topic()
    hidden = services.comment_post(actor=world.resident, topic=topic, body="删")
    services.comment_post(actor=world.author, topic=topic, body="留")
    services.comment_hide(actor=world.staff, comment=hidden, reason="重复")
    services.support_give(actor=world.resident, topic=topic)
    listed = selectors.topic_list(community=world.community).get()
    assert (listed.comment_count, listed.support_count, listed.overdue) == (1, 1, False)


def test_topic_list_filters(flow, world):
    late = flow.raise_topic(title="拖延")
    flow.travel(days=40)
    review = flow.at(Step.REVIEW)
    assert list(selectors.topic_list(step="review")) == [review]
    assert list(selectors.topic_list(overdue=True)) == [late]
    assert list(selectors.topic_list(overdue=False)) == [review]
    assert list(selectors.overdue_topics(world.staff)) == [late]
    assert list(selectors.overdue_topics(world.other_staff)) == []
    assert list(selectors.topic_list(user=world.official)) == [review, late]
    assert selectors.topics_by_step()["collect"] == 1
    assert selectors.topic_get(late.pk).is_overdue


def test_meeting_seats_left(flow, world):
    meeting = flow.meeting(observer_seats=3)
    services.observer_register(actor=world.resident, meeting=meeting)
    services.observer_register(actor=world.author, meeting=meeting)
    services.observer_cancel(actor=world.author, meeting=meeting)
    fetched = selectors.meeting_get(meeting.pk)
    assert (fetched.seats_taken, fetched.seats_left) == (1, 2)
    assert [m.pk for m in selectors.meeting_list(community=world.community, upcoming=True)] == [meeting.pk]
    assert selectors.observer_registration_for(world.resident, meeting) is not None
    assert selectors.observer_registration_for(world.author, meeting) is None


def test_meeting_attendance_lists_every_council_member(flow, world):
    meeting = flow.meeting()
    flow.travel(days=7)
    services.attendance_record(actor=world.staff, meeting=meeting, entries={world.council[0]: "excused"})
    rows = {row["member"].pk: row["status"] for row in selectors.meeting_attendance(meeting)}
    assert rows == {world.council[0].pk: "excused", world.council[1].pk: None, world.council[2].pk: None}


def test_topic_steps_marks_the_steps_a_negative_outcome_passed_over(flow, world):
    topic = flow.at(Step.REVIEW)
    topic = services.topic_advance(actor=world.staff, topic=topic, to=Step.ARCHIVE, note="不在职权范围")
    states = [s["state"] for s in selectors.topic_steps(topic)]
    assert states == ["done", "done", "skipped", "skipped", "skipped", "skipped", "current"]


def test_a_new_comment_by_someone_new_costs_no_extra_query(flow, world):
    topic = flow.raise_topic()
    newcomer = factories.resident(world.community, actor=world.superuser)
    add_comments(topic, [world.resident], 5)
    before = queries(lambda: selectors.topic_comments(topic, world.resident))
    services.comment_post(actor=newcomer, topic=topic, body="新人")
    assert queries(lambda: selectors.topic_comments(topic, world.resident)) == before
    assert Comment.objects.filter(topic=topic).count() == 6
