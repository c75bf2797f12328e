"""Graph JSON to canonical records: the one entry point (``normalize``) and delete markers.

A delta page mixes live items with ``{"id": ..., "@removed": {"reason": ...}}`` entries; those
become ``RemovedItem``s, which the producers publish as deleted-change update events.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.normalize_calendar import normalize_event
from connectors.microsoft.normalize_contacts import normalize_contact
from connectors.microsoft.normalize_mail import normalize_message
from connectors.microsoft.payload import require_object, text
from schemas.models import CalendarEvent, Contact, Email

DocKind = Literal["email", "event", "contact"]
Record = Email | CalendarEvent | Contact


class RemovedItem(BaseModel):
    """An item Graph reported as ``@removed``: deleted, or moved out of the tracked folder /
    calendarView window. ``reason`` is Graph's: ``deleted`` (gone for good) or ``changed``
    (soft-deleted, still restorable) — both mean "not here any more" to a consumer."""

    model_config = ConfigDict(frozen=True)

    kind: DocKind
    id: str
    reason: str = "deleted"


def is_removed(payload: Mapping[str, object]) -> bool:
    return "@removed" in payload


def removed_item(kind: DocKind, payload: object) -> RemovedItem:
    entry = require_object(payload, kind)
    marker = entry.get("@removed")
    if not isinstance(marker, Mapping):
        raise NormalizationError(f"{kind}: '@removed' must be an object like {{'reason': 'deleted'}}, got {marker!r}")
    reason = marker.get("reason") or "deleted"
    return RemovedItem(kind=kind, id=text(entry, "id", kind, required=True) or "", reason=str(reason))


def normalize(
    kind: DocKind, payload: object, *, folder_names: Mapping[str, str] | None = None
) -> Record | RemovedItem:
    """The canonical record (or delete marker) for one Graph item of ``kind``.

    Raises ``NormalizationError`` naming the field when the payload cannot be read.
    """
    entry = require_object(payload, kind)
    if is_removed(entry):
        return removed_item(kind, entry)
    if kind == "email":
        return normalize_message(entry, folder_names=folder_names)
    if kind == "event":
        return normalize_event(entry)
    if kind == "contact":
        return normalize_contact(entry)
    raise NormalizationError(f"unknown kind {kind!r}: expected email, event or contact")


__all__ = ["DocKind", "NormalizationError", "Record", "RemovedItem", "is_removed", "normalize", "removed_item"]
