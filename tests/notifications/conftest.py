import pytest
from django.contrib.auth import get_user_model

from communities.models import Community, Residency
from notifications.registry import Content, NoticeKind, registry

TEST_KIND = "tests.community_news"


def community_residents(community, notice):
    verified = Residency.objects.filter(community=community, status=Residency.Status.VERIFIED).values("user_id")
    return get_user_model().objects.filter(pk__in=verified)


def community_news(community, notice):
    from django.utils.translation import gettext as _

    return Content(
        title=_("News") + f": {community.name}",
        body=notice.params.get("text", "body"),
        url=f"http://testserver{community.get_absolute_url()}",
        sms=f"SMS {community.name}",
    )


@pytest.fixture
def news_kind():
    """A notice kind about a community, to every verified resident, over every channel."""
    kind = NoticeKind(
        name=TEST_KIND,
        label="Community news",
        subject_model=Community,
        recipients=community_residents,
        content=community_news,
        is_current=lambda community, notice: not notice.params.get("stale"),
        community_key=lambda community: community.pk,
        subject_key="community",
    )
    registry.register(kind)
    yield kind
    registry.unregister(TEST_KIND)


@pytest.fixture(autouse=True)
def _eager_tasks(settings, tmp_path):
    """Tasks run in the test process; SMS files go to a fresh folder."""
    from civic.celery import app

    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
