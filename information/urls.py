from django.urls import path

from . import views

urlpatterns = [
    path("announcements/", views.announcement_list, name="announcement-list"),
    path("announcements/<int:announcement_id>/", views.announcement_detail, name="announcement-detail"),
    path(
        "announcements/<int:announcement_id>/attachments/<int:attachment_id>/",
        views.announcement_attachment,
        name="announcement-attachment",
    ),
    path("services/", views.service_list, name="service-list"),
    path("services/<int:service_id>/", views.service_detail, name="service-detail"),
]
