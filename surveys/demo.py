"""Demo surveys, activities and evaluation: the figures the source article reports.

`seed` is the surveys step of `civic.demo.DEMO_STEPS`. The small size launches both
ready-made surveys city-wide and answers them so that the good-impression shares come out
as DOMAIN.md states (party organisation 63.35%, residents' committee 70.74%, deliberation
council 29.26%, service centre 39.2%); gives every community a year of activities with
attendance such that about 40% of residents took part fewer than twice; and adds two
surveys and an evaluation round in the first community's district. The demo accounts
`resident` and `resident2` have answered nothing, so a person can try.

The large size answers the same city-wide surveys from the large city's residents, up to
200,000 answers in all, and gives those residents their year of activities. Rows are
written in bulk; the shares are allocated exactly, then spread by typology and age.
"""

import datetime
import io
import math
import time
import uuid
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone, translation

from communities.demo import FIRST_COMMUNITY, SMALL
from communities.models import Body, BodyKind, Community, Residency, Typology

from . import ready_made, services
from .models import (
    Activity,
    ActivityCategory,
    ActivityRating,
    AgeBand,
    Answer,
    Attendance,
    Engagement,
    Indicator,
    Participation,
    QuestionKind,
    ReadyMade,
    Response,
    Scope,
    SignUp,
    Survey,
)

User = get_user_model()

LARGE_ANSWERS = 200_000
BATCH = 5000
# Nobody has answered for these accounts: whoever logs in with them can try.
UNANSWERED = ("resident", "resident2", "council", "outsider", "staff", "staff_other", "official", "evaluator", "admin")

# DOMAIN.md, "What the article measured": share with a good impression of each body, and how
# the rest is spread over average / poor / don't know.
GOOD_SHARES = {
    BodyKind.PARTY_ORGANISATION.value: (0.6335, (0.55, 0.12, 0.33)),
    BodyKind.RESIDENTS_COMMITTEE.value: (0.7074, (0.60, 0.15, 0.25)),
    BodyKind.DELIBERATION_COUNCIL.value: (0.2926, (0.33, 0.12, 0.55)),
    BodyKind.SERVICE_CENTRE.value: (0.392, (0.45, 0.15, 0.40)),
}
# Some typologies think better of a body than others; the city-wide share stays exact.
TYPOLOGY_WARMTH = {
    Typology.RURAL: 1.5,
    Typology.RESETTLEMENT: 1.2,
    Typology.WORK_UNIT: 1.25,
    Typology.OLD_NEIGHBOURHOOD: 1.1,
    Typology.AFFORDABLE_HOUSING: 1.0,
    Typology.MIXED_FUNCTION: 0.9,
    Typology.COMMERCIAL_HOUSING: 0.75,
    Typology.BUSINESS_DISTRICT: 0.7,
}
# Activities attended in the last twelve months: about 40% fewer than twice.
ACTIVITY_SHARES = (("0", 0.21), ("1", 0.19), ("2-3", 0.25), ("4-6", 0.23), ("7-or-more", 0.12))
# Satisfaction (1-5) with what one knows of community affairs and with how one can take part:
# dissatisfied on average, less so for those who take part often.
SATISFACTION = {
    ready_made.KNOWLEDGE_SATISFACTION: {
        "low": (0.30, 0.34, 0.22, 0.10, 0.04),
        "high": (0.12, 0.24, 0.30, 0.24, 0.10),
    },
    ready_made.TAKING_PART_SATISFACTION: {
        "low": (0.34, 0.34, 0.20, 0.08, 0.04),
        "high": (0.14, 0.28, 0.30, 0.20, 0.08),
    },
}

ACTIVITY_THEMES = {
    ActivityCategory.CULTURE: ("社区合唱团排练", "书法兴趣班", "川剧进社区", "邻里读书会", "社区摄影展"),
    ActivityCategory.SPORTS: ("广场舞联谊", "太极拳晨练", "社区乒乓球赛", "亲子趣味运动会"),
    ActivityCategory.VOLUNTEERING: ("楼道清洁志愿日", "关爱独居老人走访", "垃圾分类宣传志愿服务"),
    ActivityCategory.ELDERLY: ("老年人智能手机课堂", "长者生日会", "适老化改造讲座"),
    ActivityCategory.CHILDREN: ("四点半课堂", "暑期托管开营", "亲子手工坊"),
    ActivityCategory.LEARNING: ("防诈骗知识讲座", "家庭急救培训", "社区议事规则学习会"),
    ActivityCategory.HEALTH: ("义诊进社区", "高血压健康讲座", "中医养生咨询"),
    ActivityCategory.ENVIRONMENT: ("小区绿化认养", "阳台种植分享会", "河道清洁行动"),
    ActivityCategory.FESTIVAL: ("中秋邻里游园会", "端午包粽子", "春节写春联送福", "坝坝宴邻里节"),
}
# Themes held in one season only (months, in the local calendar): a demo activity takes one of
# these only when it falls in its season. Dragon Boat (端午, fifth lunar month) falls in late May
# or June, Mid-Autumn (中秋, eighth) in September or early October, Spring Festival in January or
# February; the summer day camp opens in July or August.
SEASONS = {
    "端午包粽子": (5, 6),
    "中秋邻里游园会": (9, 10),
    "春节写春联送福": (1, 2),
    "暑期托管开营": (7, 8),
}


def themes_for(category, month):
    """The themes of `category` that fit an activity held in `month`."""
    return [theme for theme in ACTIVITY_THEMES[category] if month in SEASONS.get(theme, range(1, 13))]


PLACES = ("社区党群服务中心多功能厅", "社区活动室", "小区中心广场", "社区文化院坝", "社区图书室", "便民服务中心二楼")


def seed(size, rng, fake, stdout):
    with translation.override("zh-hans"):
        if size == SMALL:
            return _Small(rng, stdout).run()
        return _Large(rng, stdout).run()


def _allocate(items, shares, rng):
    """Split items into groups of exactly the given shares (the remainder to the largest)."""
    items = list(items)
    rng.shuffle(items)
    counts = [math.floor(share * len(items)) for _key, share in shares]
    for index in sorted(range(len(counts)), key=lambda i: -(shares[i][1] * len(items) - counts[i]))[
        : len(items) - sum(counts)
    ]:
        counts[index] += 1
    groups, start = {}, 0
    for (key, _share), count in zip(shares, counts):
        groups[key] = items[start : start + count]
        start += count
    return groups


def _weighted_pick(people, count, weight, rng):
    """`count` people drawn without replacement, each with the given weight (Efraimidis-Spirakis)."""
    keyed = sorted(people, key=lambda person: -(rng.random() ** (1.0 / weight(person))))
    return keyed[:count], keyed[count:]


def _csv_text(value):
    return '"' + value.replace('"', '""') + '"'


def _csv_converter(sample):
    """How one column's values are written in COPY's CSV: found from a value of that column."""
    if isinstance(sample, str):
        return _csv_text
    if isinstance(sample, (datetime.date, datetime.datetime)):
        return datetime.date.isoformat if type(sample) is datetime.date else datetime.datetime.isoformat
    return str


def write_rows(model, columns, rows):
    """Insert plain rows fast: COPY on PostgreSQL, bulk_create elsewhere. `columns` are the
    fields' attnames, which are also their column names here."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        converters = []
        for index in range(len(columns)):
            sample = next((row[index] for row in rows if row[index] is not None), None)
            converters.append(_csv_converter(sample))
        buffer = io.StringIO()
        # None is written unquoted and empty, which COPY reads as NULL; text is always quoted.
        buffer.writelines(
            ",".join("" if v is None else convert(v) for v, convert in zip(row, converters)) + "\n" for row in rows
        )
        buffer.seek(0)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)", buffer)
        return
    model.objects.bulk_create([model(**dict(zip(columns, row))) for row in rows], batch_size=BATCH)


def _draw(distribution, rng):
    roll, running = rng.random(), 0.0
    for value, share in enumerate(distribution, start=1):
        running += share
        if roll < running:
            return value
    return len(distribution)


class _Loader:
    def __init__(self, rng, stdout):
        self.rng = rng
        self.stdout = stdout
        self.now = timezone.now()
        self.today = timezone.localdate()

    # People ------------------------------------------------------------------------------

    def residents(self, communities=None):
        residencies = Residency.objects.verified()
        if communities is not None:
            residencies = residencies.filter(community__in=communities)
        return [
            {
                "user": user_id,
                "community": community_id,
                "birth_year": birth_year,
                "typology": typology,
                "username": username,
            }
            for user_id, community_id, birth_year, typology, username in residencies.order_by("user_id").values_list(
                "user_id", "community_id", "user__birth_year", "community__typology", "user__username"
            )
        ]

    # Activities and attendance -----------------------------------------------------------

    def activity_counts(self, people):
        """How many activities each person attended in the last year, with the shares exact."""
        counts = {}
        for bucket, group in _allocate(people, ACTIVITY_SHARES, self.rng).items():
            for person in group:
                counts[person["user"]] = {
                    "0": 0,
                    "1": 1,
                    "2-3": self.rng.choice((2, 3)),
                    "4-6": self.rng.randint(4, 6),
                    "7-or-more": self.rng.randint(7, 11),
                }[bucket]
        return counts

    def activities_and_attendance(self, people, counts, operators, organisers, *, signups_too):
        rng = self.rng
        by_community = defaultdict(list)
        for person in people:
            by_community[person["community"]].append(person)
        activities, plans = [], []
        for community_id, members in by_community.items():
            total = sum(counts[p["user"]] for p in members)
            number = max(12, math.ceil(total / 22))
            capacity = max(20, math.ceil(total / number * 1.7) + 4)
            own = []
            for _ in range(number):
                starts = self.now - datetime.timedelta(days=rng.randint(3, 358), hours=rng.randint(0, 10))
                starts = timezone.localtime(starts).replace(
                    hour=rng.choice((9, 10, 14, 15, 19)), minute=rng.choice((0, 30)), second=0, microsecond=0
                )
                own.append(self._activity(community_id, starts, capacity, operators, organisers))
            activities.extend(own)
            plans.append((own, members))
            for days in (rng.randint(2, 8), rng.randint(9, 20), rng.randint(21, 40)):
                starts = timezone.localtime(self.now + datetime.timedelta(days=days)).replace(
                    hour=rng.choice((9, 14, 19)), minute=0, second=0, microsecond=0
                )
                activities.append(self._activity(community_id, starts, max(20, capacity // 2), operators, organisers))
        Activity.objects.bulk_create(activities, batch_size=BATCH)
        attendances, signups = [], []
        for own, members in plans:
            left = [activity.capacity for activity in own]
            for person in members:
                wanted = counts[person["user"]]
                open_ones = [index for index, places in enumerate(left) if places > 0]
                for index in rng.sample(open_ones, min(wanted, len(open_ones))):
                    left[index] -= 1
                    activity = own[index]
                    checked_in = activity.starts_at + datetime.timedelta(minutes=rng.randint(-20, 25))
                    attendances.append((activity, person["user"], checked_in))
                    if signups_too:
                        signed_up = activity.starts_at - datetime.timedelta(days=rng.randint(1, 9))
                        signups.append((activity.id, person["user"], signed_up, None))
        code = Attendance.Method.CODE.value
        write_rows(
            Attendance,
            ("activity_id", "user_id", "method", "checked_in_at", "recorded_by_id"),
            [(activity.id, user_id, code, moment, None) for activity, user_id, moment in attendances],
        )
        write_rows(SignUp, ("activity_id", "user_id", "signed_up_at", "cancelled_at"), signups)
        return activities, attendances

    def _activity(self, community_id, starts, capacity, operators, organisers):
        rng = self.rng
        category = rng.choice(list(ACTIVITY_THEMES))
        organiser = organisers.get(community_id, {})
        body = organiser.get("social") if category in (ActivityCategory.CULTURE, ActivityCategory.CHILDREN) else None
        body = body or organiser.get(
            "centre" if category in (ActivityCategory.HEALTH, ActivityCategory.ELDERLY) else "committee"
        )
        return Activity(
            community_id=community_id,
            theme=rng.choice(themes_for(category, starts.month)),
            category=category,
            description="",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=rng.choice((1, 2, 2, 3))),
            place=rng.choice(PLACES),
            capacity=capacity,
            organiser_id=body,
            check_in_code=services.new_check_in_code(),
            created_by_id=operators.get(community_id) or operators["admin"],
            created_at=starts - datetime.timedelta(days=rng.randint(7, 20)),
        )

    def operators(self, communities):
        """Who publishes each community's activities: a committee post-holder (the admin elsewhere)."""
        operators = {"admin": User.objects.get(username="admin").pk}
        committees = Body.objects.filter(community__in=communities, kind=BodyKind.RESIDENTS_COMMITTEE)
        for community_id, user_id in committees.values_list("community_id", "memberships__user_id"):
            if user_id is not None:
                operators.setdefault(community_id, user_id)
        organisers = defaultdict(dict)
        kinds = {
            BodyKind.RESIDENTS_COMMITTEE: "committee",
            BodyKind.SERVICE_CENTRE: "centre",
            BodyKind.SOCIAL_ORGANISATION: "social",
        }
        for body_id, community_id, kind in Body.objects.filter(
            community__in=communities, kind__in=list(kinds)
        ).values_list("pk", "community_id", "kind"):
            organisers[community_id].setdefault(kinds[kind], body_id)
        return operators, organisers

    # Answers to the ready-made surveys ---------------------------------------------------

    def answer_ready_made(self, impressions, participation, impression_people, participation_people, counts):
        rng = self.rng
        questions = {
            survey.pk: {q.key: q for q in survey.questions.prefetch_related("choices")}
            for survey in (impressions, participation)
        }
        choice_ids = {
            (survey_id, key): {c.value: c.pk for c in question.choices.all()}
            for survey_id, by_key in questions.items()
            for key, question in by_key.items()
        }
        participations, responses, answers = [], [], []

        def respond(survey, person):
            answered = survey.opens_at + (min(self.now, survey.closes_at) - survey.opens_at) * rng.random()
            participations.append((survey.pk, person["user"], person["community"], answered))
            local = timezone.localtime(answered)
            response_id = uuid.uuid4()
            age_band = AgeBand.for_birth_year(person["birth_year"], local.year)
            responses.append((response_id, survey.pk, None, person["community"], age_band.value, local.date()))
            return response_id

        def answer(response_id, question, choice_id=None, value=None):
            answers.append((uuid.uuid4(), response_id, question.pk, choice_id, value, "", None, None, ""))

        impression_responses = {person["user"]: respond(impressions, person) for person in impression_people}
        for key, (good_share, rest) in GOOD_SHARES.items():
            question = questions[impressions.pk][key]
            choices = choice_ids[(impressions.pk, key)]
            good_count = round(good_share * len(impression_people))
            good, others = _weighted_pick(
                impression_people, good_count, lambda p: TYPOLOGY_WARMTH.get(p["typology"], 1.0), rng
            )
            rest_shares = tuple(zip((ready_made.AVERAGE, ready_made.POOR, ready_made.DONT_KNOW), rest))
            groups = _allocate(others, rest_shares, rng)
            groups[ready_made.GOOD] = good
            for value, people in groups.items():
                for person in people:
                    answer(impression_responses[person["user"]], question, choice_id=choices[value])

        by_key = questions[participation.pk]
        bucket_choices = choice_ids[(participation.pk, ready_made.ACTIVITIES_LAST_YEAR)]
        for person in participation_people:
            response_id = respond(participation, person)
            attended = counts.get(person["user"], 0)
            bucket = ready_made.activity_bucket(attended)
            answer(response_id, by_key[ready_made.ACTIVITIES_LAST_YEAR], choice_id=bucket_choices[bucket])
            level = "high" if attended >= 4 else "low"
            for key, distributions in SATISFACTION.items():
                answer(response_id, by_key[key], value=_draw(distributions[level], rng))
        # Shuffled, so that the order rows are stored in says nothing about who answered what.
        rng.shuffle(participations)
        rng.shuffle(responses)
        write_rows(Participation, ("survey_id", "user_id", "community_id", "answered_at"), participations)
        write_rows(
            Response, ("id", "survey_id", "respondent_id", "community_id", "age_band", "submitted_on"), responses
        )
        write_rows(
            Answer,
            (
                "id",
                "response_id",
                "question_id",
                "choice_id",
                "value",
                "text",
                "hidden_at",
                "hidden_by_id",
                "hidden_reason",
            ),
            answers,
        )
        return len(answers)

    def save_answers(self, participations, responses, answers):
        # Shuffled, so that the order rows are stored in says nothing about who answered what.
        self.rng.shuffle(participations)
        self.rng.shuffle(responses)
        Participation.objects.bulk_create(participations, batch_size=BATCH)
        Response.objects.bulk_create(responses, batch_size=BATCH)
        Answer.objects.bulk_create(answers, batch_size=BATCH)


class _Small(_Loader):
    def run(self):
        if Survey.objects.filter(ready_made=ReadyMade.IMPRESSIONS, scope=Scope.CITY).exists():
            return {}
        accounts = {u.username: u for u in User.objects.filter(username__in=UNANSWERED)}
        admin = accounts["admin"]
        people = [p for p in self.residents() if p["username"] not in UNANSWERED]
        everyone = self.residents()

        counts = self.activity_counts(everyone)
        communities = Community.objects.all()
        operators, organisers = self.operators(communities)
        activities, attendances = self.activities_and_attendance(
            everyone, counts, operators, organisers, signups_too=True
        )
        ratings = self.ratings(attendances)
        first = Community.objects.select_related("street__district").get(code=FIRST_COMMUNITY)
        self.first_community_activities(first, accounts)

        opened = self.now - datetime.timedelta(days=21)
        impressions = services.survey_launch_ready_made(
            actor=admin,
            kind=ReadyMade.IMPRESSIONS,
            scope=Scope.CITY,
            opens_at=opened,
            closes_at=self.now + datetime.timedelta(days=24),
        )
        participation = services.survey_launch_ready_made(
            actor=admin,
            kind=ReadyMade.PARTICIPATION,
            scope=Scope.CITY,
            opens_at=opened,
            closes_at=self.now + datetime.timedelta(days=24),
        )
        impression_people = [p for p in people if self.rng.random() < 0.64]
        participation_people = [p for p in people if self.rng.random() < 0.6]
        answered = self.answer_ready_made(impressions, participation, impression_people, participation_people, counts)
        answered += self.community_surveys(first, accounts)
        rounds = self.evaluation(first, accounts)
        return {
            "surveys": Survey.objects.count(),
            "survey answers": answered,
            "activities": len(activities)
            + Activity.objects.filter(community=first, created_by=accounts["staff"]).count(),
            "attendance records": len(attendances),
            "activity ratings": ratings,
            "evaluation rounds": rounds,
        }

    def ratings(self, attendances):
        rng = self.rng
        rows = [
            (
                activity.pk,
                user_id,
                _draw((0.05, 0.10, 0.30, 0.35, 0.20), rng),
                "",
                activity.ends_at + datetime.timedelta(hours=rng.randint(1, 48)),
            )
            for activity, user_id, _moment in attendances
            if rng.random() < 0.3
        ]
        write_rows(ActivityRating, ("activity_id", "user_id", "score", "comment", "created_at"), rows)
        return len(rows)

    def first_community_activities(self, first, accounts):
        """What the demo residents can try: sign up, cancel, check in, rate; one full activity."""
        staff, resident = accounts["staff"], accounts["resident"]
        committee = first.bodies.filter(kind=BodyKind.RESIDENTS_COMMITTEE).first()
        soon = timezone.localtime(self.now + datetime.timedelta(days=4)).replace(
            hour=19, minute=0, second=0, microsecond=0
        )
        services.activity_publish(
            actor=staff,
            community=first,
            theme="玉林夜话：社区议事会开放日",
            category=ActivityCategory.LEARNING,
            description="议事会成员介绍七步议事法，居民现场提问，欢迎报名旁听。",
            starts_at=soon,
            ends_at=soon + datetime.timedelta(hours=2),
            place="社区党群服务中心多功能厅",
            capacity=30,
            organiser=first.bodies.filter(kind=BodyKind.DELIBERATION_COUNCIL).first(),
        )
        full = services.activity_publish(
            actor=staff,
            community=first,
            theme="老年人智能手机课堂（第三期）",
            category=ActivityCategory.ELDERLY,
            description="手把手教长辈用手机挂号、缴费、视频通话。",
            starts_at=soon + datetime.timedelta(days=2, hours=-10),
            ends_at=soon + datetime.timedelta(days=2, hours=-8),
            place="社区图书室",
            capacity=8,
            organiser=committee,
        )
        takers = Residency.objects.verified().filter(community=first).exclude(user__username__in=UNANSWERED)
        for residency in takers.select_related("user")[: full.capacity]:
            services.signup_take(actor=residency.user, activity=full)
        # The resident came to one last month and has not rated it yet.
        past = timezone.localtime(self.now - datetime.timedelta(days=12)).replace(
            hour=9, minute=30, second=0, microsecond=0
        )
        attended = services.activity_publish(
            actor=staff,
            community=first,
            theme="玉林东路街巷清洁志愿日",
            category=ActivityCategory.VOLUNTEERING,
            description="清理楼道杂物、张贴垃圾分类指引。",
            starts_at=past,
            ends_at=past + datetime.timedelta(hours=2),
            place="小区中心广场",
            capacity=40,
            organiser=committee,
        )
        Attendance.objects.create(
            activity=attended, user=resident, method=Attendance.Method.LIST, checked_in_at=past, recorded_by=staff
        )

    # Two surveys of the first community ----------------------------------------------------

    def community_surveys(self, first, accounts):
        staff = accounts["staff"]
        rng = self.rng
        lighting = services.survey_create(
            actor=staff,
            title="玉林东路社区夜间照明改造意见征集",
            description="社区计划今年改造小区和街巷的夜间照明，请告诉我们哪里最需要、您最关心什么。匿名填写，约三分钟。",
            scope=Scope.COMMUNITY,
            place=first,
            opens_at=self.now - datetime.timedelta(days=6),
            closes_at=self.now + datetime.timedelta(days=14),
        )
        where = services.question_add(
            actor=staff,
            survey=lighting,
            kind=QuestionKind.SINGLE,
            text="哪一段最需要先改造照明？",
            choices=["玉林东路主街", "小区内部道路", "单元楼道", "停车场和非机动车棚"],
        )
        problems = services.question_add(
            actor=staff,
            survey=lighting,
            kind=QuestionKind.MULTIPLE,
            text="您遇到过哪些照明问题？",
            choices=["路灯损坏长期未修", "转角和死角太暗", "楼道灯不亮", "灯光太刺眼影响休息", "没有遇到问题"],
        )
        satisfied = services.question_add(
            actor=staff,
            survey=lighting,
            kind=QuestionKind.SCALE,
            text="您对目前的夜间照明满意吗？（1 很不满意，5 很满意）",
        )
        evenings = services.question_add(
            actor=staff,
            survey=lighting,
            kind=QuestionKind.NUMBER,
            text="您每周有几个晚上在19点以后出门？",
            min_value=0,
            max_value=7,
        )
        ideas = services.question_add(
            actor=staff,
            survey=lighting,
            kind=QuestionKind.TEXT,
            text="其他建议",
            required=False,
        )
        where_choices = list(where.choices.values_list("pk", flat=True))
        problem_choices = list(problems.choices.values_list("pk", flat=True))
        suggestions = (
            "建议楼道换成声控灯，老人晚上上下楼更安全。",
            "3栋旁边的转角晚上太黑，希望加一盏灯。",
            "路灯不要太亮，二楼住户晚上睡不好。",
            "希望改造时公示预算和施工时间。",
            "停车棚的灯坏了好几个月了。",
            "可以考虑太阳能路灯，省电。",
            "施工尽量避开晚上，家里有小孩。",
            "希望装好后有人定期检查维修。",
        )
        residents = [
            p for p in self.residents(Community.objects.filter(pk=first.pk)) if p["username"] not in UNANSWERED
        ]
        participations, responses, answers = [], [], []
        for person in residents[: max(len(residents) * 2 // 3, 1)]:
            moment = lighting.opens_at + (self.now - lighting.opens_at) * rng.random()
            participations.append(
                Participation(survey=lighting, user_id=person["user"], community=first, answered_at=moment)
            )
            response = Response(
                id=uuid.uuid4(),
                survey=lighting,
                community=first,
                age_band=AgeBand.for_birth_year(person["birth_year"], timezone.localtime(moment).year),
                submitted_on=timezone.localtime(moment).date(),
            )
            responses.append(response)
            answers.append(
                Answer(
                    id=uuid.uuid4(),
                    response=response,
                    question=where,
                    choice_id=rng.choices(where_choices, (4, 3, 5, 2))[0],
                )
            )
            for choice_id in rng.sample(problem_choices[:4], rng.randint(1, 3)):
                answers.append(Answer(id=uuid.uuid4(), response=response, question=problems, choice_id=choice_id))
            answers.append(
                Answer(
                    id=uuid.uuid4(),
                    response=response,
                    question=satisfied,
                    value=_draw((0.2, 0.35, 0.3, 0.1, 0.05), rng),
                )
            )
            answers.append(
                Answer(
                    id=uuid.uuid4(), response=response, question=evenings, value=rng.choice((0, 1, 2, 2, 3, 3, 4, 5, 7))
                )
            )
            if rng.random() < 0.45:
                answers.append(Answer(id=uuid.uuid4(), response=response, question=ideas, text=rng.choice(suggestions)))
        self.save_answers(participations, responses, answers)
        count = len(answers)

        # A closed one, whose results residents may read.
        programme = services.survey_create(
            actor=staff,
            title="社区活动安排意见调查",
            description="下一年的社区活动怎么安排？您的意见将用于制定活动计划。",
            scope=Scope.COMMUNITY,
            place=first,
            opens_at=self.now - datetime.timedelta(days=75),
            closes_at=self.now - datetime.timedelta(days=45),
        )
        when = services.question_add(
            actor=staff,
            survey=programme,
            kind=QuestionKind.SINGLE,
            text="您最方便参加活动的时间是？",
            choices=["工作日白天", "工作日晚上", "周末白天", "周末晚上"],
        )
        themes = services.question_add(
            actor=staff,
            survey=programme,
            kind=QuestionKind.MULTIPLE,
            text="您希望多办哪些主题的活动？",
            choices=["文化艺术", "体育健身", "亲子儿童", "长者关爱", "健康讲座", "志愿服务"],
        )
        quality = services.question_add(
            actor=staff,
            survey=programme,
            kind=QuestionKind.SCALE,
            text="您对过去一年社区活动的质量满意吗？（1 很不满意，5 很满意）",
        )
        wishes = services.question_add(
            actor=staff,
            survey=programme,
            kind=QuestionKind.TEXT,
            text="您对社区活动还有什么建议？",
            required=False,
        )
        when_choices = list(when.choices.values_list("pk", flat=True))
        theme_choices = list(themes.choices.values_list("pk", flat=True))
        wishes_text = (
            "活动太少了，一个月能不能多办几次？",
            "希望活动主题多一些，不要总是讲座。",
            "周末多办亲子活动。",
            "报名方式能不能简单一点，老人不会用手机。",
            "活动通知要早一点发。",
        )
        participations, responses, answers = [], [], []
        abusive = None
        for person in residents[: max(len(residents) // 2, 1)]:
            moment = programme.opens_at + (programme.closes_at - programme.opens_at) * rng.random()
            participations.append(
                Participation(survey=programme, user_id=person["user"], community=first, answered_at=moment)
            )
            response = Response(
                id=uuid.uuid4(),
                survey=programme,
                community=first,
                age_band=AgeBand.for_birth_year(person["birth_year"], timezone.localtime(moment).year),
                submitted_on=timezone.localtime(moment).date(),
            )
            responses.append(response)
            answers.append(
                Answer(
                    id=uuid.uuid4(),
                    response=response,
                    question=when,
                    choice_id=rng.choices(when_choices, (2, 3, 5, 2))[0],
                )
            )
            for choice_id in rng.sample(theme_choices, rng.randint(1, 3)):
                answers.append(Answer(id=uuid.uuid4(), response=response, question=themes, choice_id=choice_id))
            answers.append(
                Answer(
                    id=uuid.uuid4(),
                    response=response,
                    question=quality,
                    value=_draw((0.18, 0.32, 0.3, 0.15, 0.05), rng),
                )
            )
            if rng.random() < 0.4:
                answers.append(
                    Answer(id=uuid.uuid4(), response=response, question=wishes, text=rng.choice(wishes_text))
                )
            if abusive is None:
                abusive = Answer(
                    id=uuid.uuid4(),
                    response=response,
                    question=wishes,
                    text="这些干部都是废物，什么事都办不好！",
                    hidden_at=programme.closes_at + datetime.timedelta(days=1),
                    hidden_by=staff,
                    hidden_reason="含有侮辱性言论",
                )
                answers.append(abusive)
        self.save_answers(participations, responses, answers)
        return count + len(answers)

    # Third-party evaluation of the first community's district -----------------------------

    def evaluation(self, first, accounts):
        admin, evaluator = accounts["admin"], accounts["evaluator"]
        engagement = services.engagement_create(
            actor=admin,
            evaluator=evaluator,
            scope=Engagement.Scope.DISTRICT,
            district=first.street.district,
            organisation="成都市社会治理评估研究中心",
        )
        indicators = [
            {"name": "居民参与率", "source": Indicator.PARTICIPATION_RATE, "weight": 20},
            {"name": "议题按时办结率", "source": Indicator.TOPICS_ON_TIME, "weight": 20},
            {"name": "议事结果满意度", "source": Indicator.OUTCOME_SATISFACTION, "weight": 15},
            {"name": "组织好感度", "source": Indicator.BODY_IMPRESSIONS, "weight": 20},
            {"name": "活动参与度", "source": Indicator.ACTIVITY_PARTICIPATION, "weight": 15},
            {"name": "工作清单与创新", "source": Indicator.MANUAL, "weight": 10},
        ]
        year_ago = self.today - datetime.timedelta(days=365)
        published = services.round_create(
            actor=evaluator,
            engagement=engagement,
            title=f"{first.street.district.name}社区治理第三方评估（{year_ago.year}—{self.today.year}年度）",
            period_start=year_ago,
            period_end=self.today,
            indicators=indicators,
        )
        services.round_compute(actor=evaluator, evaluation_round=published)
        manual = published.indicators.get(source=Indicator.MANUAL)
        evidence = (
            "工作清单上墙并在网上公开，议事规则完整；开展“院落微更新”创新项目，有照片和会议记录为证。",
            "工作清单已公开，但部分岗位职责不清；创新项目处于筹备阶段，材料不全。",
            "工作清单与议事规则齐全，居民知晓率较高；引入社会组织开展“四点半课堂”，有服务台账。",
            "工作清单未及时更新，走访中居民反映不知道找谁办事。",
        )
        for community in engagement.evaluated_communities():
            services.score_set(
                actor=evaluator,
                indicator=manual,
                community=community,
                value=Decimal(self.rng.randint(55, 95)),
                evidence=self.rng.choice(evidence),
            )
        services.round_publish(actor=evaluator, evaluation_round=published)
        half_year = self.today - datetime.timedelta(days=182)
        draft = services.round_create(
            actor=evaluator,
            engagement=engagement,
            title=f"{first.street.district.name}社区治理半年评估（进行中）",
            period_start=half_year,
            period_end=self.today,
            indicators=indicators,
        )
        services.round_compute(actor=evaluator, evaluation_round=draft)
        return 2


class _Large(_Loader):
    def run(self):
        # Loaded once: communities added later by other means (a benchmark's own) get nothing.
        if Answer.objects.count() >= LARGE_ANSWERS:
            return {}
        communities = Community.objects.annotate(n=Count("activities")).filter(n=0)
        if not communities.exists():
            return {}
        started = time.monotonic()
        impressions = Survey.objects.filter(ready_made=ReadyMade.IMPRESSIONS, scope=Scope.CITY).order_by("pk").first()
        participation = (
            Survey.objects.filter(ready_made=ReadyMade.PARTICIPATION, scope=Scope.CITY).order_by("pk").first()
        )
        people = self.residents(communities)
        counts = self.activity_counts(people)
        operators, organisers = self.operators(communities)
        activities, attendances = self.activities_and_attendance(
            people, counts, operators, organisers, signups_too=False
        )
        self.stdout.write(
            f"large demo, surveys: {len(attendances):,} attendance records written ({time.monotonic() - started:.1f} s)."
        )

        both, impressions_only, participation_only = self._respondents(LARGE_ANSWERS - Answer.objects.count())
        needed = both + impressions_only + participation_only
        chosen = self.rng.sample(people, min(needed, len(people)))
        impression_people = chosen[: both + impressions_only]
        participation_people = chosen[:both] + chosen[both + impressions_only : needed]
        answered = self.answer_ready_made(impressions, participation, impression_people, participation_people, counts)
        self.stdout.write(
            f"large demo, surveys: {answered:,} survey answers written ({time.monotonic() - started:.1f} s)."
        )
        self.analyze()
        return {"activities": len(activities), "attendance records": len(attendances), "survey answers": answered}

    @staticmethod
    def analyze():
        """Fresh planner statistics for every table the dashboards' figures read: after a bulk load
        they would otherwise be planned for nearly empty tables."""
        if connection.vendor != "postgresql":
            return
        read = (Activity, Attendance, Participation, Response, Answer, Residency, Community, User)
        tables = [model._meta.db_table for model in read]
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

    @staticmethod
    def _respondents(remaining):
        """Respondents answering both surveys (7 answers), impressions only (4) or participation
        only (3) so that the answers add up to exactly `remaining`."""
        if remaining <= 0:
            return 0, 0, 0
        for impressions_only in range(7):
            for participation_only in range(7):
                rest = remaining - 4 * impressions_only - 3 * participation_only
                if rest >= 0 and rest % 7 == 0:
                    return rest // 7, impressions_only, participation_only
        return remaining // 7, 0, 0
