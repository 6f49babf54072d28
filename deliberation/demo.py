"""Demo deliberations: the deliberation step of `civic.demo.DEMO_STEPS`.

Small: the first community (lowest code) gets a topic standing in each of the seven steps, an
archived topic that went through all seven with its whole record (consultation, a deliberation
day with attendance and a vote, objections answered, tasks done, ratings), and archived topics
that were rejected, voted down and withdrawn. Everything is written through the services at
the moment it would have happened (`clock.travel`), so the trail is the one real use would
leave. Other communities get a few topics too, and every community its coming deliberation days.

Large: topics and comments in bulk up to 20,000 topics and 500,000 comments in all, each
topic with its hash chain (raised, comments, step changes) computed as the services would.
"""

import bisect
import csv
import datetime
import io
import json
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from communities.models import Body, BodyKind, Community, CommunityUserObjectPermission, Membership, Residency
from communities.permissions import MANAGE_COMMUNITY

from . import clock, services, trail
from .models import Comment, CouncilRules, Meeting, Topic, TopicCategory, TrailEntry, TrailKind
from .selectors import council_members
from .workflow import STEPS, TRANSITIONS, Outcome, Step

User = get_user_model()

SMALL, LARGE = "small", "large"
LARGE_TOPICS = 20_000
LARGE_COMMENTS = 500_000
# Topics the benchmarks open: each carries this many comments.
BENCH_TOPICS, BENCH_COMMENTS = 20, 300
CHUNK = 400


def seed(size, rng, fake, stdout):
    if size == SMALL:
        return _seed_small(rng, fake, stdout)
    return _seed_large(rng, fake, stdout)


# The small demo: a story told through the services --------------------------------------

_OPINIONS = (
    "支持，这件事拖了很久了。",
    "建议先征求一楼住户的意见。",
    "费用从哪里出？希望公开预算。",
    "我家老人晚上出门不方便，盼早点解决。",
    "可以请物业先拿个方案出来。",
    "同意，另外希望施工避开午休时间。",
    "上次类似的事情处理得很好，这次也相信议事会。",
    "有没有更省钱的办法？",
    "希望完工后能公示验收结果。",
    "我愿意当志愿者帮忙。",
)


class _Story:
    def __init__(self, community, rng, fake):
        self.community = community
        self.rng = rng
        self.fake = fake
        self.now = clock.now()
        # Day 0 is yesterday, so that every moment of the story lies in the past.
        self.today = timezone.localtime(self.now - datetime.timedelta(days=1)).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        users = {u.username: u for u in User.objects.filter(username__in=["staff", "council", "resident", "resident2"])}
        self.staff = users.get("staff") or _staff_of(community)[0]
        verified = list(
            User.objects.filter(residencies__community=community, residencies__status=Residency.Status.VERIFIED)
            .exclude(pk=self.staff.pk)
            .order_by("pk")
        )
        self.resident = users.get("resident") or verified[0]
        self.resident2 = users.get("resident2") or verified[1]
        self.council = list(council_members(community))
        self.council_account = users.get("council") or self.council[0]
        named = {self.resident.pk, self.resident2.pk, self.council_account.pk}
        others = [u for u in verified if u.pk not in named]
        self.residents = [self.resident, self.resident2, *rng.sample(others, min(12, len(others)))]
        bodies = {b.kind: b for b in Body.objects.filter(community=community)}
        self.committee = bodies.get(BodyKind.RESIDENTS_COMMITTEE)
        self.property = bodies.get(BodyKind.PROPERTY_MANAGEMENT) or self.committee
        supervisory = bodies.get(BodyKind.SUPERVISORY_COMMITTEE)
        self.supervisors = list(
            User.objects.filter(memberships__in=Membership.objects.current().filter(body=supervisory)).order_by("pk")
        )

    def day(self, days, hour=10, minute=0):
        return self.today + datetime.timedelta(days=days, hours=hour - 10, minutes=minute)

    def at(self, moment):
        return clock.travel(moment)

    def raise_topic(self, when, author, title, body, category, **extra):
        with self.at(when):
            return services.topic_raise(
                actor=author, community=self.community, title=title, body=body, category=category, **extra
            )

    def consult(self, topic, start, count, *, until=None):
        """Residents comment (some replies) and support the topic over the days after `start`."""
        comments = []
        moment = start
        for _ in range(count):
            moment += datetime.timedelta(hours=self.rng.randint(2, 20), minutes=self.rng.randint(0, 59))
            if until is not None and moment >= until:
                break
            author = self.rng.choice(self.residents)
            parent = self.rng.choice(comments) if comments and self.rng.random() < 0.3 else None
            with self.at(moment):
                comments.append(
                    services.comment_post(actor=author, topic=topic, body=self.rng.choice(_OPINIONS), parent=parent)
                )
                if self.rng.random() < 0.6:
                    services.support_give(actor=author, topic=topic)
        return comments

    def advance(self, when, topic, to, note=""):
        with self.at(when):
            return services.topic_advance(actor=self.staff, topic=topic, to=to, note=note)

    def accept(self, when, topic, meeting):
        with self.at(when):
            services.agenda_add(actor=self.staff, meeting=meeting, topic=topic)
            return services.topic_advance(actor=self.staff, topic=topic, to=Step.RESOLVE, note="列入议事日议程")

    def extra_meeting(self, when, starts_at):
        with self.at(when):
            return services.meeting_schedule(
                actor=self.staff, community=self.community, starts_at=starts_at, location="社区党群服务中心二楼议事厅"
            )

    def deliberation_day_after(self, moment):
        return (
            Meeting.objects.filter(
                community=self.community,
                is_deliberation_day=True,
                status=Meeting.Status.SCHEDULED,
                starts_at__gt=moment,
            )
            .order_by("starts_at")
            .first()
        )

    def hold(self, meeting, topic, *, adopted, resolution, minutes=None):
        """The meeting: council attendance, the vote on `topic`, the minutes."""
        present = self.council[:-1] if len(self.council) > 3 else self.council
        start = meeting.starts_at
        with self.at(start + datetime.timedelta(minutes=5)):
            entries = dict.fromkeys(present, "present")
            entries.update({m: "excused" for m in self.council if m not in present})
            services.attendance_record(actor=self.staff, meeting=meeting, entries=entries)
        counts = (len(present) - 2, 1, 1) if adopted else (2, len(present) - 3, 1)
        with self.at(start + datetime.timedelta(hours=1)):
            services.vote_record(
                actor=self.staff,
                agenda_item=topic.agenda_item(),
                votes_for=counts[0],
                votes_against=counts[1],
                abstentions=counts[2],
                resolution=resolution,
            )
        with self.at(start + datetime.timedelta(hours=2)):
            services.meeting_minutes_record(
                actor=self.staff,
                meeting=meeting,
                minutes=minutes
                or f"应到议事会成员{len(self.council)}人，实到{len(present)}人。审议议题：{topic.title}。",
            )

    def object_and_answer(self, topic, lodged, answered=None):
        with self.at(lodged):
            objection = services.objection_lodge(
                actor=self.resident2, topic=topic, body="施工期间噪音和粉尘怎么控制？希望提前告知具体时间。"
            )
        if answered:
            with self.at(answered):
                services.objection_answer(
                    actor=self.staff,
                    objection=objection,
                    answer="施工安排在工作日9:00-17:00，开工前三天在楼道张贴通知，并由监督委员会现场监督。",
                )
        return objection

    def tasks(self, topic, when, due_days=30):
        with self.at(when):
            supervisor = self.supervisors[0]
            first = services.task_create(
                actor=self.staff,
                topic=topic,
                title="制定实施方案并组织施工",
                owner_body=self.property,
                supervisor=supervisor,
                due_date=timezone.localdate(when) + datetime.timedelta(days=due_days),
            )
            second = services.task_create(
                actor=self.staff,
                topic=topic,
                title="完工验收并公示结果",
                owner_user=self.staff,
                supervisor=self.supervisors[-1],
                due_date=timezone.localdate(when) + datetime.timedelta(days=due_days + 10),
            )
        return first, second

    def report(self, task, when, percent, note):
        with self.at(when):
            return services.progress_report(actor=self.staff, task=task, percent=percent, note=note)

    def rate(self, topic, start, people):
        for index, person in enumerate(people):
            with self.at(start + datetime.timedelta(hours=7 * index + 1)):
                services.rating_give(
                    actor=person,
                    topic=topic,
                    score=self.rng.choices([5, 4, 3, 2], weights=[5, 4, 2, 1])[0],
                    comment=self.rng.choice(["", "", "效果不错", "速度可以再快些", "满意"]),
                )

    def close_past_deliberation_days(self):
        """Deliberation days that have passed were held: their minutes are on record."""
        past = Meeting.objects.filter(
            community=self.community, status=Meeting.Status.SCHEDULED, starts_at__lt=self.now
        ).order_by("starts_at")
        for meeting in past:
            with self.at(meeting.starts_at + datetime.timedelta(hours=2)):
                services.meeting_minutes_record(
                    actor=self.staff,
                    meeting=meeting,
                    minutes="本月议事日无待表决议题；通报社区近期工作，听取居民意见。",
                )


def _seed_small(rng, fake, stdout):
    first = Community.objects.order_by("code").first()
    if first is None or Topic.objects.filter(community=first).exists():
        return {}
    story = _Story(first, rng, fake)
    d = story.day
    # The scheduler kept the deliberation days created all along.
    services.deliberation_days_ensure(community_ids=[first.pk], months=5, now=d(-161))

    archived = _told_in_full(story)
    _voted_down(story)
    _rejected_and_withdrawn(story)
    _in_evaluation(story)
    _in_implementation(story)
    _in_publicity(story)
    story.close_past_deliberation_days()
    # From here on: now, with the coming deliberation days in place.
    services.deliberation_days_ensure(community_ids=[first.pk])
    _waiting_for_the_vote(story)
    _in_review_and_collecting(story)
    _meeting_notices_as_history(first)
    others = _other_communities(rng)
    meetings = services.deliberation_days_ensure()
    counts = Topic.objects.filter(community=first).values("step").annotate(n=Count("pk"))
    missing = {s.value for s in STEPS} - {row["step"] for row in counts}
    if missing:
        raise AssertionError(f"The demo must hold a topic in every step; none in {sorted(missing)}.")
    if archived.step != Step.ARCHIVE:
        raise AssertionError("The demo's full story must end in the archive.")
    return {
        "topics": Topic.objects.count(),
        "topics in other communities": others,
        "comments": Comment.objects.count(),
        "trail entries": TrailEntry.objects.count(),
        "deliberation days ahead": meetings,
    }


def _meeting_notices_as_history(community):
    """The story's meeting notices went out when they were due, as the dispatcher would have
    sent them then: a notice due before now is recorded as dispatched at its due time (its
    in-app deliveries sent and read then); a notice still to come stays pending for the real dispatcher."""
    from django.conf import settings
    from django.utils import translation

    from notifications.models import Delivery, Notice
    from notifications.registry import registry

    from . import notices

    now = timezone.now()
    due = Notice.objects.filter(
        kind__in=notices.MEETING_KINDS,
        status=Notice.Status.PENDING,
        due_at__lte=now,
        subject_id__in=Meeting.objects.filter(community=community).values("pk"),
    ).order_by("due_at", "pk")
    for notice in due:
        meeting = Meeting.objects.filter(pk=notice.subject_id).select_related("community").first()
        if meeting is None:
            continue
        kind = registry.get(notice.kind)
        if notice.kind == notices.MEETING_NOTICE:
            # Laid down by the seed, a notice may carry the seed's own time: it was due at the
            # lead time before the meeting, or at once if the meeting was called later than that.
            notice.due_at = max(meeting.notice_at, min(meeting.created_at, meeting.starts_at))
            notice.short_notice = notice.due_at > meeting.notice_at
            notice.save(update_fields=["due_at", "short_notice"])
        content = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                content[code] = kind.content(meeting, notice).as_dict()
        notice.status, notice.dispatched_at, notice.content = Notice.Status.DISPATCHED, notice.due_at, content
        notice.save(update_fields=["status", "dispatched_at", "content"])
        Delivery.objects.bulk_create(
            Delivery(
                notice=notice,
                recipient=user,
                channel=Delivery.Channel.IN_APP,
                status=Delivery.Status.SENT,
                attempts=1,
                sent_at=notice.due_at,
                read_at=notice.due_at,
                available_at=notice.due_at,
                created_at=notice.due_at,
            )
            for user in kind.recipients(meeting, notice).filter(is_active=True)
        )


def _told_in_full(story):
    """Raised, consulted, reviewed, voted on a deliberation day, publicized with an objection
    answered, implemented, rated and archived."""
    d = story.day
    topic = story.raise_topic(
        d(-158),
        story.resident,
        "更换3栋楼道感应灯并加装扶手",
        "3栋楼道的感应灯大部分已损坏，晚上漆黑一片；楼梯没有扶手，老人上下楼很不安全。"
        "建议更换全部感应灯，并在一至六楼加装不锈钢扶手。",
        TopicCategory.PUBLIC_SPACE,
    )
    story.consult(topic, d(-158), 14, until=d(-150))
    topic = story.advance(d(-150), topic, Step.REVIEW, "材料齐全，属于议事会职权范围")
    meeting = story.deliberation_day_after(d(-149))
    topic = story.accept(d(-149), topic, meeting)
    story.hold(
        meeting,
        topic,
        adopted=True,
        resolution="同意更换3栋全部楼道感应灯并加装扶手，费用从公共收益中列支，由物业在一个月内完成，监督委员会全程监督。",
    )
    day_after = meeting.starts_at + datetime.timedelta(days=1)
    topic = story.advance(day_after.replace(hour=9), topic, Step.PUBLICIZE, "决议在公示栏和平台公示7天")
    story.object_and_answer(topic, day_after + datetime.timedelta(days=1), day_after + datetime.timedelta(days=2))
    topic.refresh_from_db()
    start = topic.publicity_ends_at + datetime.timedelta(hours=1)
    topic = story.advance(start, topic, Step.IMPLEMENT, "公示期满，无未答复异议")
    first, second = story.tasks(topic, start + datetime.timedelta(hours=1))
    story.report(first, start + datetime.timedelta(days=10), 50, "感应灯已全部更换，扶手材料到场")
    story.report(first, start + datetime.timedelta(days=25), 100, "扶手安装完毕")
    story.report(second, start + datetime.timedelta(days=27), 100, "监督委员会验收合格，结果已公示")
    opened = start + datetime.timedelta(days=28)
    topic = story.advance(opened, topic, Step.EVALUATE, "开放居民测评")
    story.rate(topic, opened, [story.resident, story.resident2, story.council_account, *story.residents[2:9]])
    topic.refresh_from_db()
    return story.advance(topic.evaluation_ends_at + datetime.timedelta(hours=2), topic, Step.ARCHIVE, "办结归档")


def _voted_down(story):
    d = story.day
    topic = story.raise_topic(
        d(-110),
        story.resident2,
        "在中心花园增设露天麻将桌",
        "希望在中心花园的空地上摆放四张石桌，方便老人白天打牌下棋，丰富老年生活。",
        TopicCategory.CULTURE,
    )
    story.consult(topic, d(-110), 8, until=d(-104))
    topic = story.advance(d(-104), topic, Step.REVIEW)
    meeting = story.deliberation_day_after(d(-103))
    topic = story.accept(d(-103), topic, meeting)
    story.hold(meeting, topic, adopted=False, resolution="在中心花园增设四张石桌供居民休闲娱乐。")
    return story.advance(
        meeting.starts_at + datetime.timedelta(days=1), topic, Step.ARCHIVE, "表决未获通过，噪音扰民顾虑较多"
    )


def _rejected_and_withdrawn(story):
    d = story.day
    rejected = story.raise_topic(
        d(-100),
        story.residents[3],
        "要求开发商赔偿房屋渗水损失",
        "我家卫生间渗水到楼下，开发商一直推诿，要求社区出面让开发商赔偿全部损失。",
        TopicCategory.PROPERTY,
    )
    story.advance(d(-96), rejected, Step.REVIEW)
    story.advance(
        d(-92),
        rejected,
        Step.ARCHIVE,
        "属于个人与开发商之间的合同纠纷，不在议事会职权范围；已转介社区法律顾问提供咨询。",
    )
    withdrawn = story.raise_topic(
        d(-90),
        story.residents[4],
        "车库入口道闸经常失灵",
        "地下车库入口的道闸最近经常抬不起来，早高峰排队很长，希望尽快维修。",
        TopicCategory.PROPERTY,
    )
    story.consult(withdrawn, d(-90), 3, until=d(-86))
    with story.at(d(-85)):
        services.topic_withdraw(actor=story.residents[4], topic=withdrawn, note="物业已修好道闸，问题解决")


def _adopted_until(story, title, body, category, raised, meeting_at, author):
    d = story.day
    topic = story.raise_topic(d(raised), author, title, body, category)
    story.consult(topic, d(raised), 6, until=d(raised + 4))
    topic = story.advance(d(raised + 4), topic, Step.REVIEW)
    meeting = story.extra_meeting(d(raised + 5), d(meeting_at, hour=19))
    topic = story.accept(d(raised + 5, minute=30), topic, meeting)
    story.hold(meeting, topic, adopted=True, resolution=f"同意：{title}，由物业牵头实施，监督委员会监督。")
    return story.advance(meeting.starts_at + datetime.timedelta(hours=15), topic, Step.PUBLICIZE), meeting


def _in_evaluation(story):
    d = story.day
    topic, _meeting = _adopted_until(
        story,
        "小区东门增设非机动车充电桩",
        "电动车在楼道里充电存在严重火灾隐患，建议在东门停车棚增设二十个智能充电桩，按时收费。",
        TopicCategory.SAFETY,
        -80,
        -60,
        story.resident,
    )
    topic.refresh_from_db()
    start = topic.publicity_ends_at + datetime.timedelta(hours=2)
    topic = story.advance(start, topic, Step.IMPLEMENT)
    first, second = story.tasks(topic, start + datetime.timedelta(hours=1), due_days=40)
    story.report(first, d(-30), 60, "充电桩基座已浇筑")
    story.report(first, d(-12), 100, "二十个充电桩全部通电运行")
    story.report(second, d(-8), 100, "消防部门验收合格")
    topic = story.advance(d(-6), topic, Step.EVALUATE)
    story.rate(topic, d(-5), [story.resident2, *story.residents[2:6]])


def _in_implementation(story):
    d = story.day
    topic, _meeting = _adopted_until(
        story,
        "修补南区破损路面",
        "南区主干道有多处坑洼，雨天积水，老人和孩子容易摔倒，建议整体修补并完善排水。",
        TopicCategory.PUBLIC_SPACE,
        -55,
        -35,
        story.residents[5],
    )
    story.object_and_answer(topic, d(-33), d(-32))
    topic.refresh_from_db()
    start = topic.publicity_ends_at + datetime.timedelta(hours=2)
    topic = story.advance(start, topic, Step.IMPLEMENT)
    first, second = story.tasks(topic, start + datetime.timedelta(hours=1), due_days=45)
    story.report(first, d(-10), 30, "已完成路面勘测和预算")
    story.report(first, d(-2), 60, "一半路段已修补完成")


def _in_publicity(story):
    d = story.day
    topic, _meeting = _adopted_until(
        story,
        "规范小区宠物管理",
        "近来小区里不拴绳遛狗、宠物粪便不清理的情况较多，建议制定宠物文明公约并设置宠物便袋箱。",
        TopicCategory.ENVIRONMENT,
        -30,
        -3,
        story.residents[6],
    )
    story.object_and_answer(topic, d(-1))


def _waiting_for_the_vote(story):
    d = story.day
    topic = story.raise_topic(
        d(-20),
        story.council_account,
        "加装5栋电梯",
        "5栋是七层老楼，住了很多行动不便的老人。建议申请老旧小区加装电梯补贴，征求全体住户意见后加装电梯。",
        TopicCategory.PUBLIC_SPACE,
    )
    story.consult(topic, d(-20), 12, until=d(-12))
    story.advance(d(-12), topic, Step.REVIEW, "属于议事会职权范围，需全体住户协商")
    meeting = story.deliberation_day_after(story.now)
    services.agenda_add(actor=story.staff, meeting=meeting, topic=topic)
    services.topic_advance(actor=story.staff, topic=topic, to=Step.RESOLVE, note="列入本月议事日议程")
    for person in (story.resident, story.resident2, *story.residents[2:5]):
        services.observer_register(actor=person, meeting=meeting)


def _in_review_and_collecting(story):
    d = story.day
    review = story.raise_topic(
        d(-14),
        story.residents[7],
        "周末开设老年人智能手机课堂",
        "很多老人不会用手机挂号、缴费，建议社区每周六上午开设智能手机使用课堂，请志愿者授课。",
        TopicCategory.CARE,
    )
    story.consult(review, d(-14), 5, until=d(-4))
    story.advance(d(-3), review, Step.REVIEW)

    recent = story.raise_topic(
        d(-4),
        story.resident,
        "垃圾分类投放点增加洗手池",
        "垃圾分类后，大家投放厨余垃圾时手上容易弄脏，建议在每个投放点旁边增加一个洗手池。",
        TopicCategory.ENVIRONMENT,
    )
    comments = story.consult(recent, d(-4), 9, until=story.now)
    with story.at(d(0, hour=8)):
        abusive = services.comment_post(actor=story.residents[8], topic=recent, body="提这种建议的人脑子有问题")
    with story.at(d(0, hour=9)):
        services.comment_hide(actor=story.staff, comment=abusive, reason="含人身攻击内容，请文明发言")
    if comments:
        for index, reporter in enumerate(story.residents[9:12]):
            with story.at(d(0, hour=9, minute=10 + index)):
                if comments[-1].author_id != reporter.pk:
                    services.comment_report(actor=reporter, comment=comments[-1], reason="与议题无关")

    overdue = story.raise_topic(
        d(-45),
        story.resident2,
        "小区内设置快递集中收发点",
        "快递经常被放在单元门口丢失，建议在物业用房设置快递集中收发点，由志愿者值守。",
        TopicCategory.SERVICES,
    )
    story.consult(overdue, d(-45), 4, until=d(-40))


def _staff_of(community):
    ids = CommunityUserObjectPermission.objects.filter(
        content_object=community, permission__codename=MANAGE_COMMUNITY
    ).values("user_id")
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _other_communities(rng, limit=12):
    """A couple of topics in other communities: one still collecting views, one under review."""
    titles = (
        ("增加小区绿化带的座椅", TopicCategory.PUBLIC_SPACE),
        ("改善夜间巡逻", TopicCategory.SAFETY),
        ("开设四点半课堂", TopicCategory.CARE),
        ("整治楼顶违章搭建", TopicCategory.PROPERTY),
        ("组织邻里节活动", TopicCategory.CULTURE),
        ("规范共享单车停放", TopicCategory.ENVIRONMENT),
    )
    created = 0
    now = clock.now()
    for community in Community.objects.order_by("code")[1 : limit + 1]:
        staff = _staff_of(community)
        residents = list(
            User.objects.filter(
                residencies__community=community, residencies__status=Residency.Status.VERIFIED
            ).order_by("pk")[:20]
        )
        if not staff or len(residents) < 3:
            continue
        for index in range(2):
            title, category = rng.choice(titles)
            raised = now - datetime.timedelta(days=rng.randint(5, 25), hours=rng.randint(0, 8))
            with clock.travel(raised):
                topic = services.topic_raise(
                    actor=residents[index],
                    community=community,
                    title=title,
                    body=f"{title}：居民反映较多，希望社区和议事会研究解决，具体建议见评论区。",
                    category=category,
                )
            for offset, person in enumerate(rng.sample(residents, 3)):
                with clock.travel(raised + datetime.timedelta(hours=3 * offset + 1)):
                    services.comment_post(actor=person, topic=topic, body=rng.choice(_OPINIONS))
            if index == 1:
                with clock.travel(raised + datetime.timedelta(days=3)):
                    services.topic_advance(actor=staff[0], topic=topic, to=Step.REVIEW)
            created += 1
    return created


# The large demo: bulk rows with real hash chains ----------------------------------------

# (final step, outcome, weight): where the generated topics stand today.
_FATES = (
    (Step.COLLECT, Outcome.PENDING, 20),
    (Step.REVIEW, Outcome.PENDING, 8),
    (Step.RESOLVE, Outcome.PENDING, 7),
    (Step.PUBLICIZE, Outcome.ADOPTED, 5),
    (Step.IMPLEMENT, Outcome.ADOPTED, 10),
    (Step.EVALUATE, Outcome.ADOPTED, 5),
    (Step.ARCHIVE, Outcome.ADOPTED, 27),
    (Step.ARCHIVE, Outcome.REJECTED, 7),
    (Step.ARCHIVE, Outcome.VOTED_DOWN, 5),
    (Step.ARCHIVE, Outcome.WITHDRAWN, 6),
)
# Days a step usually takes (low, high).
_STEP_DAYS = {
    Step.COLLECT: (3, 35),
    Step.REVIEW: (2, 18),
    Step.RESOLVE: (8, 50),
    Step.PUBLICIZE: (7, 13),
    Step.IMPLEMENT: (15, 110),
    Step.EVALUATE: (14, 20),
}
_LARGE_TITLES = (
    "楼道照明改造",
    "增设电动车充电桩",
    "老旧小区加装电梯",
    "修补破损路面",
    "规范宠物管理",
    "垃圾分类投放点改造",
    "增设健身器材",
    "改善夜间巡逻",
    "开设四点半课堂",
    "老年人助餐服务",
    "整治违章搭建",
    "规范共享单车停放",
    "修缮屋面防水",
    "增设休闲座椅",
    "化粪池清掏",
    "二次供水改造",
    "小区绿化提升",
    "快递集中收发点",
)


def _path(step, outcome):
    """The steps a topic passed through to stand where it stands."""
    if outcome == Outcome.WITHDRAWN:
        return [Step.COLLECT, Step.ARCHIVE]
    if outcome == Outcome.REJECTED:
        return [Step.COLLECT, Step.REVIEW, Step.ARCHIVE]
    if outcome == Outcome.VOTED_DOWN:
        return [Step.COLLECT, Step.REVIEW, Step.RESOLVE, Step.ARCHIVE]
    return STEPS[: STEPS.index(step) + 1]


class _Rows:
    """Writes generated rows fast: COPY on PostgreSQL, executemany elsewhere. Ids are taken
    from the table's own sequence up front, so rows can point at each other before they exist."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"

    def ids(self, table, count):
        if count == 0:
            return []
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
                )
                return [row[0] for row in cursor.fetchall()]
            # The table name is one of the demo loader's own constants, quoted.
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # nosec B608
            first = cursor.fetchone()[0] + 1
            return list(range(first, first + count))

    def insert(self, table, columns, rows, nullable=()):
        if not rows:
            return
        with connection.cursor() as cursor:
            if self.postgres:
                buffer = io.StringIO()
                writer = csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n")
                writer.writerows(rows)
                buffer.seek(0)
                # The csv module writes None as "", which FORCE_NULL reads back as NULL.
                force_null = f", FORCE_NULL ({', '.join(nullable)})" if nullable else ""
                cursor.cursor.copy_expert(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force_null})", buffer
                )
                return
            adapt = connection.ops.adapt_datetimefield_value
            rows = [[adapt(v) if isinstance(v, datetime.datetime) else v for v in row] for row in rows]
            placeholders = ", ".join(["%s"] * len(columns))
            # Table and columns are the loader's own constants; the rows are bound parameters.
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)  # nosec B608


COMMENT_COLUMNS = ("id", "topic_id", "author_id", "parent_id", "body", "created_at", "hidden", "hidden_reason", "held")
TRAIL_COLUMNS = ("topic_id", "seq", "kind", "recorded_at", "actor_id", "data", "prev_hash", "hash")


class _Bulk:
    def __init__(self, rng, fake, now):
        self.rng = rng
        self.now = now
        self.sentences = [fake.sentence(nb_words=rng.randint(6, 16)) for _ in range(1500)] + list(_OPINIONS)
        self.rules = {r.community_id: r for r in CouncilRules.objects.all()}
        self.default_rules = CouncilRules()
        self.residents = defaultdict(list)
        for user_id, community_id in (
            Residency.objects.verified().values_list("user_id", "community_id").iterator(chunk_size=20000)
        ):
            self.residents[community_id].append(user_id)
        self.staff = defaultdict(list)
        for user_id, community_id in CommunityUserObjectPermission.objects.filter(
            permission__codename=MANAGE_COMMUNITY
        ).values_list("user_id", "content_object_id"):
            self.staff[community_id].append(user_id)

    def text(self, low=1, high=3):
        return "".join(self.rng.choice(self.sentences) for _ in range(self.rng.randint(low, high)))

    def topic(self, community_id):
        rng = self.rng
        step, outcome, _weight = rng.choices(_FATES, weights=[f[2] for f in _FATES])[0]
        path = _path(step, outcome)
        rules = self.rules.get(community_id, self.default_rules)
        durations = [datetime.timedelta(days=rng.uniform(*_STEP_DAYS[s])) for s in path[:-1]]
        current = path[-1]
        limit = rules.limit_days(current)
        # Time spent in the current step so far: now and then past its limit (overdue); the
        # archive holds topics closed over the past year or so.
        if current == Step.ARCHIVE:
            elapsed = datetime.timedelta(days=rng.uniform(1, 400))
        else:
            elapsed = datetime.timedelta(days=rng.uniform(0.2, limit * 1.4))
        created = self.now - elapsed - sum(durations, datetime.timedelta())
        entered = [created]
        for duration in durations:
            entered.append(entered[-1] + duration)
        title = rng.choice(_LARGE_TITLES)
        topic = Topic(
            community_id=community_id,
            title=title,
            body=f"{title}：{self.text(2, 4)}",
            category=rng.choice(TopicCategory.values),
            raised_by_id=rng.choice(self.residents[community_id]),
            step=current,
            outcome=outcome,
            created_at=created,
            step_entered_at=entered[-1],
            step_due_at=entered[-1] + datetime.timedelta(days=limit) if limit else None,
        )
        if Step.PUBLICIZE in path or outcome == Outcome.VOTED_DOWN:
            topic.resolution = f"同意{title}，由物业牵头实施，监督委员会监督。"
        if Step.PUBLICIZE in path:
            topic.publicity_ends_at = entered[path.index(Step.PUBLICIZE)] + datetime.timedelta(
                days=rules.publicity_days
            )
        if Step.EVALUATE in path:
            topic.evaluation_ends_at = entered[path.index(Step.EVALUATE)] + datetime.timedelta(
                days=rules.evaluation_days
            )
        if current == Step.ARCHIVE:
            topic.archived_at = entered[-1]
            if outcome in (Outcome.REJECTED, Outcome.WITHDRAWN, Outcome.VOTED_DOWN):
                topic.outcome_note = rng.choice(["不在议事会职权范围", "问题已自行解决", "表决未获通过"])
        topic._path = path
        topic._entered = entered
        # Consultation runs until the council votes (or the topic leaves before that).
        consulted = [s for s in path if s in (Step.COLLECT, Step.REVIEW, Step.RESOLVE)]
        end = entered[len(consulted)] if len(consulted) < len(path) else self.now
        topic._consultation = (created, min(end, self.now))
        return topic

    def comments(self, topic, count):
        """[(created_at, author_id, body, parent index or None)] in time order within the
        topic's consultation; about a quarter are replies to an earlier comment's thread."""
        rng = self.rng
        start, end = topic._consultation
        span = max((end - start).total_seconds(), 60)
        moments = sorted(start + datetime.timedelta(seconds=rng.uniform(1, span)) for _ in range(count))
        people = self.residents[topic.community_id]
        comments, threads = [], []
        for index, moment in enumerate(moments):
            parent = rng.choice(threads) if threads and rng.random() < 0.25 else None
            if parent is None:
                threads.append(index)
            comments.append((moment, rng.choice(people), self.text(), parent))
        return comments

    def chain(self, topic, comments, ids):
        """The topic's trail rows, as the services would have appended them."""
        staff = self.staff.get(topic.community_id) or [topic.raised_by_id]
        rules = self.rules.get(topic.community_id, self.default_rules)
        events = [
            (
                topic.created_at,
                0,
                TrailKind.RAISED,
                topic.raised_by_id,
                {
                    "community": topic.community_id,
                    "title": topic.title,
                    "body_sha256": trail.text_digest(topic.body),
                    "category": topic.category,
                    "raised_by_body": None,
                    "due": topic.created_at + datetime.timedelta(days=rules.limit_collect),
                },
            )
        ]
        for (moment, author_id, body, parent), comment_id in zip(comments, ids, strict=True):
            data = {
                "comment": comment_id,
                "parent": ids[parent] if parent is not None else None,
                "body_sha256": trail.text_digest(body),
            }
            events.append((moment, 1, TrailKind.COMMENT, author_id, data))
        path, entered = topic._path, topic._entered
        outcome = Outcome.PENDING
        for index in range(1, len(path)):
            source, target = path[index - 1], path[index]
            outcome = TRANSITIONS[(source, target)].outcome or outcome
            limit = rules.limit_days(target)
            actor = topic.raised_by_id if outcome == Outcome.WITHDRAWN else self.rng.choice(staff)
            data = {
                "from": source.value,
                "to": target.value,
                "note": topic.outcome_note if target == Step.ARCHIVE else "",
                "due": entered[index] + datetime.timedelta(days=limit) if limit else None,
                "outcome": outcome.value,
            }
            events.append((entered[index], 2, TrailKind.STEP, actor, data))
        events.sort(key=lambda e: (e[0], e[1]))
        rows, prev = [], trail.GENESIS
        for seq, (moment, _order, kind, actor_id, data) in enumerate(events, start=1):
            data = trail.jsonable(data)
            content = trail.payload(
                topic_id=topic.pk, seq=seq, kind=kind, recorded_at=moment, actor_id=actor_id, data=data
            )
            digest = trail.entry_hash(prev, content)
            rows.append(
                (topic.pk, seq, kind.value, moment, actor_id, json.dumps(data, ensure_ascii=False), prev, digest)
            )
            prev = digest
        return rows


def _comment_counts(rng, topics, total):
    """How many comments each topic gets: a long tail, a few busy ones, exactly `total` in all."""
    if topics == 0:
        return []
    pinned = min(BENCH_TOPICS, topics, total // BENCH_COMMENTS)
    rest = max(total - pinned * BENCH_COMMENTS, 0)
    weights = [rng.paretovariate(1.6) for _ in range(topics - pinned)]
    scale = rest / sum(weights) if weights else 0
    counts = [BENCH_COMMENTS] * pinned + [min(int(w * scale), 2000) for w in weights]
    # Hand out what rounding and the cap left over, one at a time.
    shortfall = total - sum(counts)
    index = pinned
    while shortfall > 0 and topics > pinned:
        counts[index] += 1
        shortfall -= 1
        index = index + 1 if index + 1 < topics else pinned
    return counts


def _seed_large(rng, fake, stdout):
    have = Topic.objects.count()
    if have >= LARGE_TOPICS:
        return {}
    services.deliberation_days_ensure()
    bulk = _Bulk(rng, fake, clock.now())
    rows = _Rows()
    communities = [c for c in Community.objects.order_by("code").values_list("pk", flat=True) if bulk.residents.get(c)]
    wanted = LARGE_TOPICS - have
    counts = _comment_counts(rng, wanted, max(LARGE_COMMENTS - Comment.objects.count(), 0))
    # Busier communities raise more topics: weight by how many residents each has.
    cumulative, running = [], 0
    for community_id in communities:
        running += len(bulk.residents[community_id])
        cumulative.append(running)

    made_topics = made_comments = made_entries = 0
    for start in range(0, wanted, CHUNK):
        chunk_counts = counts[start : start + CHUNK]
        topics = [
            bulk.topic(communities[bisect.bisect_right(cumulative, rng.randrange(running))]) for _ in chunk_counts
        ]
        Topic.objects.bulk_create(topics)
        generated = [bulk.comments(topic, count) for topic, count in zip(topics, chunk_counts, strict=True)]
        ids = iter(rows.ids(Comment._meta.db_table, sum(len(c) for c in generated)))
        comment_rows, trail_rows = [], []
        for topic, comments in zip(topics, generated, strict=True):
            topic_ids = [next(ids) for _ in comments]
            for (moment, author_id, body, parent), comment_id in zip(comments, topic_ids, strict=True):
                parent_id = topic_ids[parent] if parent is not None else None
                comment_rows.append((comment_id, topic.pk, author_id, parent_id, body, moment, False, "", False))
            trail_rows += bulk.chain(topic, comments, topic_ids)
        rows.insert(Comment._meta.db_table, COMMENT_COLUMNS, comment_rows, nullable=["parent_id"])
        rows.insert(TrailEntry._meta.db_table, TRAIL_COLUMNS, trail_rows, nullable=["actor_id"])
        made_topics += len(topics)
        made_comments += len(comment_rows)
        made_entries += len(trail_rows)
        if stdout is not None and (start // CHUNK) % 10 == 9:
            stdout.write(f"  deliberation: {made_topics:,} topics, {made_comments:,} comments so far")
    return {"topics": made_topics, "comments": made_comments, "trail entries": made_entries}
