"""Checks on announcement attachments.

The type is read from the file's first bytes (and, for Office documents, from the package
inside), never from its name or the browser's word for it, and must agree with the name's
extension. The uploader's file name is kept for display only and never reaches a path.
"""

import hashlib
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_ATTACHMENTS = 5


def max_bytes():
    return getattr(settings, "ANNOUNCEMENT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)


class TooLarge(ValidationError):
    """An attachment over the size limit: the API answers 413."""


def _office(part):
    """An Office Open XML package whose main part is `part` (word/document.xml...)."""

    def test(head, upload):
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            upload.seek(0)
        return "[Content_Types].xml" in names and part in names

    return test


# content type -> (extensions it may carry, test on the first bytes and the file)
ALLOWED = {
    "image/jpeg": ({".jpg", ".jpeg"}, lambda head, upload: head.startswith(b"\xff\xd8\xff")),
    "image/png": ({".png"}, lambda head, upload: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/webp": ({".webp"}, lambda head, upload: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "application/pdf": ({".pdf"}, lambda head, upload: head.startswith(b"%PDF-")),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        {".docx"},
        _office("word/document.xml"),
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ({".xlsx"}, _office("xl/workbook.xml")),
}


def clean_name(name):
    """The part of an uploaded name worth showing: its last segment, printable, bounded."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "<>\"'&")
    return base[-150:] or "file"


def inspect(upload):
    """Return (content_type, size, sha256, display name) or raise ValidationError (TooLarge)."""
    size = upload.size
    name = clean_name(getattr(upload, "name", "") or "")
    if size is None or size <= 0:
        raise ValidationError({"attachments": _("The file %(name)s is empty.") % {"name": name}})
    limit = max_bytes()
    if size > limit:
        raise TooLarge(
            {
                "attachments": _("The file %(name)s is %(size)s; attachments may be at most %(max)s each.")
                % {"name": name, "size": filesizeformat(size), "max": filesizeformat(limit)}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = next((kind for kind, (_exts, test) in ALLOWED.items() if test(head, upload)), None)
    if content_type is None:
        raise ValidationError(
            {
                "attachments": _(
                    "The file %(name)s is not an accepted type: attach a PDF, a Word or Excel document "
                    "(.docx, .xlsx) or a photo (JPEG, PNG or WebP)."
                )
                % {"name": name}
            }
        )
    if PurePosixPath(name).suffix.lower() not in ALLOWED[content_type][0]:
        raise ValidationError(
            {"attachments": _("The name of the file %(name)s does not match its content.") % {"name": name}}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    return content_type, size, digest.hexdigest(), name
