"""The residents' deliberation pages: what each person sees and can do, through plain forms."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliberation import selectors, services
from deliberation.models import (
    COMMENT_MAX,
    Comment,
    CommentReport,
    Objection,
    ObserverRegistration,
    Rating,
    Support,
    Topic,
    TrailEntry,
)
from deliberation.workflow import Step

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def page_of(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


def add_comments(topic, people, count):
    comments = []
    for index in range(count):
        parent = comments[index - 1] if index % 3 == 2 else None
        comments.append(
            services.comment_post(actor=people[index % len(people)], topic=topic, body=f"意见{index}", parent=parent)
        )
    return comments


# A community's topics
def test_topics_of_a_community_grouped_by_step_with_overdue_marked(client, flow, world):
    late = flow.raise_topic(title="拖了很久的事")
    flow.travel(days=40)
    review = flow.at(Step.REVIEW, title="正在审查的事")
    services.topic_raise(actor=world.outsider, community=world.other_community, title="别处的事", body="x" * 40)
    response = client.get(f"/communities/{world.community.pk}/topics/")
    assert response.status_code == 200
    html = response.content.decode()
    assert late.title in html and review.title in html and "别处的事" not in html
    assert html.index("拖了很久的事") < html.index("正在审查的事")  # collect comes before review
    assert "delib-topic--overdue" in html
    assert response.context["overdue_count"] == 1

    only_review = client.get(f"/communities/{world.community.pk}/topics/?step=review")
    assert [t.pk for t in only_review.context["page"].object_list] == [review.pk]
    overdue = client.get(f"/communities/{world.community.pk}/topics/?overdue=on")
    assert [t.pk for t in overdue.context["page"].object_list] == [late.pk]


def test_topic_list_refuses_unknown_filters_and_places(client, world):
    assert client.get(f"/communities/{world.community.pk}/topics/?step=nonsense").status_code == 400
    assert client.get(f"/communities/{world.community.pk}/topics/?page=99").status_code == 404
    assert client.get("/communities/999999/topics/").status_code == 404
    assert client.get("/topics/999999/").status_code == 404
    assert client.get("/meetings/999999/").status_code == 404


def test_topic_list_costs_the_same_at_two_sizes(client, flow, world):
    for index in range(3):
        flow.raise_topic(title=f"议题{index}")
    url = f"/communities/{world.community.pk}/topics/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(15):
        flow.raise_topic(title=f"更多议题{index}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)


def test_the_community_page_links_to_its_topics_and_meetings(client, world):
    html = client.get(f"/communities/{world.community.pk}/").content.decode()
    for url in (
        f"/communities/{world.community.pk}/topics/",
        f"/communities/{world.community.pk}/meetings/",
        f"/communities/{world.community.pk}/topics/new/",
    ):
        assert url in html


# Raising a topic
def test_a_resident_raises_a_topic(client, world):
    client.force_login(world.resident)
    url = f"/communities/{world.community.pk}/topics/new/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "小区门口增设减速带",
            "category": "safety",
            "body": "门口车速太快，孩子放学时很危险，建议在小区南门和东门各增设一条减速带，并设提示牌。",
        },
    )
    topic = Topic.objects.get(title="小区门口增设减速带")
    assert response.status_code == 302 and response["Location"] == f"/topics/{topic.pk}/"
    assert (topic.step, topic.raised_by, topic.community) == (Step.COLLECT, world.resident, world.community)


def test_raising_needs_a_title_a_category_and_a_description(client, world):
    client.force_login(world.resident)
    url = f"/communities/{world.community.pk}/topics/new/"
    response = client.post(url, {"title": "", "category": "", "body": "长" * 5001})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"title", "category", "body"} <= set(errors)
    assert "5,000" in errors["body"][0]
    assert not Topic.objects.exists()


def test_only_residents_and_staff_of_the_community_raise_topics(client, world):
    url = f"/communities/{world.community.pk}/topics/new/"
    assert client.get(url)["Location"].startswith("/accounts/login/")
    for someone in (world.outsider, world.other_staff, world.official):
        client.force_login(someone)
        assert client.get(url).status_code == 403
        assert client.post(url, {"title": "越界", "category": "other", "body": "x" * 40}).status_code == 403
    assert not Topic.objects.exists()
    client.force_login(world.staff)
    response = client.post(url, {"title": "居委会提出", "category": "other", "body": "x" * 40})
    assert response.status_code == 302


def test_staff_raise_a_topic_for_a_body(client, world):
    client.force_login(world.staff)
    url = f"/communities/{world.community.pk}/topics/new/"
    response = client.post(
        url, {"title": "监委会建议", "category": "other", "body": "x" * 40, "raised_by_body": world.supervisory.pk}
    )
    assert response.status_code == 302
    assert Topic.objects.get().raised_by_body == world.supervisory


# One topic: the timeline, the trail, the moves
def test_the_topic_page_shows_the_seven_steps_and_the_trail(client, flow, world):
    topic = flow.at(Step.RESOLVE)
    response = client.get(f"/topics/{topic.pk}/")
    assert response.status_code == 200
    steps = response.context["steps"]
    assert [s["state"] for s in steps] == ["done", "done", "current", "ahead", "ahead", "ahead", "ahead"]
    html = response.content.decode()
    assert 'aria-current="step"' in html
    for entry in TrailEntry.objects.filter(topic=topic, kind__in=["raised", "step"]):
        assert entry.hash in html
    assert response.context["trail_status"].intact
    assert "topic-advance" not in html and "/advance/" not in html  # no buttons for the public


def test_staff_see_next_steps_with_blockers_and_move_the_topic(client, flow, world):
    topic = flow.at(Step.REVIEW)
    client.force_login(world.staff)
    response = client.get(f"/topics/{topic.pk}/")
    moves = {m["step"]: m for m in response.context["moves"]}
    assert set(moves) == {"resolve", "archive"}
    assert not moves["resolve"]["allowed"] and moves["resolve"]["blockers"]
    assert moves["archive"]["allowed"] and moves["archive"]["needs_note"]
    html = response.content.decode()
    assert moves["resolve"]["blockers"][0] in html

    held = client.post(f"/topics/{topic.pk}/advance/", {"to": "resolve", "from": "review"})
    assert held.status_code == 409
    skipped = client.post(f"/topics/{topic.pk}/advance/", {"to": "implement", "from": "review"})
    assert skipped.status_code == 409
    no_reason = client.post(f"/topics/{topic.pk}/advance/", {"to": "archive", "from": "review", "note": ""})
    assert no_reason.status_code == 400
    topic.refresh_from_db()
    assert topic.step == Step.REVIEW

    services.agenda_add(actor=world.staff, meeting=flow.meeting(), topic=topic)
    moved = client.post(f"/topics/{topic.pk}/advance/", {"to": "resolve", "from": "review", "note": "列入议程"})
    assert moved.status_code == 302
    topic.refresh_from_db()
    assert topic.step == Step.RESOLVE
    stale = client.post(f"/topics/{topic.pk}/advance/", {"to": "resolve", "from": "review"})
    assert stale.status_code == 409


def test_residents_and_other_staff_cannot_move_a_topic(client, flow, world):
    topic = flow.raise_topic()
    for someone in (world.resident, world.other_staff, world.official, world.outsider):
        client.force_login(someone)
        assert client.post(f"/topics/{topic.pk}/advance/", {"to": "review"}).status_code == 403
    client.logout()
    assert client.post(f"/topics/{topic.pk}/advance/", {"to": "review"})["Location"].startswith("/accounts/login/")
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT


def test_the_author_withdraws_while_collecting(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.author)
    moves = client.get(f"/topics/{topic.pk}/").context["moves"]
    assert [m["step"] for m in moves] == ["archive"] and moves[0]["allowed"]
    # The old one-click form now asks first: it leads to the confirmation page.
    response = client.post(f"/topics/{topic.pk}/advance/", {"to": "archive", "from": "collect"})
    assert response.status_code == 302 and response["Location"] == f"/topics/{topic.pk}/withdraw/"
    topic.refresh_from_db()
    assert topic.step == Step.COLLECT
    assert client.post(f"/topics/{topic.pk}/withdraw/", {"note": ""}).status_code == 302
    topic.refresh_from_db()
    assert (topic.step, topic.outcome) == (Step.ARCHIVE, "withdrawn")


# Consultation
def test_a_resident_comments_and_replies(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    response = client.post(f"/topics/{topic.pk}/comments/", {"body": "楼道确实太黑"})
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{comment.pk}")
    client.force_login(world.author)
    client.post(f"/topics/{topic.pk}/comments/", {"body": "谢谢支持", "parent": comment.pk})
    reply = Comment.objects.get(parent=comment)
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "楼道确实太黑" in html and f'id="comment-{reply.pk}"' in html


def test_text_is_shown_inert(client, flow, world):
    topic = flow.raise_topic(title="<b>粗体</b>标题", body="<img src=x onerror=alert(1)> " + "说明" * 20)
    services.comment_post(actor=world.resident, topic=topic, body='<script>alert("x")</script>\n第二行')
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>粗体</b>" not in html and "&lt;b&gt;粗体&lt;/b&gt;" in html
    assert "<img src=x" not in html
    record = client.get(f"/topics/{topic.pk}/record/").content.decode()
    assert "<script>alert" not in record and "&lt;script&gt;alert" in record


def test_comment_bad_input_and_closed_consultation(client, flow, world):
    topic, other = flow.raise_topic(), flow.raise_topic(title="另一件事")
    elsewhere = services.comment_post(actor=world.resident, topic=other, body="别处")
    client.force_login(world.resident)
    too_long = client.post(f"/topics/{topic.pk}/comments/", {"body": "长" * (COMMENT_MAX + 1)})
    assert too_long.status_code == 400
    assert "5,000" in too_long.context["comment_form"].errors["body"][0]
    assert client.post(f"/topics/{topic.pk}/comments/", {"body": "  "}).status_code == 400
    wrong_parent = client.post(f"/topics/{topic.pk}/comments/", {"body": "回复", "parent": elsewhere.pk})
    assert wrong_parent.status_code == 400
    assert client.post(f"/topics/{topic.pk}/comments/", {"body": "回复", "parent": "abc"}).status_code == 400
    assert Comment.objects.filter(topic=topic).count() == 0

    closed = flow.at(Step.PUBLICIZE, title="已公示")
    response = client.post(f"/topics/{closed.pk}/comments/", {"body": "晚了"})
    assert response.status_code == 409
    assert "Consultation on this topic has closed." in response.content.decode()


def test_only_residents_of_the_community_comment(client, flow, world):
    topic = flow.raise_topic()
    for someone in (world.outsider, world.other_staff, world.official):
        client.force_login(someone)
        page = client.get(f"/topics/{topic.pk}/")
        assert not page.context["can_comment"] and 'id="comment-form"' not in page.content.decode()
        assert client.post(f"/topics/{topic.pk}/comments/", {"body": "路过"}).status_code == 403
    client.logout()
    assert "Log in to comment" in client.get(f"/topics/{topic.pk}/").content.decode()
    assert client.post(f"/topics/{topic.pk}/comments/", {"body": "匿名"}).status_code == 302
    assert not Comment.objects.exists()


def test_authors_edit_their_comment_for_fifteen_minutes(client, flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="错字")
    client.force_login(world.author)
    assert client.get(f"/comments/{comment.pk}/edit/").status_code == 403
    client.force_login(world.resident)
    assert f'href="/comments/{comment.pk}/edit/"' in client.get(f"/topics/{topic.pk}/").content.decode()
    assert client.get(f"/comments/{comment.pk}/edit/").status_code == 200
    assert client.post(f"/comments/{comment.pk}/edit/", {"body": "改正"}).status_code == 302
    flow.travel(minutes=16)
    late = client.post(f"/comments/{comment.pk}/edit/", {"body": "再改"})
    assert late.status_code == 409
    comment.refresh_from_db()
    assert comment.body == "改正"


def test_reports_hold_a_comment_and_moderators_decide(client, flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.author, topic=topic, body="有争议的话")
    reporters = [world.resident, world.supervisor, world.council[0]]
    for reporter in reporters:
        client.force_login(reporter)
        assert client.get(f"/comments/{comment.pk}/report/").status_code == 200
        assert client.post(f"/comments/{comment.pk}/report/", {"reason": "人身攻击"}).status_code == 302
    assert client.post(f"/comments/{comment.pk}/report/", {"reason": "再举报"}).status_code == 409
    assert CommentReport.objects.count() == 3

    others = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "有争议的话" not in others and "while a moderator reviews reports" in others
    client.force_login(world.author)
    own = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "有争议的话" in own and "until a moderator decides" in own

    client.force_login(world.resident)
    assert client.post(f"/comments/{comment.pk}/moderate/", {"reason": "x"}).status_code == 403
    client.force_login(world.staff)
    assert client.post(f"/comments/{comment.pk}/moderate/", {"reason": "含人身攻击"}).status_code == 302
    client.force_login(world.author)
    assert "含人身攻击" in client.get(f"/topics/{topic.pk}/").content.decode()
    client.force_login(world.resident)
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "有争议的话" not in html and "含人身攻击" not in html and "hidden by staff" in html

    client.force_login(world.staff)
    assert client.post(f"/comments/{comment.pk}/moderate/", {"keep": "on"}).status_code == 302
    comment.refresh_from_db()
    assert comment.is_visible


def test_residents_support_a_topic_once_and_withdraw(client, flow, world):
    topic = flow.raise_topic()
    client.force_login(world.resident)
    client.post(f"/topics/{topic.pk}/support/", {"action": "give"})
    client.post(f"/topics/{topic.pk}/support/", {"action": "give"})
    assert Support.objects.filter(topic=topic).count() == 1
    assert client.get(f"/topics/{topic.pk}/").context["support"] == {"count": 1, "mine": True}
    client.post(f"/topics/{topic.pk}/support/", {"action": "withdraw"})
    assert not Support.objects.exists()
    client.force_login(world.outsider)
    assert client.post(f"/topics/{topic.pk}/support/", {"action": "give"}).status_code == 403


def test_the_topic_page_costs_the_same_at_10_and_300_comments(client, flow, world, django_assert_num_queries):
    few, many = flow.raise_topic(), flow.raise_topic(title="热门议题")
    people = [world.resident, world.author, *world.council]
    add_comments(few, people, 10)
    add_comments(many, people, 300)
    services.comment_hide(actor=world.staff, comment=many.comments.first(), reason="重复")
    for viewer in (world.resident, world.staff, None):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        client.get(f"/topics/{few.pk}/")
        cache.clear()  # both pages rendered, not served from the anonymous visitors' cache
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/topics/{few.pk}/").status_code == 200
        with django_assert_num_queries(len(captured)):
            response = client.get(f"/topics/{many.pk}/")
        # A page of threads at a time: every comment is on one of the pages, once.
        pages = response.context["threads_page"].paginator.num_pages
        shown = response.content.decode().count('<article class="delib-comment')
        for number in range(2, pages + 1):
            page = client.get(f"/topics/{many.pk}/?page={number}").content.decode()
            shown += page.count('<article class="delib-comment')
        assert shown == 300


def test_the_consultation_is_read_a_page_of_threads_at_a_time(client, flow, world):
    topic = flow.raise_topic()
    people = [world.resident, world.author, *world.council]
    add_comments(topic, people, 120)  # 80 threads, 40 of them with a reply
    client.force_login(world.resident)
    first = client.get(f"/topics/{topic.pk}/")
    assert first.context["threads_page"].paginator.num_pages == 2
    assert len(first.context["threads"]) == 50
    assert 'href="?page=2#consultation" rel="next"' in first.content.decode()
    second = client.get(f"/topics/{topic.pk}/?page=2").content.decode()
    assert '<article class="delib-comment' in second and 'rel="prev"' in second
    # A page past the end, or not a number, shows the nearest real page rather than an error.
    assert client.get(f"/topics/{topic.pk}/?page=99").context["threads_page"].number == 2
    assert client.get(f"/topics/{topic.pk}/?page=x").context["threads_page"].number == 1
    # A new comment, and a reply to the first thread, are each shown on their own page.
    posted = client.post(f"/topics/{topic.pk}/comments/", {"body": "我也同意"})
    newest = Comment.objects.filter(topic=topic).latest("pk")
    assert posted["Location"] == f"/topics/{topic.pk}/?page=2#comment-{newest.pk}"
    oldest = Comment.objects.filter(topic=topic, parent__isnull=True).order_by("created_at", "pk").first()
    replied = client.post(f"/topics/{topic.pk}/comments/", {"body": "回复", "parent": oldest.pk})
    reply = Comment.objects.filter(topic=topic).latest("pk")
    assert replied["Location"] == f"/topics/{topic.pk}/#comment-{reply.pk}"


# Publicity, implementation, evaluation
def test_residents_object_during_publicity_and_staff_answer(client, flow, world):
    topic = flow.at(Step.PUBLICIZE)
    client.force_login(world.resident)
    page = client.get(f"/topics/{topic.pk}/")
    assert page.context["can_object"]
    assert client.post(f"/topics/{topic.pk}/objections/", {"body": ""}).status_code == 400
    assert client.post(f"/topics/{topic.pk}/objections/", {"body": "费用太高"}).status_code == 302
    objection = Objection.objects.get()
    client.force_login(world.outsider)
    assert client.post(f"/topics/{topic.pk}/objections/", {"body": "越界"}).status_code == 403
    assert client.post(f"/objections/{objection.pk}/answer/", {"answer": "不"}).status_code == 403
    client.force_login(world.staff)
    assert client.post(f"/objections/{objection.pk}/answer/", {"answer": ""}).status_code == 400
    assert client.post(f"/objections/{objection.pk}/answer/", {"answer": "由维修基金承担"}).status_code == 302
    client.logout()
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "费用太高" in html and "由维修基金承担" in html

    flow.end_publicity(topic)
    client.force_login(world.resident)
    late = client.post(f"/topics/{topic.pk}/objections/", {"body": "过期的异议"})
    assert late.status_code == 409
    assert Objection.objects.count() == 1


def test_supervisors_report_progress_with_a_photo(client, flow, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    topic = flow.at(Step.IMPLEMENT)
    task = flow.task(topic)
    client.force_login(world.resident)
    assert client.post(f"/tasks/{task.pk}/progress/", {"percent": 10, "note": "x"}).status_code == 403
    client.force_login(world.supervisor)
    page = client.get(f"/topics/{topic.pk}/")
    assert page.context["progress"]["tasks"][0].may_report
    bad = client.post(f"/tasks/{task.pk}/progress/", {"percent": 150, "note": "超了"})
    assert bad.status_code == 400
    fake = SimpleUploadedFile("photo.png", b"not a png at all", content_type="image/png")
    assert (
        client.post(f"/tasks/{task.pk}/progress/", {"percent": 40, "note": "x", "attachment": fake}).status_code == 400
    )
    photo = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    response = client.post(f"/tasks/{task.pk}/progress/", {"percent": 60, "note": "已换一半", "attachment": photo})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.percent == 60
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert 'value="60"' in html and "photo.png" in html


def test_residents_rate_once_during_the_evaluation(client, flow, world):
    topic = flow.at(Step.EVALUATE)
    client.force_login(world.resident)
    assert client.get(f"/topics/{topic.pk}/").context["can_rate"]
    assert client.post(f"/topics/{topic.pk}/rating/", {"score": 9}).status_code == 400
    assert client.post(f"/topics/{topic.pk}/rating/", {"score": 4, "comment": "不错"}).status_code == 302
    second = client.post(f"/topics/{topic.pk}/rating/", {"score": 1})
    assert second.status_code == 409
    assert Rating.objects.get().score == 4
    client.force_login(world.author)
    client.post(f"/topics/{topic.pk}/rating/", {"score": 2})
    client.force_login(world.outsider)
    assert client.post(f"/topics/{topic.pk}/rating/", {"score": 5}).status_code == 403
    page = client.get(f"/topics/{topic.pk}/")
    assert page.context["ratings"]["count"] == 2 and page.context["ratings"]["mean"] == 3
    assert [row["count"] for row in page.context["distribution"]] == [0, 1, 0, 1, 0]


def test_the_resolution_and_the_tally_are_shown(client, flow, world):
    topic = flow.at(Step.PUBLICIZE)
    html = client.get(f"/topics/{topic.pk}/").content.decode()
    assert "同意更换全部楼道灯" in html
    assert response_has_tally(html, 3, 0, 0)


def response_has_tally(html, votes_for, against, abstain):
    return all(f"<dd>{n}</dd>" in html for n in (votes_for, against, abstain))


# The archive
def test_the_record_as_a_printable_page_and_as_json(client, flow, world):
    topic = flow.at(Step.ARCHIVE)
    services_comment = Comment.objects.filter(topic=topic).count()
    assert services_comment == 0
    page = client.get(f"/topics/{topic.pk}/record/")
    assert page.status_code == 200
    html = page.content.decode()
    for entry in TrailEntry.objects.filter(topic=topic):
        assert entry.hash in html
    assert "同意更换全部楼道灯" in html

    response = client.get(f"/topics/{topic.pk}/record.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    record = response.json()
    assert record == selectors.topic_record(topic)
    assert record["topic"]["step"] == "archive"
    assert [c["to"] for c in record["history"]] == [s.value for s in Step]
    assert record["meetings"][0]["vote"]["for"] == 3
    assert record["tasks"] and record["trail"]


def test_the_record_keeps_hidden_text_out(client, flow, world):
    topic = flow.raise_topic()
    hidden = services.comment_post(actor=world.resident, topic=topic, body="不该公开的话")
    services.comment_hide(actor=world.staff, comment=hidden, reason="涉及隐私")
    assert "不该公开的话" not in client.get(f"/topics/{topic.pk}/record/").content.decode()
    assert "不该公开的话" not in client.get(f"/topics/{topic.pk}/record.json").content.decode()


# Meetings and the public gallery
def test_the_meeting_page_before_the_meeting(client, flow, world):
    topic = flow.at(Step.REVIEW)
    meeting = flow.meeting(observer_seats=2)
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert topic.get_absolute_url() in html and "社区议事厅" in html
    assert response.context["meeting"].seats_left == 2
    # A logged-out visitor (e.g. from an SMS notice) is one code away from a seat.
    assert f'href="/accounts/login/sms/?next=/meetings/{meeting.pk}/"' in html


def test_residents_register_for_the_gallery_and_cancel(client, flow, world):
    meeting = flow.meeting(observer_seats=1)
    client.force_login(world.resident)
    response = client.post(f"/meetings/{meeting.pk}/gallery/", {"action": "register"})
    assert response.status_code == 302
    assert client.post(f"/meetings/{meeting.pk}/gallery/", {"action": "register"}).status_code == 302
    assert ObserverRegistration.objects.filter(cancelled_at__isnull=True).count() == 1
    page = client.get(f"/meetings/{meeting.pk}/")
    assert page.context["registration"] is not None and page.context["meeting"].seats_left == 0

    client.force_login(world.author)
    full = client.post(f"/meetings/{meeting.pk}/gallery/", {"action": "register"})
    assert full.status_code == 409
    assert "All 1 gallery seats are taken." in full.content.decode()
    client.force_login(world.outsider)
    assert client.post(f"/meetings/{meeting.pk}/gallery/", {"action": "register"}).status_code == 403

    client.force_login(world.resident)
    assert client.post(f"/meetings/{meeting.pk}/gallery/", {"action": "cancel"}).status_code == 302
    client.force_login(world.author)
    assert client.post(f"/meetings/{meeting.pk}/gallery/", {"action": "register"}).status_code == 302
    assert list(ObserverRegistration.objects.filter(cancelled_at__isnull=True).values_list("user", flat=True)) == [
        world.author.pk
    ]


def test_the_meeting_page_after_the_meeting_shows_minutes_and_resolutions(client, flow, world):
    topic = flow.at(Step.RESOLVE)
    flow.vote(topic)
    meeting = topic.agenda_item().meeting
    services.meeting_minutes_record(actor=world.staff, meeting=meeting, minutes="会议纪要：全体通过。")
    response = client.get(f"/meetings/{meeting.pk}/")
    html = response.content.decode()
    assert "会议纪要：全体通过。" in html and "同意更换全部楼道灯" in html
    assert response.context["quorum"].met
    assert len(response.context["attendance"]) == 3


def test_the_meeting_page_costs_the_same_at_two_agenda_sizes(client, flow, world, django_assert_num_queries):
    small, large = flow.meeting(days=7), flow.meeting(days=8)
    for index in range(12):
        topic = flow.at(Step.REVIEW, title=f"议题{index}")
        services.agenda_add(actor=world.staff, meeting=small if index < 2 else large, topic=topic)
    client.force_login(world.resident)
    client.get(f"/meetings/{small.pk}/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/meetings/{small.pk}/").status_code == 200
    with django_assert_num_queries(len(captured)):
        response = client.get(f"/meetings/{large.pk}/")
    assert len(response.context["agenda"]) == 10


def test_a_communitys_meetings(client, flow, world):
    coming = flow.meeting(days=10)
    flow.travel(days=1)
    response = client.get(f"/communities/{world.community.pk}/meetings/")
    assert response.status_code == 200
    assert coming in response.context["upcoming"]
    assert coming.get_absolute_url() in response.content.decode()


def test_take_a_topic_off_the_agenda(flow, world):
    topic = flow.at(Step.REVIEW)
    meeting = flow.meeting()
    services.agenda_add(actor=world.staff, meeting=meeting, topic=topic)
    services.agenda_remove(actor=world.staff, meeting=meeting, topic=topic)
    assert not topic.agenda_items.exists()
    entry = TrailEntry.objects.filter(topic=topic).last()
    assert entry.kind == "agenda" and entry.data["removed"] is True
    later = flow.meeting(days=9)
    services.agenda_add(actor=world.staff, meeting=later, topic=topic)
    assert topic.agenda_item().meeting == later
