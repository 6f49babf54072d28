"""The clerk's work queue on /admin/: what waits for the clerk, counted for their community (an
official: their area's; a superuser: all), each count linking to the admin list filtered to
exactly those rows."""

import datetime

import pytest
from django.utils import timezone

from civic.work_queue import work_queue
from communities import services as community_services
from deliberation import services as deliberation_services
from deliberation.models import AgendaItem, Comment, CommentReport, Meeting, Objection, Topic
from notifications.models import Delivery, Notice
from tests import factories

pytestmark = pytest.mark.django_db

BODY = "楼道的灯坏了三个月，晚上回家看不清台阶，老人上下楼很危险，希望尽快更换。"
# A Wednesday noon, so "this week" holds meetings both before and after now.
WEDNESDAY = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


def waiting(community, admin_user, *, pending=1, held=1, reports=1, objections=1, overdue=1, failed=1):
    """So much of each kind of work in `community`; a meeting this morning missing its records."""
    for _ in range(pending):
        community_services.residency_request(user=factories.UserFactory(), community=community)
    author = factories.resident(community, actor=admin_user)
    topic = deliberation_services.topic_raise(actor=author, community=community, title="更换楼道灯", body=BODY)
    for index in range(max(held, reports)):
        comment = Comment.objects.create(topic=topic, author=author, body="同意", held=index < held)
        if index < reports:
            CommentReport.objects.create(comment=comment, reporter=factories.UserFactory(), reason="广告")
    for _ in range(objections):
        Objection.objects.create(topic=topic, author=author, body="不同意这样改")
    Objection.objects.create(topic=topic, author=author, body="已答复", answer="已答复", answered_by=admin_user,
                             answered_at=timezone.now())  # fmt: skip
    overdue_topics = [topic] + [
        deliberation_services.topic_raise(actor=author, community=community, title=f"议题{i}", body=BODY)
        for i in range(overdue - 1)
    ]
    Topic.objects.filter(pk__in=[t.pk for t in overdue_topics[:overdue]]).update(
        step_due_at=timezone.now() - datetime.timedelta(days=1)
    )
    missing = Meeting.objects.create(
        community=community, starts_at=timezone.now() - datetime.timedelta(hours=2), location="议事厅"
    )
    AgendaItem.objects.create(meeting=missing, topic=topic, added_by=admin_user)
    Meeting.objects.create(
        community=community, starts_at=timezone.now() + datetime.timedelta(days=2), location="议事厅"
    )
    Meeting.objects.create(
        community=community, starts_at=timezone.now() - datetime.timedelta(days=8), location="议事厅"
    )
    notice = Notice.objects.create(
        kind="deliberation.meeting_notice", community_key=community.pk, due_at=timezone.now()
    )
    for _ in range(failed):
        Delivery.objects.create(notice=notice, recipient=factories.UserFactory(), channel="sms", status="failed")
    Delivery.objects.create(notice=notice, recipient=factories.UserFactory(), channel="sms", status="sent")


@pytest.fixture
def queues(db, community, other_community, admin_user, time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)
    waiting(community, admin_user)
    waiting(other_community, admin_user, pending=3, held=2, reports=2, objections=2, overdue=2, failed=2)


def counts(user):
    return {str(line.label): line.count for line in work_queue(user)}


def test_the_clerk_sees_their_community_s_work_and_each_link_lists_it(queues, client, community, staff):
    lines = work_queue(staff)
    assert [line.count for line in lines] == [1, 1, 1, 1, 1, 1, 1]
    client.force_login(staff)
    for line in lines:
        response = client.get(line.url)
        assert response.status_code == 200, line.url
        assert response.context["cl"].result_count == line.count, (str(line.label), line.url)


def test_an_official_sees_their_area_and_a_superuser_everything(queues, community, other_community, admin_user):
    official = factories.official(district=other_community.street.district, actor=admin_user)
    assert [line.count for line in work_queue(official)] == [3, 2, 2, 2, 2, 1, 2]
    assert [line.count for line in work_queue(admin_user)] == [4, 3, 3, 3, 3, 2, 3]
    assert work_queue(factories.resident(community, actor=admin_user)) == []


def test_the_admin_index_shows_the_queue_in_few_queries(
    queues, client, community, staff, admin_user, django_assert_max_num_queries
):
    """One query per line, whatever is waiting: the page's count stays the same with more work."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff)
    client.get("/admin/")  # warm the session and the content types
    with CaptureQueriesContext(connection) as before:
        client.get("/admin/")
    waiting(community, admin_user, pending=4, held=3, reports=3, objections=3, overdue=3, failed=3)
    with django_assert_max_num_queries(len(before)):
        response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert len(before) <= 20
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "Residents waiting for verification" in html and "/admin/communities/residency/?status__exact=pending" in html
    )
    assert "This week&#x27;s meetings without attendance or votes" in html or "This week's meetings" in html


def test_a_meeting_with_its_records_leaves_the_queue(queues, community, staff, admin_user):
    meeting = Meeting.objects.get(community=community, agenda_items__isnull=False)
    council = [factories.council_member(community, actor=admin_user) for _ in range(3)]
    from deliberation.models import Attendance, Vote

    for member in council:
        Attendance.objects.create(meeting=meeting, member=member, status="present", recorded_by=staff)
    label = "This week's meetings without attendance or votes"
    assert counts(staff)[label] == 1  # attendance, but the vote is missing
    item = meeting.agenda_items.get()
    Vote.objects.create(agenda_item=item, votes_for=3, votes_against=0, abstentions=0, present=3, council_size=3,
                        quorum_met=True, passed=True, recorded_by=staff)  # fmt: skip
    assert counts(staff)[label] == 0


def test_the_evaluator_sees_the_hand_scores_a_round_still_lacks(client, community, other_community, admin_user):
    from surveys import services as survey_services
    from surveys.models import Engagement, Indicator

    evaluator = factories.evaluator(actor=admin_user)
    engagement = survey_services.engagement_create(
        actor=admin_user,
        evaluator=evaluator,
        scope=Engagement.Scope.COMMUNITIES,
        communities=[community, other_community],
    )
    evaluation_round = survey_services.round_create(
        actor=evaluator, engagement=engagement, title="年度评估", period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30), indicators=[{"name": "工作清单与创新", "source": Indicator.MANUAL, "weight": 1}],
    )  # fmt: skip
    survey_services.score_set(
        actor=evaluator, indicator=evaluation_round.indicators.get(), community=community, value=70, evidence="台账"
    )
    [line] = work_queue(evaluator)
    assert line.count == 1 and "年度评估" in str(line.label)
    client.force_login(evaluator)
    assert client.get(line.url).status_code == 200
    assert "年度评估" in client.get("/admin/").content.decode()
