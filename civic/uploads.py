"""Kept for the migrations that name the validator by this path: the upload policy lives in core.uploads."""

from core.uploads import FileCheck

__all__ = ["FileCheck"]
