"""Stored XSS (issue 7): what residents and staff type is shown as text, never run.

A corpus of payloads goes in through the paths people use (the API for topics, comments,
objections, survey answers and progress reports; the services behind the admin for names,
announcements and surveys): as display names, a community's and a body's name, topic,
announcement and survey titles, comments, objections, free-text answers, Markdown
announcement bodies and uploaded file names. Then every page and admin page that shows them
is fetched and parsed: no inline script, no on*= handler, no javascript: URL may appear
(tests/civic/test_hardening.py's ActiveContent), and the payloads must be there as text,
so each page really showed what was stored. A browser pass with the Content-Security-Policy
switched off (escaping must hold on its own) watches for any dialog opening.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from communities import services as community_services
from deliberation.models import Comment, Objection, ProgressReport, Topic
from deliberation.workflow import Step
from information import services as information
from surveys import services as surveys
from surveys.models import QuestionKind, Scope
from tests import factories
from tests.browser import session_cookie
from tests.civic.test_hardening import parse

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "</textarea><script>alert(1)</script>",
    "{{7*7}}",
    "'><body onload=alert(1)>",
]
FILE_NAME = '"><img src=x onerror=alert(1)>.pdf'
# What the upload checks keep of FILE_NAME for display: quotes and angle brackets dropped.
SHOWN_FILE_NAME = "img src=x onerror=alert(1).pdf"
MARKDOWN = (
    "[a link](javascript:alert(1)) and [another](JaVaScRiPt:alert(1))\n\n"
    '<a href="javascript:alert(1)">raw</a> <img src=x onerror=alert(1)> <script>alert(1)</script>\n\n'
    "![img](javascript:alert(1))"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def pdf(name=FILE_NAME):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def api(user):
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def created(response):
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def stored(world, flow, admin_user):
    """Every payload in every field, stored the way people store them."""
    community = world.community
    community_services.community_update(actor=admin_user, community=community, name=PAYLOADS[2] + PAYLOADS[5])
    community_services.body_rename(actor=admin_user, body=world.supervisory, name=PAYLOADS[1])
    people = [factories.resident(community, actor=admin_user) for _ in PAYLOADS]
    for person, payload in zip(people, PAYLOADS):
        community_services.profile_update(
            user=person, display_name=payload, preferred_language="zh-hans", sms_opt_out=True, email_opt_in=False
        )

    discussed = flow.raise_topic()
    publicized = flow.at(Step.PUBLICIZE)
    now = timezone.now()
    survey = surveys.survey_create(
        actor=world.staff,
        title=PAYLOADS[0],
        scope=Scope.COMMUNITY,
        place=community,
        anonymous=False,
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=60),
        description=PAYLOADS[4],
    )
    question = surveys.question_add(actor=world.staff, survey=survey, kind=QuestionKind.TEXT, text=PAYLOADS[3])
    for payload in PAYLOADS[1:]:
        surveys.survey_create(
            actor=world.staff, title=payload, scope=Scope.COMMUNITY, place=community, closes_at=survey.closes_at
        )
    raised = []
    for person, payload in zip(people, PAYLOADS):
        client = api(person)
        topic = {"community": community.pk, "title": payload, "body": payload}
        raised.append(created(client.post("/api/v1/topics/", topic, format="json")))
        created(client.post(f"/api/v1/topics/{discussed.pk}/comments/", {"body": payload}, format="json"))
        created(client.post(f"/api/v1/topics/{publicized.pk}/objections/", {"body": payload}, format="json"))
        answers = {"answers": [{"question": question.pk, "text": payload}]}
        created(client.post(f"/api/v1/surveys/{survey.pk}/responses/", answers, format="json"))
    announcements = [
        information.announcement_publish(
            actor=world.staff, area=community, title=payload, body=f"{payload}\n\n{MARKDOWN}", attachments=[pdf()]
        )
        for payload in PAYLOADS
    ]

    implemented = flow.at(Step.PUBLICIZE)
    implemented = flow.implement(implemented)
    task = flow.task(implemented, title=PAYLOADS[4])
    progress = {"percent": 50, "note": PAYLOADS[6], "attachment": pdf()}
    created(api(world.staff).post(f"/api/v1/tasks/{task.pk}/progress/", progress, format="multipart"))

    assert Comment.objects.filter(topic=discussed).count() == Objection.objects.filter(topic=publicized).count() == 7
    assert ProgressReport.objects.get(task=task).attachment_name == SHOWN_FILE_NAME
    return SimpleNamespace(
        w=world,
        discussed=discussed,
        publicized=publicized,
        implemented=implemented,
        raised=Topic.objects.get(pk=raised[0]["id"]),
        survey=survey,
        announcement=announcements[0],
        task=task,
        user=people[0],
    )


def pages(s):
    """(who, path) for every page that shows stored payloads; who is a user or None."""
    community = s.w.community
    w = s.w
    return [
        (None, reverse("community-list")),
        (None, reverse("community-detail", args=[community.pk])),
        (None, reverse("community-topics", args=[community.pk])),
        (None, f"/topics/{s.discussed.pk}/"),
        (w.resident, f"/topics/{s.discussed.pk}/"),
        (w.resident, f"/topics/{s.publicized.pk}/"),
        (w.resident, f"/topics/{s.implemented.pk}/"),
        (w.resident, f"/topics/{s.raised.pk}/"),
        (s.user, reverse("profile")),
        (w.resident, reverse("announcement-list")),
        (w.resident, s.announcement.get_absolute_url()),
        (w.resident, reverse("survey-list")),
        (w.resident, reverse("survey-detail", args=[s.survey.pk])),
        (w.staff, reverse("survey-results", args=[s.survey.pk])),
        (w.official, reverse("dashboard")),
        (w.superuser, reverse("admin:deliberation_topic_changelist")),
        (w.superuser, reverse("admin:deliberation_topic_change", args=[s.discussed.pk])),
        (w.superuser, reverse("admin:deliberation_topic_change", args=[s.publicized.pk])),
        (w.superuser, reverse("admin:deliberation_topic_change", args=[s.implemented.pk])),
        (w.superuser, reverse("admin:deliberation_comment_changelist")),
        (w.superuser, reverse("admin:deliberation_objection_changelist")),
        (w.superuser, reverse("admin:deliberation_task_changelist")),
        (w.superuser, reverse("admin:deliberation_task_change", args=[s.task.pk])),
        (w.superuser, reverse("admin:communities_user_changelist")),
        (w.superuser, reverse("admin:communities_user_change", args=[s.user.pk])),
        (w.superuser, reverse("admin:communities_community_changelist")),
        (w.superuser, reverse("admin:communities_community_change", args=[community.pk])),
        (w.superuser, reverse("admin:communities_body_changelist")),
        (w.superuser, reverse("admin:communities_residency_changelist")),
        (w.superuser, reverse("admin:information_announcement_changelist")),
        (w.superuser, reverse("admin:information_announcement_change", args=[s.announcement.pk])),
        (w.superuser, reverse("admin:surveys_survey_changelist")),
        (w.superuser, reverse("admin:surveys_survey_change", args=[s.survey.pk])),
        (w.superuser, reverse("admin:surveys_answer_changelist")),
        (w.staff, reverse("admin:deliberation_topic_change", args=[s.publicized.pk])),
    ]


def shown_payloads(text):
    return [payload for payload in [*PAYLOADS, SHOWN_FILE_NAME] if payload in text]


@pytest.mark.django_db
def test_every_payload_is_shown_as_text_on_every_page(stored):
    leaks, blank = {}, []
    for who, path in pages(stored):
        client = Client()
        if who is not None:
            client.force_login(who)
        response = client.get(path)
        assert response.status_code == 200, f"{who} {path} answered {response.status_code}"
        page = parse(response.content.decode())
        if page.findings:
            leaks[f"{who} {path}"] = page.findings
        if not shown_payloads("".join(page.text)):
            blank.append(f"{who} {path}")
    assert not leaks, "\n".join(f"{page}: {found}" for page, found in leaks.items())
    assert not blank, f"pages that showed none of the stored payloads: {blank}"


@pytest.mark.django_db
def test_the_pages_show_each_kind_of_stored_text(stored):
    """Spot checks that the sweep above saw names, titles, file names and Markdown."""
    w = stored.w
    client = Client()
    client.force_login(w.resident)
    for topic in (stored.discussed, stored.publicized):
        text = "".join(parse(client.get(f"/topics/{topic.pk}/").content.decode()).text)
        for payload in PAYLOADS:
            assert text.count(payload) >= 2, payload  # a comment or objection, and its author's name
    implemented = "".join(parse(client.get(f"/topics/{stored.implemented.pk}/").content.decode()).text)
    assert SHOWN_FILE_NAME in implemented and PAYLOADS[6] in implemented
    announcement = client.get(stored.announcement.get_absolute_url()).content.decode()
    text = "".join(parse(announcement).text)
    assert SHOWN_FILE_NAME in text
    # Markdown rendered, then sanitised: the links keep their words and lose their script URLs.
    assert "a link" in text and "another" in text
    assert "javascript" not in announcement.lower()
    assert "{{7*7}}" in "".join(parse(client.get(reverse("survey-list")).content.decode()).text)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_dialog_opens_in_a_browser_without_the_policy(stored, browser_page, live_server):
    """The policy would block an inline script anyway: switched off, escaping alone must hold."""
    page = browser_page
    context = page.context.browser.new_context(bypass_csp=True, locale="zh-CN")
    dialogs = []
    try:
        w = stored.w
        visits = [
            (w.resident, f"/topics/{stored.discussed.pk}/"),
            (w.resident, f"/topics/{stored.publicized.pk}/"),
            (w.resident, f"/topics/{stored.implemented.pk}/"),
            (w.resident, stored.announcement.get_absolute_url()),
            (w.staff, reverse("survey-results", args=[stored.survey.pk])),
            (w.superuser, reverse("admin:deliberation_comment_changelist")),
            (w.superuser, reverse("admin:communities_user_change", args=[stored.user.pk])),
            (w.superuser, reverse("admin:information_announcement_change", args=[stored.announcement.pk])),
        ]
        for who, path in visits:
            context.clear_cookies()
            context.add_cookies([session_cookie(who.username, live_server)])
            tab = context.new_page()
            tab.on(
                "dialog", lambda dialog, tab=tab: (dialogs.append(f"{dialog.message} on {tab.url}"), dialog.dismiss())
            )
            response = tab.goto(live_server.url + path)
            assert response.status == 200, f"{path} answered {response.status}"
            tab.wait_for_load_state("load")
            tab.close()
    finally:
        context.close()
    assert not dialogs, dialogs
