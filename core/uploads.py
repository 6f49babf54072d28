"""What the portal accepts as an uploaded file, for every place that takes one.

A committee posts notices, minutes and photos of the work: PDF, Word and Excel documents
(.docx, .xlsx) and JPEG, PNG or WebP photos. Nothing a browser would run (HTML, SVG,
scripts, executables) and no older Office formats, which carry macros.

The type is read from the file's first bytes (for Office documents, from the package
inside), never from its name or the browser's word for it, and the name's extension must
agree with it, so what is stored is served back as what it is. Size is limited by
CIVIC_UPLOAD_MAX_BYTES; an upload over it raises TooLarge, which the API answers 413.
The uploader's file name is cleaned and kept for display only: stored files are named by
a random token (the models' upload_to), so no name reaches a path.
"""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def _starts(*magic):
    return lambda head, upload: head.startswith(magic)


def _webp(head, upload):
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


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


# What a person calls each kind, to say what a file named like one is not.
KIND_NAMES = {
    "image/jpeg": gettext_lazy("JPEG photo"),
    "image/png": gettext_lazy("PNG image"),
    "image/webp": gettext_lazy("WebP image"),
    "application/pdf": gettext_lazy("PDF document"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": gettext_lazy("Word document"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": gettext_lazy("Excel workbook"),
}

# content type -> (extensions it may carry, test on the first bytes and the file)
KINDS = {
    "image/jpeg": ({".jpg", ".jpeg"}, _starts(b"\xff\xd8\xff")),
    "image/png": ({".png"}, _starts(b"\x89PNG\r\n\x1a\n")),
    "image/webp": ({".webp"}, _webp),
    "application/pdf": ({".pdf"}, _starts(b"%PDF-")),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        {".docx"},
        _office("word/document.xml"),
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ({".xlsx"}, _office("xl/workbook.xml")),
}


@dataclass(frozen=True)
class Policy:
    """Which kinds one place accepts, and how to tell a person what to attach instead."""

    name: str
    kinds: tuple
    refusal: str

    def accept_attribute(self):
        """For <input type=file accept=...>: the extensions and types, a hint to the browser only."""
        extensions = sorted(ext for kind in self.kinds for ext in KINDS[kind][0])
        return ",".join([*extensions, *self.kinds])


PHOTOS_AND_PDF = Policy(
    "photos_and_pdf",
    ("image/jpeg", "image/png", "image/webp", "application/pdf"),
    gettext_lazy("The file %(name)s is not an accepted type: attach a photo (JPEG, PNG or WebP) or a PDF document."),
)
DOCUMENTS_AND_PHOTOS = Policy(
    "documents_and_photos",
    tuple(KINDS),
    gettext_lazy(
        "The file %(name)s is not an accepted type: attach a PDF, a Word or Excel document "
        "(.docx, .xlsx) or a photo (JPEG, PNG or WebP)."
    ),
)
POLICIES = {policy.name: policy for policy in (PHOTOS_AND_PDF, DOCUMENTS_AND_PHOTOS)}


class TooLarge(ValidationError):
    """An upload over CIVIC_UPLOAD_MAX_BYTES: the API answers 413."""


def max_bytes():
    return settings.CIVIC_UPLOAD_MAX_BYTES


def clean_name(name):
    """The part of an uploaded name worth showing: its last segment, printable, bounded."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "<>\"'&")
    return base[-150:] or "file"


def _refuse(field, message, error=ValidationError):
    raise error({field: message} if field else message)


def inspect(upload, *, policy, field=None):
    """Return (content_type, size, sha256, display name) or raise ValidationError (TooLarge).

    With `field`, the errors are keyed by it, as a service's errors are.
    """
    size = upload.size
    name = clean_name(getattr(upload, "name", "") or "")
    if size is None or size <= 0:
        _refuse(field, _("The file %(name)s is empty.") % {"name": name})
    limit = max_bytes()
    if size > limit:
        _refuse(
            field,
            _("The file %(name)s is %(size)s; attachments may be at most %(max)s each.")
            % {"name": name, "size": filesizeformat(size), "max": filesizeformat(limit)},
            TooLarge,
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = next((kind for kind in policy.kinds if KINDS[kind][1](head, upload)), None)
    if content_type is None:
        suffix = PurePosixPath(name).suffix.lower()
        claimed = next((kind for kind in policy.kinds if suffix in KINDS[kind][0]), None)
        if claimed is not None:
            # Named as an accepted kind, but its bytes are not that kind: say so, not "attach a PDF".
            _refuse(
                field,
                _(
                    "The file %(name)s is named as a %(kind)s but its content is not one, so it is not an accepted "
                    "type: it may be damaged, or another kind of file renamed. Save or export it again as a real "
                    "%(kind)s and attach that."
                )
                % {"name": name, "kind": KIND_NAMES[claimed]},
            )
        _refuse(field, str(policy.refusal) % {"name": name})
    if PurePosixPath(name).suffix.lower() not in KINDS[content_type][0]:
        _refuse(field, _("The name of the file %(name)s does not match its content.") % {"name": name})
    digest = hashlib.sha256()
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    return content_type, size, digest.hexdigest(), name


def file_response(field_file, *, content_type, name):
    """Serve a stored upload as the type its bytes were checked to be: photos and PDFs open in
    the browser, documents download; the browser may not guess another type, and the file
    runs in a sandbox with nothing allowed. A file missing from storage is a 404."""
    try:
        handle = field_file.open("rb")
    except OSError as exc:
        raise Http404(_("The file of this attachment is missing.")) from exc
    inline = content_type.startswith("image/") or content_type == "application/pdf"
    response = FileResponse(handle, as_attachment=not inline, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response


@deconstructible
class FileCheck:
    """A model field's validator: a newly uploaded file must pass `inspect` under the policy.

    Files already stored were checked when they came in and are not read again.
    """

    def __init__(self, policy_name):
        self.policy_name = policy_name

    def __call__(self, value):
        if getattr(value, "_committed", True):
            return
        inspect(value, policy=POLICIES[self.policy_name])

    def __eq__(self, other):
        return isinstance(other, FileCheck) and other.policy_name == self.policy_name
