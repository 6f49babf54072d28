from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularSwaggerSplitView

from . import dashboard_views, opendata, personal_data_views, sms_views, views
from .openapi import SchemaView

admin.site.site_header = _("Civic · community co-governance")
admin.site.site_title = _("Civic admin")
admin.site.index_title = _("Workspace")
# The workspace's lists need the width at 1280 px: the first page lists every model instead.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/login/sms/", sms_views.sms_login_page, name="sms-login"),
    path("accounts/profile/export/", personal_data_views.export_page, name="profile-export"),
    path("accounts/profile/delete/", personal_data_views.delete_page, name="account-delete"),
    path("open-data/decisions/", opendata.decisions_page, name="open-data-decisions"),
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/export/<slug:panel>.<slug:fmt>", dashboard_views.dashboard_export, name="dashboard-export"),
    path(
        "dashboard/communities/<int:community_id>/",
        dashboard_views.community_dashboard_page,
        name="dashboard-community",
    ),
    path(
        "dashboard/communities/<int:community_id>/export/<slug:panel>.<slug:fmt>",
        dashboard_views.dashboard_export,
        name="dashboard-community-export",
    ),
    path("", include("communities.urls")),
    path("", include("deliberation.urls")),
    path("", include("information.urls")),
    path("", include("surveys.urls")),
    path("notifications/", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file of its own
    # (/api/docs/?script=): the Content-Security-Policy allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="civic/api_docs.html"),
        name="api-docs",
    ),
    path("api/v1/", include("civic.api_urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
