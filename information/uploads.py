"""Checks on announcement attachments: documents and photos under the portal's upload policy
(core.uploads), at most five to an announcement."""

from core import uploads

MAX_ATTACHMENTS = 5
POLICY = uploads.DOCUMENTS_AND_PHOTOS
TooLarge = uploads.TooLarge


def inspect(upload):
    """Return (content_type, size, sha256, display name) or raise ValidationError (TooLarge)."""
    return uploads.inspect(upload, policy=POLICY, field="attachments")
