"""A community with everyone a deliberation needs, and a helper that carries a topic through
the seven steps the way staff, the council and residents would: through the services."""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone, translation

from communities import services as community_services
from communities.models import BodyKind, Post
from deliberation import services
from deliberation.models import Meeting, TopicCategory
from deliberation.workflow import Step
from tests import factories

BODY = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English source strings, whatever the catalogue holds."""
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def world(db, community, other_community, admin_user):
    district = community.street.district
    council = [factories.council_member(community, actor=admin_user) for _ in range(3)]
    supervisory = community_services.body_create(
        actor=admin_user, community=community, kind=BodyKind.SUPERVISORY_COMMITTEE, name=f"{community.name}监督委员会"
    )
    supervisor = factories.resident(community, actor=admin_user)
    community_services.membership_add(actor=admin_user, body=supervisory, user=supervisor, post=Post.MEMBER)
    return SimpleNamespace(
        community=community,
        other_community=other_community,
        superuser=admin_user,
        staff=factories.staff_member(community, actor=admin_user),
        other_staff=factories.staff_member(other_community, actor=admin_user),
        author=factories.resident(community, actor=admin_user),
        resident=factories.resident(community, actor=admin_user),
        outsider=factories.resident(other_community, actor=admin_user),
        council=council,
        supervisor=supervisor,
        supervisory=supervisory,
        official=factories.official(district=district, actor=admin_user),
        anonymous=AnonymousUser(),
    )


class Flow:
    """Moves a topic forward step by step, satisfying each guard; time is moved with time_machine."""

    def __init__(self, world, traveller):
        self.w = world
        self.traveller = traveller
        self.now = timezone.now().replace(microsecond=0)
        self.traveller.move_to(self.now, tick=False)

    def travel(self, **delta):
        self.now += datetime.timedelta(**delta)
        self.traveller.move_to(self.now, tick=False)

    def raise_topic(self, **overrides):
        fields = {"title": "更换楼道灯", "body": BODY, "category": TopicCategory.PUBLIC_SPACE, **overrides}
        return services.topic_raise(actor=self.w.author, community=self.w.community, **fields)

    def meeting(self, days=7, **fields):
        return services.meeting_schedule(
            actor=self.w.staff,
            community=self.w.community,
            starts_at=self.now + datetime.timedelta(days=days),
            location="社区议事厅",
            **fields,
        )

    def to_review(self, topic):
        return services.topic_advance(actor=self.w.staff, topic=topic, to=Step.REVIEW)

    def accept(self, topic, meeting=None):
        meeting = meeting or self.meeting()
        services.agenda_add(actor=self.w.staff, meeting=meeting, topic=topic)
        return services.topic_advance(actor=self.w.staff, topic=topic, to=Step.RESOLVE)

    def vote(self, topic, votes_for=3, votes_against=0, abstentions=0, present=None):
        item = topic.agenda_item()
        meeting = item.meeting
        if meeting.starts_at > self.now:
            self.now = meeting.starts_at
            self.traveller.move_to(self.now, tick=False)
        members = self.w.council if present is None else self.w.council[:present]
        if members:
            services.attendance_record(actor=self.w.staff, meeting=meeting, entries=dict.fromkeys(members, "present"))
        return services.vote_record(
            actor=self.w.staff,
            agenda_item=item,
            votes_for=votes_for,
            votes_against=votes_against,
            abstentions=abstentions,
            resolution="同意更换全部楼道灯，由物业在一个月内完成。",
        )

    def publicize(self, topic):
        return services.topic_advance(actor=self.w.staff, topic=topic, to=Step.PUBLICIZE)

    def end_publicity(self, topic):
        topic.refresh_from_db()
        self.now = max(self.now, topic.publicity_ends_at)
        self.traveller.move_to(self.now, tick=False)

    def implement(self, topic):
        self.end_publicity(topic)
        return services.topic_advance(actor=self.w.staff, topic=topic, to=Step.IMPLEMENT)

    def task(self, topic, **fields):
        fields = {
            "title": "更换楼道灯",
            "due_date": timezone.localdate() + datetime.timedelta(days=30),
            "supervisor": self.w.supervisor,
            "owner_user": self.w.staff,
            **fields,
        }
        return services.task_create(actor=self.w.staff, topic=topic, **fields)

    def finish_tasks(self, topic):
        if not topic.tasks.exists():
            self.task(topic)
        for task in topic.tasks.filter(done_at__isnull=True):
            services.progress_report(actor=self.w.staff, task=task, percent=100, note="已全部更换")

    def evaluate(self, topic):
        self.finish_tasks(topic)
        return services.topic_advance(actor=self.w.staff, topic=topic, to=Step.EVALUATE)

    def end_evaluation(self, topic):
        topic.refresh_from_db()
        self.now = max(self.now, topic.evaluation_ends_at)
        self.traveller.move_to(self.now, tick=False)

    def archive(self, topic):
        self.end_evaluation(topic)
        return services.topic_advance(actor=self.w.staff, topic=topic, to=Step.ARCHIVE, note="办结归档")

    def at(self, step, **raise_fields):
        """A fresh topic standing in `step` (adopted path; archive after all seven)."""
        topic = self.raise_topic(**raise_fields)
        path = [
            (Step.REVIEW, self.to_review),
            (Step.RESOLVE, self.accept),
            (Step.PUBLICIZE, lambda t: (self.vote(t), self.publicize(t))[1]),
            (Step.IMPLEMENT, self.implement),
            (Step.EVALUATE, self.evaluate),
            (Step.ARCHIVE, self.archive),
        ]
        for _target, move in path:
            if topic.step == step:
                break
            topic = move(topic)
            topic.refresh_from_db()
        return topic

    def ready_to_leave(self, source, target):
        """A topic in `source` whose guard for the move to `target` holds nothing back."""
        topic = self.at(source)
        if (source, target) == (Step.RESOLVE, Step.PUBLICIZE):
            self.vote(topic)
        elif (source, target) == (Step.RESOLVE, Step.ARCHIVE):
            self.vote(topic, votes_for=1, votes_against=2)
        elif (source, target) == (Step.PUBLICIZE, Step.IMPLEMENT):
            self.end_publicity(topic)
        elif (source, target) == (Step.REVIEW, Step.RESOLVE):
            services.agenda_add(actor=self.w.staff, meeting=self.meeting(), topic=topic)
        elif (source, target) == (Step.IMPLEMENT, Step.EVALUATE):
            self.finish_tasks(topic)
        elif (source, target) == (Step.EVALUATE, Step.ARCHIVE):
            self.end_evaluation(topic)
        topic.refresh_from_db()
        return topic


@pytest.fixture
def flow(world, time_machine):
    return Flow(world, time_machine)


def meeting_count(community):
    return Meeting.objects.filter(community=community).count()
