from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

SURVEY_BUILT = ("survey", "question", "choice")
SURVEY_READ = (*SURVEY_BUILT, "response", "answer", "participation")
ACTIVITY_RUN = ("activity", "signup", "attendance")
ACTIVITY_READ = (*ACTIVITY_RUN, "activityrating")
EVALUATION_RUN = ("evaluationround", "roundindicator", "score")
EVALUATION_READ = ("engagement", *EVALUATION_RUN)
ROUND_READ = EVALUATION_RUN


def _perms(actions, models):
    return {f"surveys.{action}_{model}" for action in actions for model in models}


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys, activities and evaluation")

    def ready(self):
        from communities.roles import EVALUATORS_GROUP, OFFICIALS_GROUP, STAFF_GROUP, extend_group

        from . import dashboard, nudges, permissions

        permissions.register()
        nudges.register()
        dashboard.register()
        # Model-level access only: which rows and which changes are decided per object by
        # the predicates, and every change goes through the services.
        extend_group(
            STAFF_GROUP,
            _perms(("view",), (*SURVEY_READ, *ACTIVITY_READ, *ROUND_READ))
            | _perms(("add", "change", "delete"), SURVEY_BUILT)
            | _perms(("change",), ("answer",))
            | _perms(("add", "change"), ACTIVITY_RUN),
        )
        extend_group(OFFICIALS_GROUP, _perms(("view",), (*SURVEY_READ, *ACTIVITY_READ, *EVALUATION_READ)))
        extend_group(
            EVALUATORS_GROUP,
            _perms(("view",), (*SURVEY_READ, *EVALUATION_READ))
            | _perms(("add", "change", "delete"), SURVEY_BUILT)
            | _perms(("change",), ("answer",))
            | _perms(("add", "change", "delete"), EVALUATION_RUN),
        )
