"""Uploads (core.uploads): an allow-list of types read from the file's bytes, a size limit
from settings, checked by the model fields, the admin, the API (400 wrong type, 413 too
large) and the pages; stored under random names and served as the type they were checked to be."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from core import uploads
from deliberation.models import ProgressReport
from deliberation.workflow import Step
from information.models import Attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
HTML = b"<html><script>alert(1)</script></html>"
EXE = b"MZ\x90\x00" + b"\x00" * 64


def office(main_part):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(main_part, "<document/>")
    return buffer.getvalue()


DOCX = office("word/document.xml")
XLSX = office("xl/workbook.xml")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# The policy


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("现场.png", PNG, "image/png"),
        ("现场.JPG", JPEG, "image/jpeg"),
        ("现场.jpeg", JPEG, "image/jpeg"),
        ("现场.webp", WEBP, "image/webp"),
        ("纪要.pdf", PDF, "application/pdf"),
        ("办法.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("名单.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_documents_and_photos_are_accepted_by_their_bytes(name, content, content_type):
    upload = SimpleUploadedFile(name, content, content_type="text/html")
    assert uploads.inspect(upload, policy=uploads.DOCUMENTS_AND_PHOTOS)[:2] == (content_type, len(content))


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("图.svg", SVG, "not an accepted type"),
        ("页.html", HTML, "not an accepted type"),
        ("页.pdf", HTML, "not an accepted type"),
        ("程序.exe", EXE, "not an accepted type"),
        ("宏.docm", b"PK\x03\x04" + b"\x00" * 64, "not an accepted type"),
        ("假.docx", b"PK\x03\x04" + b"\x00" * 64, "not an accepted type"),
        ("照片.png", PDF, "does not match its content"),
        ("纪要.pdf.exe", PDF, "does not match its content"),
        ("空.pdf", b"", "is empty"),
    ],
)
def test_anything_else_is_refused_with_a_reason(name, content, reason):
    with pytest.raises(ValidationError) as refused:
        uploads.inspect(SimpleUploadedFile(name, content), policy=uploads.DOCUMENTS_AND_PHOTOS, field="attachments")
    assert reason in " ".join(refused.value.message_dict["attachments"])
    assert not isinstance(refused.value, uploads.TooLarge)


def test_progress_reports_take_photos_and_pdf_only():
    with pytest.raises(ValidationError, match="a photo"):
        uploads.inspect(SimpleUploadedFile("办法.docx", DOCX), policy=uploads.PHOTOS_AND_PDF)


def test_the_size_limit_comes_from_settings(settings):
    settings.CIVIC_UPLOAD_MAX_BYTES = len(PDF)
    assert uploads.inspect(SimpleUploadedFile("a.pdf", PDF), policy=uploads.PHOTOS_AND_PDF)
    with pytest.raises(uploads.TooLarge, match="at most 73"):
        uploads.inspect(SimpleUploadedFile("a.pdf", PDF + b"0"), policy=uploads.PHOTOS_AND_PDF)


def test_shown_names_lose_paths_and_markup():
    assert uploads.clean_name("..\\..\\etc/<img src=x onerror=alert(1)>.png") == "img src=x onerror=alert(1).png"
    assert uploads.clean_name("") == "file"


# The model fields


def test_the_model_fields_check_new_files():
    attachment = Attachment(file=SimpleUploadedFile("图.svg", SVG))
    with pytest.raises(ValidationError) as refused:
        attachment.clean_fields(exclude=[f.name for f in Attachment._meta.fields if f.name != "file"])
    assert "not an accepted type" in str(refused.value.message_dict["file"])
    report = ProgressReport(attachment=SimpleUploadedFile("办法.docx", DOCX))
    with pytest.raises(ValidationError):
        report.clean_fields(exclude=[f.name for f in ProgressReport._meta.fields if f.name != "attachment"])
    accepted = ProgressReport(attachment=SimpleUploadedFile("现场.png", PNG))
    accepted.clean_fields(exclude=[f.name for f in ProgressReport._meta.fields if f.name != "attachment"])


def test_files_already_stored_are_not_read_again():
    report = ProgressReport(attachment="deliberation/progress/2026/03/gone.png")
    report.clean_fields(exclude=[f.name for f in ProgressReport._meta.fields if f.name != "attachment"])


# Progress reports: page, API, admin, download


@pytest.fixture
def task(flow, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return flow.task(flow.at(Step.IMPLEMENT))


def test_the_page_answers_413_for_a_file_too_large_and_keeps_the_note(client, world, task, settings):
    settings.CIVIC_UPLOAD_MAX_BYTES = 50
    client.force_login(world.supervisor)
    big = SimpleUploadedFile("现场.png", PNG)
    response = client.post(
        f"/tasks/{task.pk}/progress/", {"percent": 40, "note": "换了一半", "attachment": big}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "attachments may be at most 50" in html and "换了一半</textarea>" in html
    assert not ProgressReport.objects.exists()


def test_the_page_answers_400_for_a_wrong_type(client, world, task):
    client.force_login(world.supervisor)
    response = client.post(
        f"/tasks/{task.pk}/progress/",
        {"percent": 40, "note": "见图", "attachment": SimpleUploadedFile("图.svg", SVG, content_type="image/svg+xml")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400 and "not an accepted type" in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_the_api_answers_413_too_large_and_400_wrong_type(world, task, settings):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(world.supervisor)
    url = f"/api/v1/tasks/{task.pk}/progress/"
    wrong = api.post(
        url, {"percent": 40, "note": "x", "attachment": SimpleUploadedFile("页.pdf", HTML)}, format="multipart"
    )
    assert wrong.status_code == 400 and "not an accepted type" in str(wrong.json()["attachment"])
    settings.CIVIC_UPLOAD_MAX_BYTES = 50
    big = api.post(
        url, {"percent": 40, "note": "x", "attachment": SimpleUploadedFile("a.pdf", PDF)}, format="multipart"
    )
    assert big.status_code == 413 and "at most 50" in str(big.json()["attachment"])
    assert not ProgressReport.objects.exists()


def test_the_admin_shows_the_form_error(client, world, task):
    client.force_login(world.staff)
    data = {
        "reports-TOTAL_FORMS": "1",
        "reports-INITIAL_FORMS": "0",
        "reports-MIN_NUM_FORMS": "0",
        "reports-MAX_NUM_FORMS": "1000",
        "reports-0-percent": "40",
        "reports-0-note": "见图",
        "reports-0-attachment": SimpleUploadedFile("图.svg", SVG),
        "_save": "Save",
    }
    url = reverse("admin:deliberation_task_change", args=[task.pk])
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "not an accepted type" in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_stored_files_get_random_names_and_are_served_as_their_checked_type(client, world, task):
    api = APIClient()
    api.force_authenticate(world.supervisor)
    photo = SimpleUploadedFile("../现场<1>.png", PNG, content_type="text/html")
    created = api.post(f"/api/v1/tasks/{task.pk}/progress/", {"percent": 40, "note": "x", "attachment": photo})
    assert created.status_code == 201, created.content
    report = ProgressReport.objects.get()
    assert report.attachment_name == "现场1.png" and "现场" not in report.attachment.name
    assert created.json()["attachment"] == f"/progress/{report.pk}/attachment/"
    response = client.get(created.json()["attachment"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


def test_a_report_without_a_file_has_no_download(client, world, task):
    api = APIClient()
    api.force_authenticate(world.supervisor)
    created = api.post(f"/api/v1/tasks/{task.pk}/progress/", {"percent": 40, "note": "x"}, format="json")
    assert created.json()["attachment"] is None
    assert client.get(f"/progress/{created.json()['id']}/attachment/").status_code == 404
