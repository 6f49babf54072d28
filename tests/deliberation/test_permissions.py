"""Who may report an implementation task's progress: one rule (`task.report`), asked alike by
the service, the admin and the topic page (which once derived it by hand)."""

import datetime

import pytest
from django.utils import timezone

from communities import services as community_services
from communities.models import BodyKind, Post
from communities.permissions import can
from deliberation.workflow import Step
from tests import factories

PEOPLE = ["staff", "other_staff", "superuser", "owner", "body_member", "supervisor", "council", "resident", "anonymous"]


@pytest.fixture
def tasks(flow, world):
    """A task owned by a person and one owned by a body, both supervised by world.supervisor."""
    topic = flow.at(Step.IMPLEMENT)
    committee = community_services.body_create(
        actor=world.superuser, community=world.community, kind=BodyKind.RESIDENTS_COMMITTEE, name="居委会"
    )
    world.body_member = factories.resident(world.community, actor=world.superuser)
    community_services.membership_add(actor=world.superuser, body=committee, user=world.body_member, post=Post.MEMBER)
    world.owner = world.author
    return topic, {
        "person's": flow.task(topic, owner_user=world.owner),
        "body's": flow.task(topic, owner_user=None, owner_body=committee, title="修补路面"),
    }


def who(world, name):
    return world.council[0] if name == "council" else getattr(world, name)


# task -> who may report its progress.
ALLOWED = {
    "person's": {"staff", "superuser", "owner", "supervisor"},
    "body's": {"staff", "superuser", "body_member", "supervisor"},
}


@pytest.mark.parametrize("kind", sorted(ALLOWED))
def test_task_report_rule(world, tasks, kind):
    _topic, by_kind = tasks
    assert {name for name in PEOPLE if can(who(world, name), "task.report", by_kind[kind])} == ALLOWED[kind]


@pytest.mark.parametrize("name", ["staff", "owner", "body_member", "supervisor", "resident", "other_staff"])
def test_the_topic_page_offers_the_report_form_by_the_rule(client, world, tasks, name):
    topic, by_kind = tasks
    client.force_login(who(world, name))
    page = client.get(f"/topics/{topic.pk}/")
    offered = {task.pk for task in page.context["progress"]["tasks"] if task.may_report}
    assert offered == {task.pk for task in by_kind.values() if can(who(world, name), "task.report", task)}


def test_a_post_taken_or_ended_changes_the_answer_at_once(world, tasks):
    _topic, by_kind = tasks
    newcomer = factories.resident(world.community, actor=world.superuser)
    body = by_kind["body's"].owner_body
    assert not can(newcomer, "task.report", by_kind["body's"])
    today = timezone.localdate()
    membership = community_services.membership_add(
        actor=world.superuser, body=body, user=newcomer, post=Post.MEMBER, term_start=today - datetime.timedelta(days=9)
    )
    assert can(newcomer, "task.report", by_kind["body's"])
    community_services.membership_end(
        actor=world.superuser, membership=membership, on=today - datetime.timedelta(days=1)
    )
    assert not can(newcomer, "task.report", by_kind["body's"])
