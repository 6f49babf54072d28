"""The council's rules (议事规则): sensible defaults, changed by staff only, never inconsistent."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from deliberation import selectors, services
from deliberation.models import CouncilRules
from deliberation.workflow import Step

pytestmark = pytest.mark.django_db


def test_defaults(world):
    rules = selectors.council_rules_for(world.community)
    assert rules.pk is None
    assert (rules.quorum_numerator, rules.quorum_denominator) == (2, 3)
    assert (rules.majority_numerator, rules.majority_denominator) == (1, 2)
    assert (rules.publicity_days, rules.evaluation_days, rules.default_observer_seats) == (7, 14, 20)
    assert rules.time_of_day == datetime.time(19, 0)
    assert str(rules.describe_day()) == "the third Thursday of every month, 19:00"


def test_staff_change_their_councils_rules_and_time_limits_follow(flow, world):
    services.council_rules_update(
        actor=world.staff, community=world.community, limit_collect=10, publicity_days=10, limit_publicize=20
    )
    topic = flow.raise_topic()
    assert topic.step_due_at == topic.step_entered_at + datetime.timedelta(days=10)
    topic = flow.at(Step.PUBLICIZE)
    assert topic.publicity_ends_at == topic.step_entered_at + datetime.timedelta(days=10)


@pytest.mark.parametrize(
    "fields",
    [
        {"quorum_numerator": 4, "quorum_denominator": 3},
        {"majority_numerator": 2, "majority_denominator": 2},
        {"publicity_days": 20},  # longer than the 14 days allowed to publicize
        {"evaluation_days": 30},
        {"day_of_month": 31},
        {"limit_collect": 0},
        {"limit_review": "soon"},
        {"quorum": "2/3"},
    ],
)
def test_inconsistent_rules_are_refused_and_nothing_changes(world, fields):
    with pytest.raises(ValidationError):
        services.council_rules_update(actor=world.staff, community=world.community, **fields)
    assert not CouncilRules.objects.exists()


def test_only_the_communitys_staff(world):
    for someone in (world.other_staff, world.council[0], world.resident, world.official):
        with pytest.raises(PermissionDenied):
            services.council_rules_update(actor=someone, community=world.community, publicity_days=5)


def test_staff_edit_the_rules_in_the_admin(client, world):
    client.force_login(world.staff)
    add = client.get(reverse("admin:deliberation_councilrules_add"))
    assert add.status_code == 200
    data = dict(add.context["adminform"].form.initial)
    data = {
        "community": world.community.pk,
        "limit_collect": 20,
        "limit_review": 15,
        "limit_resolve": 45,
        "limit_publicize": 14,
        "limit_implement": 90,
        "limit_evaluate": 21,
        "quorum_numerator": 3,
        "quorum_denominator": 4,
        "majority_numerator": 1,
        "majority_denominator": 2,
        "publicity_days": 7,
        "evaluation_days": 14,
        "day_rule": "day_of_month",
        "day_week": 3,
        "day_weekday": 3,
        "day_of_month": 10,
        "time_of_day": "09:30",
        "location": "村委会会议室",
        "default_observer_seats": 30,
    }
    response = client.post(reverse("admin:deliberation_councilrules_add"), data)
    assert response.status_code == 302, response.context["errors"]
    rules = CouncilRules.objects.get(community=world.community)
    assert (rules.quorum_numerator, rules.day_of_month, rules.updated_by) == (3, 10, world.staff)
    data["quorum_numerator"] = 5
    response = client.post(reverse("admin:deliberation_councilrules_change", args=[rules.pk]), data)
    assert response.status_code == 200 and "quorum" in str(response.context["errors"]).lower()
    rules.refresh_from_db()
    assert rules.quorum_numerator == 3
