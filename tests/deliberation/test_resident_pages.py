"""The resident's topic and meeting pages (issue 12): form errors beside their form, a GET of
an action URL back to the topic, withdrawing that asks first, the author's edit in collect,
the staff edit's trace, the review rule on the raise form, one deadline per step, the text
limits, and the gallery for council members and past meetings."""

import pytest

from deliberation import selectors, services
from deliberation.models import Comment, Objection, Topic, TrailEntry, TrailKind
from deliberation.trail import verify
from deliberation.workflow import MIN_BODY_FOR_REVIEW, Step

pytestmark = pytest.mark.django_db


# 1. Form errors land beside the form, and the action URL opened leads back
@pytest.mark.parametrize(
    ("step", "action", "form_id", "data"),
    [
        (Step.COLLECT, "comments", "comment-form", {"body": ""}),
        (Step.PUBLICIZE, "objections", "objection-form", {"body": "  "}),
        (Step.EVALUATE, "rating", "rating-form", {"comment": "好"}),
    ],
)
def test_an_empty_form_comes_back_with_its_error_inside_the_form(client, flow, world, step, action, form_id, data):
    topic = flow.at(step)
    client.force_login(world.resident)
    response = client.post(f"/topics/{topic.pk}/{action}/", data)
    assert response.status_code == 400
    html = response.content.decode()
    # The form posts to a URL ending in its own id, so the browser scrolls to it on return...
    assert f'action="/topics/{topic.pk}/{action}/#{form_id}"' in html
    # ...and the error is inside that form, not at the top of the page.
    form = html[html.index(f'id="{form_id}"') :]
    form = form[: form.index("</form>")]
    assert "error-summary" in form and "field__errors" in form


def test_what_was_typed_comes_back_when_the_comment_is_too_long(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    typed = "长" * 5001
    response = client.post(f"/topics/{topic.pk}/comments/", {"body": typed})
    assert response.status_code == 400
    errors = response.context["comment_form"].errors["body"]
    assert "at most 5,000 characters" in errors[0] and "5,001" in errors[0]
    assert typed in response.content.decode()
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("path", "anchor"),
    [("comments", "comment-form"), ("objections", "objection-form"), ("rating", "rating-form")],
)
def test_opening_an_action_url_leads_back_to_the_topic(client, flow, world, path, anchor):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    response = client.get(f"/topics/{topic.pk}/{path}/")
    assert response.status_code == 302 and response["Location"] == f"/topics/{topic.pk}/#{anchor}"
    client.logout()
    assert client.get(f"/topics/{topic.pk}/{path}/")["Location"] == f"/topics/{topic.pk}/#{anchor}"


def test_opening_a_progress_or_answer_url_leads_back_too(client, flow, world):
    topic = flow.at(Step.IMPLEMENT)
    task = flow.task(topic)
    client.force_login(world.staff)
    response = client.get(f"/tasks/{task.pk}/progress/")
    assert response.status_code == 302 and response["Location"] == f"/topics/{topic.pk}/#task-{task.pk}"
    publicized = flow.at(Step.PUBLICIZE)
    objection = services.objection_lodge(actor=world.resident, topic=publicized, body="施工时间请避开午休")
    response = client.get(f"/objections/{objection.pk}/answer/")
    assert response["Location"] == f"/topics/{publicized.pk}/#objection-{objection.pk}"


def test_a_wrong_progress_report_keeps_the_note_and_says_to_choose_the_file_again(client, flow, world):
    topic = flow.at(Step.IMPLEMENT)
    task = flow.task(topic)
    client.force_login(world.staff)
    response = client.post(f"/tasks/{task.pk}/progress/", {"percent": "150", "note": "已更换两层的灯"})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="progress-form-{task.pk}"' in html and "已更换两层的灯" in html
    assert "choose it again" in html


def test_an_answer_refused_shows_beside_its_objection(client, flow, world):
    topic = flow.at(Step.PUBLICIZE)
    objection = services.objection_lodge(actor=world.resident, topic=topic, body="施工时间请避开午休")
    client.force_login(world.staff)
    response = client.post(f"/objections/{objection.pk}/answer/", {"answer": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'action="/objections/{objection.pk}/answer/#answer-form-{objection.pk}"' in html
    assert Objection.objects.get().answered_at is None


# 2. Withdrawing asks first, and the page then tells the truth
def test_withdrawing_asks_first_and_then_says_the_author_withdrew(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.author)
    page = client.get(f"/topics/{topic.pk}/").content.decode()
    assert f'href="/topics/{topic.pk}/withdraw/"' in page
    confirm = client.get(f"/topics/{topic.pk}/withdraw/")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT  # asking changed nothing
    response = client.post(f"/topics/{topic.pk}/withdraw/", {"note": "已由物业解决"})
    assert response.status_code == 302 and response["Location"] == f"/topics/{topic.pk}/"
    topic.refresh_from_db()
    assert (topic.step, topic.outcome, topic.outcome_note) == (Step.ARCHIVE, "withdrawn", "已由物业解决")
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "when the author withdrew the topic" in html
    assert "when the council voted" not in html


def test_only_the_author_may_withdraw_and_only_in_collect(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    assert client.get(f"/topics/{topic.pk}/withdraw/").status_code == 403
    assert client.post(f"/topics/{topic.pk}/withdraw/").status_code == 403
    flow.to_review(topic)
    client.force_login(world.author)
    assert client.post(f"/topics/{topic.pk}/withdraw/").status_code == 409
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW


# 3. A staff edit leaves a trace: before/after on the trail, "edited by staff" on the page
def test_a_staff_edit_is_on_the_trail_and_the_public_page(client, flow, world):
    topic = flow.raise_topic()
    before_body = topic.body
    services.topic_update(actor=world.staff, topic=topic, title="更换三号楼楼道灯", body=before_body + "（三号楼）")
    entry = TrailEntry.objects.get(topic=topic, kind=TrailKind.EDITED)
    assert entry.data["by_staff"] is True
    assert entry.data["changed"] == ["title", "body"]
    assert entry.data["before"]["title"] == "更换楼道灯" and entry.data["after"]["title"] == "更换三号楼楼道灯"
    assert entry.data["before"]["body_length"] == len(before_body)
    assert entry.data["after"]["body_length"] == len(before_body) + 5
    assert verify(topic_ids=[topic.pk]).intact
    summary = selectors.topic_timeline(topic)[-1].edit_summary
    assert "“更换楼道灯” → “更换三号楼楼道灯”" in summary and summary.startswith("by staff")
    html = client.get(f"/topics/{topic.pk}/").content.decode()  # anonymous: the cached page is fresh
    assert 'id="edited-by-staff"' in html and "Edited by staff on" in html


def test_the_authors_own_edit_is_not_called_a_staff_edit(client, flow, world):
    topic = flow.raise_topic()
    services.topic_update(actor=world.author, topic=topic, title="更换楼道灯和声控开关")
    assert TrailEntry.objects.get(topic=topic, kind=TrailKind.EDITED).data["by_staff"] is False
    assert "edited-by-staff" not in client.get(f"/topics/{topic.pk}/").content.decode()


def test_saving_nothing_new_writes_no_trail_entry(flow, world):
    topic = flow.raise_topic()
    services.topic_update(actor=world.staff, topic=topic, title=topic.title, body=topic.body)
    assert not TrailEntry.objects.filter(topic=topic, kind=TrailKind.EDITED).exists()


# 4. The raise form holds the review rule; the author edits the topic in collect
def test_the_raise_form_refuses_a_description_review_would_refuse(client, world):
    client.force_login(world.resident)
    url = f"/communities/{world.community.pk}/topics/new/"
    response = client.post(url, {"title": "装减速带", "category": "safety", "body": "车太快了请处理"})
    assert response.status_code == 400
    assert response.context["form"].errors["body"] == [
        f"Describe the matter in at least {MIN_BODY_FOR_REVIEW} characters."
    ]
    assert "车太快了请处理" in response.content.decode()
    assert not Topic.objects.exists()


def test_the_author_edits_a_stuck_topic_until_review_accepts_it(client, flow, world):
    topic = flow.raise_topic(body="太黑了")  # through the API or an older form: too short for review
    client.force_login(world.author)
    page = client.get(f"/topics/{topic.pk}/").content.decode()
    assert f'href="/topics/{topic.pk}/edit/"' in page
    form = client.get(f"/topics/{topic.pk}/edit/")
    assert form.status_code == 200 and "太黑了" in form.content.decode()
    short = client.post(
        f"/topics/{topic.pk}/edit/", {"title": topic.title, "category": topic.category, "body": "还是太黑"}
    )
    assert short.status_code == 400
    body = "三号楼楼道灯坏了三个月，晚上老人上下楼很危险，希望尽快更换并加装声控开关。"
    response = client.post(
        f"/topics/{topic.pk}/edit/", {"title": topic.title, "category": topic.category, "body": body}
    )
    assert response.status_code == 302 and response["Location"] == f"/topics/{topic.pk}/"
    topic.refresh_from_db()
    assert topic.body == body
    flow.to_review(topic)  # the guard that refused it now lets it through
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW
    assert client.get(f"/topics/{topic.pk}/edit/").status_code == 409


def test_nobody_else_edits_the_topic(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    assert client.get(f"/topics/{topic.pk}/edit/").status_code == 403
    assert client.post(f"/topics/{topic.pk}/edit/", {"title": "x", "category": "", "body": "y"}).status_code == 403
    assert f"/topics/{topic.pk}/edit/" not in client.get(f"/topics/{topic.pk}/").content.decode()
    client.logout()
    assert client.get(f"/topics/{topic.pk}/edit/").status_code == 302  # to log in


# 5. One deadline per step; the text limits are shown
def test_publicity_shows_the_objection_deadline_only(client, flow, world):
    topic = flow.at(Step.PUBLICIZE)
    response = client.get(f"/topics/{topic.pk}/")
    html = response.content.decode()
    assert response.context["deadline"]["at"] == topic.publicity_ends_at
    assert "Objections until" in html and "Step due by" not in html and "due by" not in html


def test_other_steps_show_their_time_limit(client, flow, world):
    topic = flow.raise_topic()
    response = client.get(f"/topics/{topic.pk}/")
    assert response.context["deadline"]["at"] == topic.step_due_at
    assert "Step due by" in response.content.decode()


def test_every_text_box_of_the_topic_page_tells_its_limit(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "data-counter" in html and 'maxlength="5000"' in html
    assert "deliberation/counter" in html  # the counter script, a static file (CSP: no inline script)


# 8. The gallery: not for the council's own members, not for the past
def test_a_council_member_is_told_they_attend_as_a_member(client, flow, world):
    meeting = flow.meeting()
    client.force_login(world.council[0])
    response = client.get(f"/meetings/{meeting.pk}/")
    html = response.content.decode()
    assert response.context["can_register"] is False
    assert 'id="council-seat"' in html and "Register for a seat" not in html
    assert client.post(f"/meetings/{meeting.pk}/gallery/", {"action": "register"}).status_code == 403
    client.force_login(world.resident)
    assert "Register for a seat" in client.get(f"/meetings/{meeting.pk}/").content.decode()


def test_a_past_meeting_offers_no_seats(client, flow, world):
    meeting = flow.meeting(days=1)
    flow.travel(days=2)
    client.force_login(world.resident)
    html = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "seats left" not in html and "seat left" not in html
    assert "Register for a seat" not in html
    assert "The gallery had" in html


def test_the_staff_edit_costs_the_same_however_often_staff_edited(client, flow, world, django_assert_max_num_queries):
    topic = flow.raise_topic()
    services.topic_update(actor=world.staff, topic=topic, title="更换三号楼楼道灯")
    client.force_login(world.resident)
    client.get(f"/topics/{topic.pk}/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(f"/topics/{topic.pk}/")
    for number in range(5):
        services.topic_update(actor=world.staff, topic=topic, title=f"更换楼道灯{number}")
    with django_assert_max_num_queries(len(first)):
        client.get(f"/topics/{topic.pk}/")


def test_the_meeting_list_offers_no_seats_for_past_meetings(client, flow, world):
    past = flow.meeting(days=1)
    flow.travel(days=2)
    coming = flow.meeting(days=3)
    response = client.get(f"/communities/{world.community.pk}/meetings/")
    html = response.content.decode()
    assert html.count("gallery seats left") == 1
    past_section = html[html.index(f'href="{past.get_absolute_url()}"') :]
    assert "gallery seats left" not in past_section[: past_section.index("</li>")]
    assert coming in response.context["upcoming"]


def test_the_step_history_is_numbered_row_by_row_though_other_records_sit_between(client, flow, world):
    """The topic page lists only the step changes; other trail records (an edit here) come
    between them, so the rows are numbered 1, 2, 3 and the trail's own number is on the hash."""
    topic = flow.raise_topic()
    services.topic_update(actor=world.author, topic=topic, title="更换楼道灯和声控开关")
    topic = flow.to_review(topic)
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    table = html[html.index('class="table table--stacked delib-history"') :]
    table = table[: table.index("</table>")]
    numbers = [cell.split(">", 1)[1].split("<", 1)[0] for cell in table.split('<td data-label="#"')[1:]]
    assert numbers == ["1", "2"]
    step = TrailEntry.objects.get(topic=topic, kind=TrailKind.STEP)
    assert step.seq == 3 and "Trail entry 3" in table
