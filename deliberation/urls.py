from django.urls import path

from . import outreach_views, views

urlpatterns = [
    path("communities/<int:community_id>/topics/", views.community_topics, name="community-topics"),
    path("communities/<int:community_id>/topics/new/", views.topic_raise, name="topic-raise"),
    path("communities/<int:community_id>/meetings/", views.community_meetings, name="community-meetings"),
    path("topics/<int:topic_id>/", views.topic_detail, name="topic-detail"),
    path("topics/<int:topic_id>/advance/", views.topic_advance, name="topic-advance"),
    path("topics/<int:topic_id>/withdraw/", views.topic_withdraw, name="topic-withdraw"),
    path("topics/<int:topic_id>/edit/", views.topic_edit, name="topic-edit"),
    path("topics/<int:topic_id>/support/", views.topic_support, name="topic-support"),
    path("topics/<int:topic_id>/comments/", views.comment_post, name="topic-comment"),
    path("topics/<int:topic_id>/objections/", views.objection_lodge, name="topic-objection"),
    path("topics/<int:topic_id>/rating/", views.rating_give, name="topic-rating"),
    path("topics/<int:topic_id>/record/", views.topic_record, name="topic-record"),
    path("topics/<int:topic_id>/record.json", views.topic_record_json, name="topic-record-json"),
    path("comments/<int:comment_id>/edit/", views.comment_edit, name="comment-edit"),
    path("comments/<int:comment_id>/report/", views.comment_report, name="comment-report"),
    path("comments/<int:comment_id>/moderate/", views.comment_moderate, name="comment-moderate"),
    path("objections/<int:objection_id>/answer/", views.objection_answer, name="objection-answer"),
    path("tasks/<int:task_id>/progress/", views.progress_report, name="task-progress"),
    path("progress/<int:report_id>/attachment/", views.progress_attachment, name="progress-attachment"),
    path("meetings/<int:meeting_id>/", views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:meeting_id>/gallery/", views.meeting_gallery, name="meeting-gallery"),
    path("meetings/<int:meeting_id>.ics", outreach_views.meeting_ics, name="meeting-ics"),
    path(
        "communities/<int:community_id>/meetings.ics",
        outreach_views.community_meetings_ics,
        name="community-meetings-ics",
    ),
    path("meetings/<int:meeting_id>/notice.pdf", outreach_views.meeting_notice_pdf, name="meeting-notice-pdf"),
    path("topics/<int:topic_id>/poster.pdf", outreach_views.topic_poster_pdf, name="topic-poster-pdf"),
    path("meetings/materials/<int:material_id>/", outreach_views.material_file, name="meeting-material"),
    path("postings/<int:posting_id>/photo/", outreach_views.posting_photo, name="posting-photo"),
]
