"""Every endpoint of the API under /api/v1/. Apps register their viewsets on `router`."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import SimpleRouter

from communities import api as communities_api
from core.api import error_body
from deliberation import api as deliberation_api
from information import api as information_api
from notifications import api as notifications_api
from surveys import api as surveys_api

from . import dashboard_views, opendata, personal_data_views, sms_views, token_views


class Router(SimpleRouter):
    """Path converters rather than regexes, and every record's id an integer (`<int:pk>`): an
    id that is not a number is the catch-all's JSON 404 below and never reaches a query, and
    the schema types every path id alike, as an integer."""

    def __init__(self):
        super().__init__(use_regex_path=False)

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        lookup = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        return f"<int:{lookup_prefix}{lookup}>"


router = Router()
router.register("communities", communities_api.CommunityViewSet, basename="api-community")
router.register("residencies", communities_api.ResidencyViewSet, basename="api-residency")
router.register("topics", deliberation_api.TopicViewSet, basename="api-topic")
router.register("comments", deliberation_api.CommentViewSet, basename="api-comment")
router.register("objections", deliberation_api.ObjectionViewSet, basename="api-objection")
router.register("tasks", deliberation_api.TaskViewSet, basename="api-task")
router.register("meetings", deliberation_api.MeetingViewSet, basename="api-meeting")
router.register("notifications", notifications_api.NotificationViewSet, basename="api-notification")
router.register("follows", notifications_api.FollowViewSet, basename="api-follow")
router.register("announcements", information_api.AnnouncementViewSet, basename="api-announcement")
router.register("services", information_api.ServiceViewSet, basename="api-service")
router.register("surveys", surveys_api.SurveyViewSet, basename="api-survey")
router.register("activities", surveys_api.ActivityViewSet, basename="api-activity")
router.register("engagements", surveys_api.EngagementViewSet, basename="api-engagement")
router.register("evaluation-rounds", surveys_api.EvaluationRoundViewSet, basename="api-evaluation-round")


@csrf_exempt
def not_found(request, *args, **kwargs):
    # Exempt: it changes nothing, and a browser session's POST must get this JSON, not CSRF's HTML page.
    return JsonResponse(error_body("not_found", _("No such API endpoint.")), status=404)


urlpatterns = [
    path("auth/token/", communities_api.TokenView.as_view(), name="api-token"),
    path("auth/signup/", communities_api.SignUpView.as_view(), name="api-signup"),
    path("auth/sms-code/", sms_views.SmsCodeView.as_view(), name="api-sms-code"),
    path("auth/sms-login/", sms_views.SmsLoginView.as_view(), name="api-sms-login"),
    path("auth/logout/", token_views.LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", token_views.LogoutAllView.as_view(), name="api-logout-all"),
    path("open-data/decisions/", opendata.DecisionExportView.as_view(), name="api-open-data-decisions"),
    path("me/", communities_api.MeView.as_view(), name="api-me"),
    path("me/export/", personal_data_views.ExportView.as_view(), name="api-me-export"),
    path("me/delete/", personal_data_views.DeleteView.as_view(), name="api-me-delete"),
    path("typologies/", communities_api.TypologyListView.as_view(), name="api-typologies"),
    path("stages/", communities_api.StageListView.as_view(), name="api-stages"),
    path("dashboard/", dashboard_views.DashboardView.as_view(), name="api-dashboard"),
    path("", include(router.urls)),
]

# Keep this last: an unknown API path answers JSON like every other API error. It matches
# only paths ending in a slash, so `me` still redirects to `me/` (APPEND_SLASH), and any such
# path, even one with a newline in it.
urlpatterns += [re_path(r"^([\s\S]*/)?$", not_found)]
