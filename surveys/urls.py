from django.urls import path

from . import views

urlpatterns = [
    path("surveys/", views.survey_list, name="survey-list"),
    path("surveys/<int:survey_id>/", views.survey_detail, name="survey-detail"),
    path("surveys/<int:survey_id>/results/", views.survey_results, name="survey-results"),
    path("surveys/<int:survey_id>/results.csv", views.survey_results_csv, name="survey-results-csv"),
    path("surveys/<int:survey_id>/results.xlsx", views.survey_results_xlsx, name="survey-results-xlsx"),
    path("surveys/answers/<uuid:answer_id>/hide/", views.answer_hide, name="survey-answer-hide"),
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/<int:activity_id>/", views.activity_detail, name="activity-detail"),
    path("activities/<int:activity_id>/sign-up/", views.activity_sign_up, name="activity-sign-up"),
    path("activities/<int:activity_id>/cancel/", views.activity_cancel, name="activity-cancel"),
    path("activities/<int:activity_id>/check-in/", views.activity_check_in, name="activity-check-in"),
    path("activities/<int:activity_id>/attendance/", views.activity_attendance, name="activity-attendance"),
    path("activities/<int:activity_id>/rate/", views.activity_rate, name="activity-rate"),
    path("evaluation/", views.round_list, name="evaluation-list"),
    path("evaluation/<int:round_id>/", views.round_detail, name="evaluation-round"),
    path(
        "evaluation/<int:round_id>/communities/<int:community_id>/",
        views.round_report,
        name="evaluation-report",
    ),
]
