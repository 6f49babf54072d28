"""Checks on the photos and files attached to progress reports.

The type is read from the file's first bytes, not from its name or the browser's word for
it, and must agree with the name's extension; the uploader's file name is kept for display
only and never reaches a storage path.
"""

import hashlib
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

MAX_BYTES = getattr(settings, "DELIBERATION_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)

# content type -> (extensions it may carry, magic test)
ALLOWED = {
    "image/jpeg": ({".jpg", ".jpeg"}, lambda head: head.startswith(b"\xff\xd8\xff")),
    "image/png": ({".png"}, lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "image/webp": ({".webp"}, lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "application/pdf": ({".pdf"}, lambda head: head.startswith(b"%PDF-")),
}


def clean_name(name):
    """The part of an uploaded name worth showing: its last segment, printable, bounded."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "<>\"'&")
    return base[-150:] or "file"


def inspect(upload):
    """Return (content_type, size, sha256, display name) or raise ValidationError."""
    size = upload.size
    if size is None or size <= 0:
        raise ValidationError({"attachment": _("The file is empty.")})
    if size > MAX_BYTES:
        raise ValidationError(
            {
                "attachment": _("The file is %(size)s; files may be at most %(max)s.")
                % {"size": filesizeformat(size), "max": filesizeformat(MAX_BYTES)}
            }
        )
    upload.seek(0)
    head = upload.read(16)
    content_type = next((kind for kind, (_exts, test) in ALLOWED.items() if test(head)), None)
    if content_type is None:
        raise ValidationError({"attachment": _("Attach a photo (JPEG, PNG or WebP) or a PDF document.")})
    name = clean_name(getattr(upload, "name", "") or "")
    if PurePosixPath(name).suffix.lower() not in ALLOWED[content_type][0]:
        raise ValidationError({"attachment": _("The file's name does not match its content.")})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    return content_type, size, digest.hexdigest(), name
