"""The officials' dashboard figures, each against a value worked out by hand on a small town
set up through the services (time moved with time_machine so that steps take days).

The town: district 武侯区 with streets 玉林 (communities A and B) and 浆洗街 (C); district
蒲江县 with street 鹤山 (F). Nine verified residents: a1-a4 in A, b1-b2 in B, c1 in C, f1-f2 in F.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone, translation

from civic import dashboard
from communities import services as community_services
from communities.models import BodyKind, Community, Education, Post, Stage, Typology
from deliberation import services as deliberation_services
from deliberation.models import AgendaItem, Rating, Topic, TopicCategory
from deliberation.workflow import Step
from notifications import services as notice_services
from surveys import services as survey_services
from surveys.models import Engagement, Indicator, ReadyMade, Scope
from surveys.selectors import indicator_values
from tests import factories

pytestmark = pytest.mark.django_db

BODY = "楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"
IMPRESSION_KEYS = ("party_organisation", "residents_committee", "deliberation_council", "service_centre")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _answers(survey, picks):
    questions = {q.key: q for q in survey.questions.prefetch_related("choices")}
    answers = []
    for key, pick in picks.items():
        question = questions[key]
        if question.kind == "scale":
            answers.append({"question": question.pk, "value": pick})
        else:
            choice = next(c for c in question.choices.all() if c.value == pick)
            answers.append({"question": question.pk, "choices": [choice.pk]})
    return answers


def _impressions(*values):
    return dict(zip(IMPRESSION_KEYS, values))


@pytest.fixture
def town(db, admin_user, time_machine):
    now = timezone.now().replace(microsecond=0)

    def at(days, **delta):
        return now + datetime.timedelta(days=days, **delta)

    def go(moment):
        time_machine.move_to(moment, tick=False)

    go(at(-500))
    d1 = factories.DistrictFactory(name="武侯区")
    d2 = factories.DistrictFactory(name="蒲江县", ring=3)
    s1 = factories.StreetFactory(district=d1, name="玉林街道")
    s2 = factories.StreetFactory(district=d1, name="浆洗街街道")
    s3 = factories.StreetFactory(district=d2, name="鹤山街道")
    a = factories.CommunityFactory(
        street=s1, name="玉林东路社区", typology=Typology.OLD_NEIGHBOURHOOD, stage=Stage.URBAN
    )
    b = factories.CommunityFactory(
        street=s1, name="倪家桥社区", typology=Typology.COMMERCIAL_HOUSING, stage=Stage.URBAN
    )
    c = factories.CommunityFactory(street=s2, name="洗面桥社区", typology=Typology.RURAL, stage=Stage.RURAL)
    f = factories.CommunityFactory(street=s3, name="明月村", typology=Typology.WORK_UNIT, stage=Stage.PERI_URBAN)
    admin = admin_user
    people = {}
    for name, community in (
        ("a1", a), ("a2", a), ("a3", a), ("a4", a), ("b1", b), ("b2", b), ("c1", c), ("f1", f), ("f2", f)
    ):  # fmt: skip
        people[name] = factories.resident(community, actor=admin, username=name)
    p = SimpleNamespace(**people)
    staff_a = factories.staff_member(a, actor=admin, username="staff_a")
    staff_b = factories.staff_member(b, actor=admin, username="staff_b")
    evaluator = factories.evaluator(actor=admin, username="evaluator")

    # Cadres: p1 holds posts in two of A's bodies; p5's term in A's centre ended last year.
    year = now.year
    cadre = {
        "p1": factories.UserFactory(username="p1", birth_year=year - 60, education=Education.JUNIOR_COLLEGE),
        "p2": factories.UserFactory(username="p2", birth_year=year - 40, education=Education.BACHELOR),
        "p3": factories.UserFactory(username="p3", birth_year=year - 55, education=Education.SENIOR_SECONDARY),
        "p4": factories.UserFactory(username="p4", birth_year=year - 30, education=Education.PRIMARY),
        "p5": factories.UserFactory(username="p5", birth_year=year - 70, education=Education.PRIMARY),
    }
    bodies = {
        kind: community_services.body_create(
            actor=admin, community=community, kind=kind, name=f"{community.name}{kind}"
        )
        for kind, community in (
            (BodyKind.PARTY_ORGANISATION, a),
            (BodyKind.RESIDENTS_COMMITTEE, a),
            (BodyKind.SERVICE_CENTRE, a),
            (BodyKind.DELIBERATION_COUNCIL, b),
        )
    }
    today = now.date()
    for kind, person, post, end in (
        (BodyKind.PARTY_ORGANISATION, "p1", Post.SECRETARY, None),
        (BodyKind.PARTY_ORGANISATION, "p2", Post.MEMBER, None),
        (BodyKind.RESIDENTS_COMMITTEE, "p1", Post.DIRECTOR, None),
        (BodyKind.RESIDENTS_COMMITTEE, "p3", Post.STAFF, None),
        (BodyKind.DELIBERATION_COUNCIL, "p4", Post.MEMBER, None),
        (BodyKind.SERVICE_CENTRE, "p5", Post.DIRECTOR, today - datetime.timedelta(days=200)),
    ):
        community_services.membership_add(
            actor=admin, body=bodies[kind], user=cadre[person], post=post,
            term_start=today - datetime.timedelta(days=400), term_end=end,
        )  # fmt: skip

    # An activity of a year and more ago (outside the period), then two in the period.
    def activity(days, attendees):
        go(at(days - 5))
        published = survey_services.activity_publish(
            actor=staff_b, community=b, theme="活动", category="culture",
            starts_at=at(days), ends_at=at(days, hours=2), place="活动室", capacity=10,
        )  # fmt: skip
        go(at(days, hours=1))
        survey_services.attendance_record(actor=staff_b, activity=published, users=attendees)

    activity(-400, [p.b2])
    activity(-45, [p.b1, p.b2])
    activity(-30, [p.b1])

    # Meetings: m1 noticed five days ahead, m2 called at short notice, m3 cancelled.
    def noticed_with_an_agenda(meeting):
        # A meeting notice goes out only with an agenda; the item it carried is laid down and
        # removed again directly, so that the topic figures below stay as they are.
        topic = Topic.objects.create(community=a, title="议程", body=BODY, raised_by=staff_a, step=Step.REVIEW)
        item = AgendaItem.objects.create(meeting=meeting, topic=topic, added_by=staff_a)
        notice_services.notices_dispatch()
        item.delete()
        topic.delete()

    go(at(-30))
    m1 = deliberation_services.meeting_schedule(actor=staff_a, community=a, starts_at=at(-20), location="议事厅")
    go(at(-25, seconds=30))
    noticed_with_an_agenda(m1)
    go(at(-22))
    registration, _created = deliberation_services.observer_register(actor=p.a2, meeting=m1)
    go(at(-20, minutes=5))
    deliberation_services.observer_check_in(actor=staff_a, registration=registration)
    go(at(-20, hours=2))
    deliberation_services.meeting_minutes_record(actor=staff_a, meeting=m1, minutes="会议纪要")
    go(at(-18))
    m3 = deliberation_services.meeting_schedule(actor=staff_a, community=a, starts_at=at(-15), location="议事厅")
    go(at(-17))
    deliberation_services.meeting_cancel(actor=staff_a, meeting=m3, reason="改期")
    go(at(-12))
    m2 = deliberation_services.meeting_schedule(actor=staff_a, community=a, starts_at=at(-10), location="议事厅")
    noticed_with_an_agenda(m2)
    go(at(-10, hours=2))
    deliberation_services.meeting_minutes_record(actor=staff_a, meeting=m2, minutes="会议纪要")

    # Topics, in time order.
    raise_topic = lambda who, where: deliberation_services.topic_raise(  # noqa: E731
        actor=who, community=where, title="换楼道灯", body=BODY, category=TopicCategory.PUBLIC_SPACE
    )
    go(at(-40))
    t4 = raise_topic(p.b1, b)  # stays in collect: due at -10, ten days overdue now
    go(at(-20))
    t1 = raise_topic(p.a1, a)
    go(at(-15))
    deliberation_services.topic_advance(actor=staff_a, topic=t1, to=Step.REVIEW)
    go(at(-12))
    deliberation_services.topic_advance(actor=staff_a, topic=t1, to=Step.ARCHIVE, note="不在议事会职权范围")
    go(at(-10))
    t2 = raise_topic(p.a1, a)
    go(at(-9))
    deliberation_services.topic_withdraw(actor=p.a1, topic=t2)
    go(at(-8))
    t3 = raise_topic(p.a1, a)
    go(at(-7))
    deliberation_services.comment_post(actor=p.a2, topic=t3, body="支持，早点换。")
    go(at(-6))
    t6 = raise_topic(p.a1, a)
    go(at(-5))
    deliberation_services.topic_advance(actor=staff_a, topic=t6, to=Step.REVIEW)
    go(at(-4))
    coming = deliberation_services.meeting_schedule(actor=staff_a, community=a, starts_at=at(3), location="议事厅")
    deliberation_services.agenda_add(actor=staff_a, meeting=coming, topic=t6)
    deliberation_services.topic_advance(actor=staff_a, topic=t6, to=Step.RESOLVE)
    go(at(-3))
    t5 = raise_topic(p.f1, f)
    go(at(-1))
    deliberation_services.topic_advance(actor=staff_a, topic=t3, to=Step.REVIEW)
    # Ratings of the outcome (step six): two in the period, one long before it.
    for who, score, days in ((p.a3, 4, -2), (p.a4, 5, -2), (p.a2, 2, -400)):
        Rating.objects.create(topic=t1, user=who, score=score, created_at=at(days))

    # Surveys: an older impressions survey (a3 and f1), then a newer one (a3, b1, c1) and the
    # participation survey (a1, b2).
    go(at(-61))
    old = survey_services.survey_launch_ready_made(
        actor=admin, kind=ReadyMade.IMPRESSIONS, scope=Scope.CITY, opens_at=at(-60), closes_at=at(-30)
    )
    go(at(-45))
    survey_services.response_submit(
        actor=p.a3, survey=old, answers=_answers(old, _impressions("poor", "poor", "poor", "poor"))
    )
    survey_services.response_submit(
        actor=p.f1, survey=old, answers=_answers(old, _impressions("good", "good", "good", "good"))
    )
    go(at(-6))
    new = survey_services.survey_launch_ready_made(
        actor=admin, kind=ReadyMade.IMPRESSIONS, scope=Scope.CITY, opens_at=at(-5), closes_at=at(20)
    )
    participation = survey_services.survey_launch_ready_made(
        actor=admin, kind=ReadyMade.PARTICIPATION, scope=Scope.CITY, opens_at=at(-5), closes_at=at(20)
    )
    go(at(-2))
    for who, picks in (
        (p.a3, ("good", "good", "poor", "dont_know")),
        (p.b1, ("good", "average", "good", "good")),
        (p.c1, ("dont_know", "dont_know", "dont_know", "dont_know")),
    ):
        survey_services.response_submit(actor=who, survey=new, answers=_answers(new, _impressions(*picks)))
    for who, bucket, knowledge, taking_part in ((p.a1, "1", 2, 1), (p.b2, "2-3", 4, 5)):
        picks = {
            "activities_last_year": bucket,
            "knowledge_satisfaction": knowledge,
            "taking_part_satisfaction": taking_part,
        }
        survey_services.response_submit(actor=who, survey=participation, answers=_answers(participation, picks))

    # Third-party evaluation of district 武侯区: A 80, C 70, B 60.
    engagement = survey_services.engagement_create(
        actor=admin, evaluator=evaluator, scope=Engagement.Scope.DISTRICT, district=d1, organisation="评估中心"
    )
    evaluation = survey_services.round_create(
        actor=evaluator, engagement=engagement, title="年度评估", period_start=today - datetime.timedelta(days=365),
        period_end=today, indicators=[{"name": "工作清单", "source": Indicator.MANUAL, "weight": 1}],
    )  # fmt: skip
    manual = evaluation.indicators.get()
    for community, score in ((a, 80), (b, 60), (c, 70)):
        survey_services.score_set(
            actor=evaluator, indicator=manual, community=community, value=score, evidence="台账齐全"
        )
    survey_services.round_publish(actor=evaluator, evaluation_round=evaluation)

    go(now)
    return SimpleNamespace(
        now=now, d1=d1, d2=d2, s1=s1, s2=s2, s3=s3, a=a, b=b, c=c, f=f, p=p, admin=admin,
        staff_a=staff_a, evaluator=evaluator, topics=SimpleNamespace(t1=t1, t2=t2, t3=t3, t4=t4, t5=t5, t6=t6),
        meetings=SimpleNamespace(m1=m1, m2=m2, m3=m3, coming=coming), round=evaluation,
        street_official=factories.official(street=s1, actor=admin, username="street_official"),
        district_official=factories.official(district=d1, actor=admin, username="district_official"),
        far_official=factories.official(district=d2, actor=admin, username="far_official"),
    )  # fmt: skip


def figures_for(user, **params):
    scope = dashboard.scope_for(user)
    area = dashboard.places(scope)
    filters = dashboard.DashboardFilterForm({k: str(v) for k, v in params.items()}, places=area).filters()
    return dashboard.dashboard(scope, filters, area, use_cache=False)


# Participation -----------------------------------------------------------------------------------


def test_participation_counts_each_kind_of_taking_part(town):
    participation = figures_for(town.admin)["participation"]
    assert participation["residents"] == 9
    assert {action: participation[action]["count"] for action in dashboard.ACTIONS} == {
        "commented": 1,  # a2
        "raised_topic": 3,  # a1, b1, f1
        "attended_meeting": 1,  # a2, checked in at the gallery
        "attended_activity": 2,  # b1, b2
        "answered_survey": 6,  # a1, a3, b1, b2, c1, f1
        "any": 7,  # all but a4 and f2
    }
    assert participation["any"]["percent"] == 77.78
    assert participation["commented"]["percent"] == 11.11


def test_took_part_means_one_thing_on_the_dashboard_and_in_the_evaluation(town):
    """The evaluation counted comments, gallery registrations and survey answers; the dashboard
    comments, topics raised, gallery check-ins, seats at the table, activities and answers.
    Both read communities.dashboard now: b2 (an activity and a survey) took part in both."""
    since, until = dashboard.default_period()
    rows = {row["id"]: row["took_part"] for row in figures_for(town.admin)["communities"]}
    communities = Community.objects.filter(pk__in=rows)
    rates = indicator_values(Indicator.PARTICIPATION_RATE, communities, since, until)
    assert rates == rows
    assert rows[town.b.pk] == 100.0


def test_activity_distribution_counts_attendance_in_the_period(town):
    activity = figures_for(town.admin)["activity_participation"]
    # b1 went twice, b2 once (and once more, 400 days ago), nobody else.
    assert activity["buckets"] == {"0": 7, "1": 1, "2-3": 1, "4-6": 0, "7+": 0}
    assert activity["under_2"] == 88.89
    assert activity["mean"] == 0.33


def test_a_shorter_period_counts_only_what_happened_in_it(town):
    since = (town.now - datetime.timedelta(days=35)).date().isoformat()
    figures = figures_for(town.admin, since=since)
    assert figures["activity_participation"]["buckets"]["1"] == 1  # b1's visit at -30
    assert figures["activity_participation"]["buckets"]["2-3"] == 0
    assert figures["participation"]["raised_topic"]["count"] == 2  # a1 and f1; b1 raised t4 at -40


# Deliberation -------------------------------------------------------------------------------------


def test_topics_by_step_funnel_and_outcomes(town):
    figures = figures_for(town.admin)
    assert figures["topics_raised"] == 6
    assert figures["topics_by_step"] == {
        "collect": 2, "review": 1, "resolve": 1, "publicize": 0, "implement": 0, "evaluate": 0, "archive": 2,
    }  # fmt: skip
    # t1 was rejected at review and t2 withdrawn in collect: both reached the archive, only t1 review.
    assert [(row["step"], row["count"], row["percent"]) for row in figures["funnel"]] == [
        ("collect", 6, 100.0),
        ("review", 3, 50.0),
        ("resolve", 1, 16.67),
        ("publicize", 0, 0.0),
        ("implement", 0, 0.0),
        ("evaluate", 0, 0.0),
        ("archive", 2, 33.33),
    ]
    assert figures["outcomes"] == {"pending": 4, "adopted": 0, "rejected": 1, "voted_down": 0, "withdrawn": 1}


def test_median_days_in_each_step_against_its_limit(town):
    days = {row["step"]: row for row in figures_for(town.admin)["step_days"]}
    # Collect: t1 5 days, t2 1, t3 7, t6 1 -> median 3. Review: t1 3 days, t6 1 -> median 2.
    assert (days["collect"]["stays"], days["collect"]["median_days"], days["collect"]["limit_days"]) == (4, 3.0, 30.0)
    assert (days["review"]["stays"], days["review"]["median_days"], days["review"]["limit_days"]) == (2, 2.0, 15.0)
    assert days["collect"]["on_time_percent"] == 100.0
    assert days["resolve"] == {
        "step": "resolve",
        "stays": 0,
        "median_days": None,
        "limit_days": None,
        "on_time_percent": None,
    }


def test_overdue_topics_are_counted_and_listed(town):
    figures = figures_for(town.admin)
    assert figures["overdue"] == 1
    [overdue] = figures["overdue_topics"]
    assert (overdue["id"], overdue["step"], overdue["days_overdue"], overdue["community"]) == (
        town.topics.t4.pk, "collect", 10, "倪家桥社区",
    )  # fmt: skip
    assert overdue["url"] == f"/topics/{town.topics.t4.pk}/"


def test_meetings_notices_and_gallery(town):
    meetings = figures_for(town.admin)["meetings"]
    # m1 and m2 took place (m3 was cancelled, the next one is still to come).
    assert meetings["meetings"] == 2
    assert meetings["held"] == 2
    assert (meetings["on_time"], meetings["on_time_percent"]) == (1, 50.0)
    assert meetings["short_notice"] == 1
    assert meetings["not_noticed"] == 0
    assert (meetings["seats"], meetings["taken"], meetings["seats_used_percent"], meetings["checked_in"]) == (
        40,
        1,
        2.5,
        1,
    )


# Satisfaction -------------------------------------------------------------------------------------


def test_good_impressions_come_from_each_communitys_latest_survey(town):
    figures = figures_for(town.admin)
    # A, B and C answered the newer survey; F only the older one (f1: all good). a3's older,
    # all-poor answers are not counted: A's latest survey is the newer one.
    assert figures["satisfaction_by_body"] == {
        "party_organisation": 75.0,
        "residents_committee": 50.0,
        "deliberation_council": 50.0,
        "service_centre": 50.0,
    }
    assert figures["impressions"]["party_organisation"] == {"good": 3, "answered": 4, "percent": 75.0}


def test_information_satisfaction_and_outcome_ratings(town):
    figures = figures_for(town.admin)
    information = figures["information_satisfaction"]
    assert information["knowledge_satisfaction"] == {
        "answered": 2, "mean": 3.0, "distribution": {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}, "satisfied": 50.0, "dissatisfied": 50.0,
    }  # fmt: skip
    assert information["taking_part_satisfaction"]["mean"] == 3.0
    assert information["reported_activities"]["under_2"] == 50.0
    assert figures["outcome_ratings"] == {
        "count": 2, "mean": 4.5, "distribution": {1: 0, 2: 0, 3: 0, 4: 1, 5: 1}, "satisfied": 100.0,
    }  # fmt: skip


# Cadres -------------------------------------------------------------------------------------------


def test_cadres_by_age_education_and_body(town):
    cadres = figures_for(town.admin)["cadres"]
    # p1 (60, two posts), p2 (40), p3 (55), p4 (30); p5's term has ended.
    assert cadres["count"] == 4
    assert cadres["over_50"] == 50.0
    assert {key: band["count"] for key, band in cadres["age_bands"].items()} == {
        "under_35": 1, "35_50": 1, "51_60": 2, "over_60": 0,
    }  # fmt: skip
    assert cadres["education"] == {
        "primary": 25.0, "junior_secondary": 0.0, "senior_secondary": 25.0, "junior_college": 25.0,
        "bachelor": 25.0, "postgraduate": 0.0,
    }  # fmt: skip
    assert cadres["junior_college_or_below"] == 75.0
    by_body = {row["kind"]: row for row in cadres["by_body"]}
    assert (by_body["party_organisation"]["count"], by_body["party_organisation"]["over_50"]) == (2, 50.0)
    assert (by_body["residents_committee"]["count"], by_body["residents_committee"]["over_50"]) == (2, 100.0)
    assert (by_body["deliberation_council"]["count"], by_body["deliberation_council"]["over_50"]) == (1, 0.0)
    assert (by_body["service_centre"]["count"], by_body["service_centre"]["over_50"]) == (0, None)


# Typologies, stages, communities ------------------------------------------------------------------


def test_one_row_per_typology_and_per_stage(town):
    figures = figures_for(town.admin)
    typologies = {row["key"]: row for row in figures["typologies"]}
    assert list(typologies) == list(Typology.values)
    assert [row["key"] for row in figures["stages"]] == list(Stage.values)
    old = typologies["old_neighbourhood"]  # community A
    assert old == {
        "key": "old_neighbourhood", "communities": 1, "residents": 4, "took_part": 75.0, "under_2": 100.0,
        "topics": 4, "adopted": 0.0, "overdue": 0, "rating_mean": 4.5, "good_committee": 100.0,
        "good_council": 0.0, "cadres_over_50": 66.67,
    }  # fmt: skip
    assert typologies["mixed_function"]["communities"] == 0
    assert typologies["mixed_function"]["took_part"] is None
    urban = next(row for row in figures["stages"] if row["key"] == "urban")  # A and B
    assert (urban["communities"], urban["residents"], urban["overdue"]) == (2, 6, 1)


def test_filters_narrow_every_figure(town):
    figures = figures_for(town.admin, typology="commercial_housing")  # community B alone
    assert [row["name"] for row in figures["communities"]] == ["倪家桥社区"]
    assert figures["residents"] == 2
    assert figures["topics_by_step"]["collect"] == 1
    assert figures["satisfaction_by_body"]["party_organisation"] == 100.0
    assert figures["cadres"]["count"] == 1
    staged = figures_for(town.admin, stage="rural")
    assert [row["name"] for row in staged["communities"]] == ["洗面桥社区"]
    by_street = figures_for(town.admin, district=town.d1.pk, street=town.s2.pk)
    assert [row["name"] for row in by_street["communities"]] == ["洗面桥社区"]


# Evaluation --------------------------------------------------------------------------------------


def test_the_latest_rounds_ranking_within_the_area(town):
    evaluation = figures_for(town.admin)["evaluation"]
    assert evaluation["round"]["title"] == "年度评估"
    assert [(row["rank"], row["community"], row["total"]) for row in evaluation["ranking"]] == [
        (1, "玉林东路社区", 80.0), (2, "洗面桥社区", 70.0), (3, "倪家桥社区", 60.0),
    ]  # fmt: skip
    # The street official sees their two communities, with their ranks among all three.
    street = figures_for(town.street_official)["evaluation"]
    assert [(row["rank"], row["community"]) for row in street["ranking"]] == [(1, "玉林东路社区"), (3, "倪家桥社区")]
    assert figures_for(town.far_official)["evaluation"] is None


# Scope ----------------------------------------------------------------------------------------------


def test_each_official_reads_only_their_area(town):
    street = figures_for(town.street_official)
    assert {row["name"] for row in street["communities"]} == {"玉林东路社区", "倪家桥社区"}
    assert street["residents"] == 6
    district = figures_for(town.district_official)
    assert {row["name"] for row in district["communities"]} == {"玉林东路社区", "倪家桥社区", "洗面桥社区"}
    far = figures_for(town.far_official)
    assert [row["name"] for row in far["communities"]] == ["明月村"]
    assert far["residents"] == 2
    assert far["satisfaction_by_body"]["party_organisation"] == 100.0  # f1, older survey
    assert far["overdue"] == 0
    assert far["cadres"]["count"] == 0


@pytest.mark.parametrize(
    "params, error",
    [
        ({"typology": "castle"}, "typology"),
        ({"stage": "suburb"}, "stage"),
        ({"district": "abc"}, "district"),
        ({"street": "999999"}, "street"),
        ({"since": "2026-02-30"}, "since"),
        ({"since": "2026-05-01", "until": "2026-01-01"}, "until"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(town, params, error):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        figures_for(town.admin, **params)
    assert error in raised.value.message_dict


def test_a_street_of_another_district_is_refused(town):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        figures_for(town.far_official, street=town.s1.pk)
    with pytest.raises(PermissionDenied):
        figures_for(town.far_official, district=town.d1.pk)
    with pytest.raises(PermissionDenied):
        figures_for(town.street_official, street=town.s2.pk)
    with pytest.raises(ValidationError):
        figures_for(town.admin, district=town.d2.pk, street=town.s1.pk)


def test_residents_and_staff_have_no_scope(town):
    from django.core.exceptions import PermissionDenied

    for user in (town.p.a1, town.staff_a, town.evaluator):
        with pytest.raises(PermissionDenied):
            dashboard.scope_for(user)


# The cache -------------------------------------------------------------------------------------------


def test_figures_are_cached_at_most_five_minutes(town, time_machine, settings):
    # The clock is moved here, so the cache must be one whose clock it moves (Redis keeps its own).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    dashboard.cache.clear()
    settings.DASHBOARD_CACHE_SECONDS = 3600  # asked for more; five minutes is the most it keeps
    scope = dashboard.scope_for(town.admin)
    filters = dashboard.DashboardFilterForm({}, places=dashboard.places(scope)).filters()
    assert dashboard.dashboard(scope, filters)["residents"] == 9
    factories.resident(town.a, actor=town.admin)
    time_machine.move_to(town.now + datetime.timedelta(seconds=290), tick=False)
    assert dashboard.dashboard(scope, filters)["residents"] == 9
    time_machine.move_to(town.now + datetime.timedelta(seconds=301), tick=False)
    assert dashboard.dashboard(scope, filters)["residents"] == 10


@pytest.fixture
def eager_tasks():
    from civic.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_a_view_read_after_four_minutes_is_recomputed_in_the_background(
    town, time_machine, settings, eager_tasks, django_capture_on_commit_callbacks
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    dashboard.cache.clear()
    scope = dashboard.scope_for(town.admin)
    filters = dashboard.DashboardFilterForm({}, places=dashboard.places(scope)).filters()
    assert dashboard.dashboard(scope, filters)["residents"] == 9
    factories.resident(town.a, actor=town.admin)
    time_machine.move_to(town.now + datetime.timedelta(seconds=200), tick=False)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert dashboard.dashboard(scope, filters)["residents"] == 9
    assert not queued  # fresh enough: nothing queued
    time_machine.move_to(town.now + datetime.timedelta(seconds=250), tick=False)
    # This reader is served the cached figures at once and queues one refresh (run eagerly here)...
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert dashboard.dashboard(scope, filters)["residents"] == 9
        assert dashboard.dashboard(scope, filters)["residents"] == 9
    assert len(queued) == 1
    # ...so the next reader, still within the five minutes, reads the recomputed figures.
    assert dashboard.dashboard(scope, filters)["residents"] == 10


def test_beat_keeps_the_city_and_every_district_warm(town, time_machine, settings, monkeypatch):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    settings.DASHBOARD_KEEP_WARM = True
    dashboard.cache.clear()
    assert dashboard.keep_warm() == 3  # the city and its two districts
    assert dashboard.keep_warm() == 0  # all fresh: nothing computed twice

    # The first official of the day is served what beat computed, computing nothing.
    def refuse(*args, **kwargs):
        raise AssertionError("an official waited on a computation")

    with monkeypatch.context() as patched:
        patched.setattr(dashboard, "compute", refuse)
        assert {row["name"] for row in figures_for_cached(town.district_official)["communities"]} == {
            "玉林东路社区",
            "倪家桥社区",
            "洗面桥社区",
        }
        assert figures_for_cached(town.admin)["residents"] == 9

    factories.resident(town.a, actor=town.admin)
    time_machine.move_to(town.now + datetime.timedelta(seconds=130), tick=False)
    assert dashboard.keep_warm() == 0
    time_machine.move_to(town.now + datetime.timedelta(seconds=150), tick=False)
    assert dashboard.keep_warm() == 3  # refreshed a run early: the next run may come after expiry
    assert figures_for_cached(town.admin)["residents"] == 10


def test_keeping_warm_is_off_without_a_shared_cache(town, settings):
    settings.DASHBOARD_KEEP_WARM = False
    assert dashboard.keep_warm() == 0


def test_a_view_being_computed_elsewhere_is_left_to_it(town, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dash"}}
    settings.DASHBOARD_KEEP_WARM = True
    dashboard.cache.clear()
    filters = dashboard.Filters(*dashboard.default_period())
    city = dashboard._figures_key(dashboard.Scope(city=True), filters)
    dashboard.cache.add(f"{city}:refreshing", 1, 60)  # another worker holds the city view
    assert dashboard.keep_warm() == 2
    assert dashboard.cache.get(city) is None


def test_nothing_is_cached_longer_than_five_minutes(town, settings, monkeypatch):
    settings.DASHBOARD_CACHE_SECONDS = 3600
    timeouts = []
    original = dashboard.cache.set

    def recording(key, value, timeout=None, **kwargs):
        timeouts.append(timeout)
        return original(key, value, timeout, **kwargs)

    monkeypatch.setattr(dashboard.cache, "set", recording)
    figures_for_cached(town.admin)
    assert timeouts and all(0 < timeout <= 300 for timeout in timeouts)


@pytest.mark.redis
def test_redis_holds_the_figures_five_minutes_at_most(town):
    from django.core.cache import cache

    figures_for_cached(town.admin)
    client = cache._cache.get_client()
    keys = client.keys(cache.make_key("dashboard:*"))
    assert keys
    assert all(0 < client.ttl(key) <= 300 for key in keys)


def test_the_cache_never_serves_another_area_or_filter(town):
    street_scope = dashboard.scope_for(town.street_official)
    district_scope = dashboard.scope_for(town.district_official)
    assert street_scope.key != district_scope.key
    street = figures_for_cached(town.street_official)
    district = figures_for_cached(town.district_official)
    assert (street["residents"], district["residents"]) == (6, 7)
    assert figures_for_cached(town.district_official, typology="rural")["residents"] == 1
    assert figures_for_cached(town.district_official)["residents"] == 7


def figures_for_cached(user, **params):
    scope = dashboard.scope_for(user)
    area = dashboard.places(scope)
    filters = dashboard.DashboardFilterForm(params, places=area).filters()
    return dashboard.dashboard(scope, filters, area)


# Cost ------------------------------------------------------------------------------------------------

# places, residents, survey answers, topics, ratings, meetings, cadres, step days, overdue list,
# the latest round, and its ranking (indicators, communities, scores).
FIGURE_QUERIES = 13


def _grow(town, count):
    for index in range(count):
        community = factories.CommunityFactory(street=town.s1 if index % 2 else town.s2)
        resident = factories.resident(community, actor=town.admin)
        deliberation_services.topic_raise(actor=resident, community=community, title="增设座椅", body=BODY)


@pytest.mark.parametrize("communities", [5, 50])
def test_query_count_does_not_grow_with_communities(town, django_assert_num_queries, communities):
    _grow(town, communities - 4)
    scope = dashboard.scope_for(town.admin)
    with django_assert_num_queries(FIGURE_QUERIES):
        area = dashboard.places(scope)
        filters = dashboard.DashboardFilterForm({}, places=area).filters()
        figures = dashboard.dashboard(scope, filters, area, use_cache=False)
    assert len(figures["communities"]) == communities
