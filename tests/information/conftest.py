import datetime
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from communities.models import BodyKind
from information import services
from tests import factories


@pytest.fixture(autouse=True)
def _media_and_sms(settings, tmp_path):
    """Uploads and SMS files go to a fresh folder; notice tasks run in the test process."""
    from civic.celery import app

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.SMS_BACKEND = "notifications.sms.FileBackend"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def area(db):
    """Two communities in one street, a third in another street of the same district, and a
    fourth in another district; staff, residents and officials for them."""
    root = factories.superuser()
    home = factories.CommunityFactory()
    neighbour = factories.CommunityFactory(street=home.street)
    across = factories.CommunityFactory(street=factories.StreetFactory(district=home.street.district))
    elsewhere = factories.CommunityFactory()
    return {
        "root": root,
        "home": home,
        "neighbour": neighbour,
        "across": across,
        "elsewhere": elsewhere,
        "street": home.street,
        "district": home.street.district,
        "staff": factories.staff_member(home, actor=root),
        "staff_other": factories.staff_member(elsewhere, actor=root),
        "resident": factories.resident(home, actor=root),
        "neighbour_resident": factories.resident(neighbour, actor=root),
        "across_resident": factories.resident(across, actor=root),
        "outsider": factories.resident(elsewhere, actor=root),
        "street_official": factories.official(street=home.street, actor=root),
        "district_official": factories.official(district=home.street.district, actor=root),
        "other_official": factories.official(district=elsewhere.street.district, actor=root),
    }


def publish(actor, area, **fields):
    fields.setdefault("title", "停水通知")
    fields.setdefault("body", "明天上午 **9 点到 12 点** 停水。")
    return services.announcement_publish(actor=actor, area=area, **fields)


def days(n):
    return timezone.now() + datetime.timedelta(days=n)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def upload(name="notice.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def docx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def council_body(community, root):
    from communities import services as community_services

    return community_services.body_create(
        actor=root, community=community, kind=BodyKind.DELIBERATION_COUNCIL, name=f"{community.name}居民议事会"
    )
