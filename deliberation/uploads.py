"""Checks on the photos and files attached to progress reports: photos and PDF documents under
the portal's upload policy (core.uploads)."""

from core import uploads

POLICY = uploads.PHOTOS_AND_PDF


def inspect(upload):
    """Return (content_type, size, sha256, display name) or raise ValidationError (TooLarge)."""
    return uploads.inspect(upload, policy=POLICY, field="attachment")
