"""What each role may do with surveys, activities and evaluation rounds.

The rules join the communities app's table (communities.permissions.RULES), so pages, admin
and API ask one question, `can(user, action, obj)`. A survey's audience is its scope: the
verified residents of the communities it covers. Staff, officials and evaluators work
"within scope": staff for their community, officials for their street or district,
evaluators for the area they are engaged for (an Engagement).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from communities.models import Community
from communities.permissions import (
    can,
    community_scope_q,
    is_evaluator,
    is_official,
    is_resident_of,
    is_superuser,
    predicate,
    register_rule,
    roles_for,
    runs_a_community,
    runs_community,
)

from .models import Engagement, Scope

_ENGAGEMENTS_ATTR = "_civic_engagements"


def engagements_for(user):
    """The evaluator's current engagements, loaded once per request."""
    if user is None or not user.is_authenticated or not roles_for(user).evaluator:
        return []
    cached = getattr(user, _ENGAGEMENTS_ATTR, None)
    if cached is None:
        cached = list(Engagement.objects.filter(evaluator=user, ended_at__isnull=True).prefetch_related("communities"))
        setattr(user, _ENGAGEMENTS_ATTR, cached)
    return cached


def forget_engagements(user):
    if hasattr(user, _ENGAGEMENTS_ATTR):
        delattr(user, _ENGAGEMENTS_ATTR)


def engagement_community_q(user, prefix=""):
    """Q over Community selecting what the evaluator is engaged for (nothing when not engaged)."""
    q = Q(pk__in=[])
    for engagement in engagements_for(user):
        q |= engagement.community_q(prefix)
    return q


def area_q(user, prefix=""):
    """Q over Community: the communities a user works on (staff, officials, engaged evaluators)."""
    if roles_for(user).superuser:
        return Q()
    return community_scope_q(user, prefix) | engagement_community_q(user, prefix)


def area_communities(user):
    return Community.objects.filter(area_q(user))


def _engaged_for_community(user, community):
    for engagement in engagements_for(user):
        if engagement.scope == Engagement.Scope.STREET and engagement.street_id == community.street_id:
            return True
        if engagement.scope == Engagement.Scope.DISTRICT and engagement.district_id == community.street.district_id:
            return True
        if engagement.scope == Engagement.Scope.COMMUNITIES and any(
            c.pk == community.pk for c in engagement.communities.all()
        ):
            return True
    return False


def _engaged_for_scope(user, scoped):
    """Whether an evaluator's engagements cover a whole scope (community, street or district)."""
    for engagement in engagements_for(user):
        if scoped.scope == Scope.DISTRICT:
            if engagement.scope == Engagement.Scope.DISTRICT and engagement.district_id == scoped.district_id:
                return True
        elif scoped.scope == Scope.STREET:
            if engagement.scope == Engagement.Scope.STREET and engagement.street_id == scoped.street_id:
                return True
            if engagement.scope == Engagement.Scope.DISTRICT and engagement.district_id == scoped.street.district_id:
                return True
        elif scoped.scope == Scope.COMMUNITY and _engaged_for_community(user, scoped.community):
            return True
    return False


def _scope_touches_area(user, scoped):
    """Whether a scope (a survey) covers at least one community of the user's area."""
    roles = roles_for(user)
    if roles.superuser:
        return True
    if scoped.scope == Scope.CITY:
        return bool(roles.staff_of or roles.is_official or engagements_for(user))
    return scoped.communities().filter(area_q(user)).exists()


# Surveys


@predicate
def builds_survey(user, survey):
    """Who may build, change and launch a survey of this scope."""
    roles = roles_for(user)
    if roles.superuser:
        return True
    if survey is None:
        return bool(roles.staff_of) or bool(engagements_for(user))
    if survey.scope == Scope.COMMUNITY and survey.community_id in roles.staff_of:
        return True
    return survey.scope != Scope.CITY and _engaged_for_scope(user, survey)


@predicate
def answers_survey(user, survey):
    """A verified resident of a community the survey covers."""
    community_id = roles_for(user).resident_of
    if community_id is None:
        return False
    if survey.scope == Scope.COMMUNITY:
        return survey.community_id == community_id
    if survey.scope == Scope.CITY:
        return True
    community = Community.objects.select_related("street").get(pk=community_id)
    return survey.covers(community)


@predicate
def works_within_scope(user, survey):
    """Staff, officials and engaged evaluators whose area the survey covers in part."""
    return _scope_touches_area(user, survey)


@predicate
def survey_closed(user, survey):
    return survey.is_closed


def moderates_answers_of(user, survey, community_id):
    """`answer.hide` for an answer known by its survey and its writer's community (the rows of
    the results, which carry no Answer)."""
    return builds_survey(user, survey) or community_id in roles_for(user).staff_of


@predicate
def moderates_answer(user, answer):
    """The survey's builders, and the staff of the community whose resident wrote the answer."""
    return moderates_answers_of(user, answer.question.survey, answer.response.community_id)


@predicate
def moderates_some_answers(user, survey):
    """Builders of the survey and committee staff (of their residents' answers): they see the
    hidden free-text answers in the results, marked as hidden."""
    return builds_survey(user, survey) or bool(roles_for(user).staff_of)


def require_results(user, survey):
    """Refuse, with the reason, whoever may not see the survey's results (pages and API alike)."""
    if can(user, "survey.results", survey):
        return
    if not survey.is_closed and can(user, "survey.answer", survey):
        raise PermissionDenied(_("Residents see the results once the survey has closed."))
    raise PermissionDenied(_("You may not see the results of this survey."))


def results_communities(user, survey):
    """The communities of the survey a person may narrow its results to: those of their area
    (staff, officials, engaged evaluators); none for residents."""
    return survey.communities().filter(area_q(user))


# Activities


@predicate
def attended(user, activity):
    return user.is_authenticated and activity.attendances.filter(user=user).exists()


# Evaluation


@predicate
def is_engaged_evaluator(user, obj):
    """The evaluator of this engagement (obj: an Engagement or an EvaluationRound)."""
    engagement = getattr(obj, "engagement", obj)
    return user.is_authenticated and engagement is not None and engagement.evaluator_id == user.pk


@predicate
def oversees_round(user, evaluation_round):
    """An official whose street or district holds at least one of the round's communities."""
    roles = roles_for(user)
    if not roles.is_official:
        return False
    engagement = evaluation_round.engagement
    return engagement.evaluated_communities().filter(community_scope_q(user)).exists()


@predicate
def round_published(user, evaluation_round):
    return evaluation_round.is_published


@predicate
def holds_an_engagement(user, obj):
    """An evaluator with a current engagement (anywhere)."""
    return bool(engagements_for(user))


@predicate
def engages_evaluators(user, obj):
    return roles_for(user).superuser


SURVEY_RULES = {
    "survey.build": builds_survey,
    "survey.answer": answers_survey,
    "survey.results": is_superuser | builds_survey | works_within_scope | (answers_survey & survey_closed),
    "answer.hide": moderates_answer,
    "answer.see_hidden": moderates_some_answers,
    # The admin's add button: staff publish activities for the community they run.
    "activity.add": runs_a_community | is_superuser,
    "activity.manage": runs_community,
    "activity.sign_up": is_resident_of,
    "activity.check_in": is_resident_of,
    "activity.rate": attended,
    "engagement.create": engages_evaluators,
    # The list of evaluation rounds (the navigation's link): evaluators their own, officials and
    # staff their area's published ones (selectors.rounds_for).
    "round.browse": is_evaluator | is_official | runs_a_community | is_superuser,
    # The admin's add buttons for rounds and their scores: engaged evaluators.
    "evaluation.work": holds_an_engagement | is_superuser,
    "round.manage": is_engaged_evaluator | is_superuser,
    "round.view": is_engaged_evaluator | is_superuser | (oversees_round & round_published),
}


def register():
    for action, rule in SURVEY_RULES.items():
        register_rule(action, rule)


def ranking_rows_seen_by(user, evaluation_round, rows):
    """The ranking rows a person may see: all for the evaluator, their area's for officials,
    their own community's for committee staff (published rounds only)."""
    return [row for row in rows if sees_report(user, evaluation_round, row["community"])]


def sees_report(user, evaluation_round, community):
    """Whether the user may read one community's report of a round."""
    roles = roles_for(user)
    if roles.superuser or is_engaged_evaluator(user, evaluation_round):
        return True
    if not evaluation_round.is_published:
        return False
    if community.pk in roles.staff_of:
        return True
    return roles.is_official and roles.oversees(community.street_id, community.street.district_id)
