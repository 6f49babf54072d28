"""A topic's page as anonymous visitors get it from the cache: any change the trail records
(a comment, its hiding, a step) shows on the next visit."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from deliberation import services


def test_a_topic_page_is_served_again_without_the_database(client, flow):
    topic = flow.raise_topic()
    client.get(f"/topics/{topic.pk}/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/topics/{topic.pk}/").status_code == 200
    assert len(queries) == 0


def test_a_new_comment_and_a_hidden_one_show_on_the_next_visit(client, flow, world):
    topic = flow.raise_topic()
    comment = services.comment_post(actor=world.resident, topic=topic, body="楼下的灯也坏了")
    assert "楼下的灯也坏了" in client.get(f"/topics/{topic.pk}/").content.decode()
    services.comment_post(actor=world.resident, topic=topic, body="三楼也是")
    assert "三楼也是" in client.get(f"/topics/{topic.pk}/").content.decode()
    services.comment_hide(actor=world.staff, comment=comment, reason="重复")
    assert "楼下的灯也坏了" not in client.get(f"/topics/{topic.pk}/").content.decode()


def test_a_missing_topic_is_still_404(client, db):
    assert client.get("/topics/999999/").status_code == 404
