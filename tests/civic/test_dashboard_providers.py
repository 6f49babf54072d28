"""The dashboards are composed from the providers the apps register (core.dashboards)."""

from dataclasses import dataclass, field

import pytest

from civic import dashboard
from core import dashboards


@dataclass(frozen=True)
class Counts:
    n: int = 0
    by_kind: dict = field(default_factory=dict)
    ids: frozenset = frozenset()


def test_summed_adds_numbers_and_dicts_and_unites_sets():
    total = dashboards.summed(
        [Counts(1, {"a": 1, "b": {"x": 2}}, frozenset({1})), None, Counts(2, {"b": {"x": 3}, "c": 4}, frozenset({2}))],
        Counts,
    )
    assert total == Counts(3, {"a": 1, "b": {"x": 5}, "c": 4}, frozenset({1, 2}))
    assert dashboards.summed([], Counts) == Counts()


def test_every_app_registers_its_figures_once():
    names = [provider.name for provider in dashboards.registry.providers()]
    assert names == ["residents", "cadres", "topics", "meetings", "ratings", "surveys", "evaluation"]
    with pytest.raises(dashboards.AlreadyRegistered):
        dashboards.register(dashboards.registry.provider("topics"))
    actions = [source.action for source in dashboards.registry.taking_part()]
    assert list(dict.fromkeys(actions)) == [
        "commented",
        "raised_topic",
        "attended_meeting",
        "attended_activity",
        "answered_survey",
    ]
    # The tables list the actions in the order civic names them: the same ones.
    assert [*dict.fromkeys(actions), "any"] == list(dashboard.ACTIONS)


def test_the_cache_key_follows_the_shape_of_the_figures():
    registry = dashboards.Registry()
    registry.register(dashboards.Provider(name="counts", figures=Counts, compute=lambda area: None))
    before = registry.signature()

    @dataclass(frozen=True)
    class Wider(Counts):
        extra: int = 0

    other = dashboards.Registry()
    other.register(dashboards.Provider(name="counts", figures=Wider, compute=lambda area: None))
    assert other.signature() != before
