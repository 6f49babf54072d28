"""Kept so existing imports keep working: the errors live in the shared kernel (core.errors)."""

from core.errors import Conflict

__all__ = ["Conflict"]
