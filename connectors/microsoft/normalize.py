"""Graph JSON to canonical records: the one entry point (``normalize``) and delete markers.

A delta page mixes live items with ``{"id": ..., "@removed": {"reason": ...}}`` entries; those
become ``RemovedItem``s, which the producers publish as deleted-change update events.

A payload of another kind than the one asked for (a message read as a contact) is refused
rather than turned into a half-empty record: ``@odata.type`` says what a payload is when Graph
sends it, and otherwise the properties only one kind of resource has.
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
from connectors.payload_fields import nesting_guard, shown, telling_kind
from schemas.models import CalendarEvent, Contact, Email

DocKind = Literal["email", "event", "contact"]
Record = Email | CalendarEvent | Contact

#: The Graph resource each kind reads, by ``@odata.type`` in lower case (change notifications
#: write "#Microsoft.Graph.Message"): the types derived from ``message`` (meeting requests,
#: responses and cancellations; calendar sharing invitations) are mail too.
RESOURCES: dict[str, DocKind] = {
    "#microsoft.graph.message": "email",
    "#microsoft.graph.eventmessage": "email",
    "#microsoft.graph.eventmessagerequest": "email",
    "#microsoft.graph.eventmessageresponse": "email",
    "#microsoft.graph.calendarsharingmessage": "email",
    "#microsoft.graph.event": "event",
    "#microsoft.graph.contact": "contact",
}
_NOUNS: dict[str, str] = {"email": "a message", "event": "an event", "contact": "a contact"}
#: Properties that only one kind of resource has, for payloads without ``@odata.type``.
_TELLING_FIELDS: dict[str, frozenset[str]] = {
    "email": frozenset({
        "receivedDateTime", "sentDateTime", "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "from",
        "sender", "conversationId", "internetMessageId", "internetMessageHeaders", "isRead", "isDraft",
    }),
    "event": frozenset({
        "start", "end", "isAllDay", "isCancelled", "attendees", "organizer", "seriesMasterId", "recurrence",
        "iCalUId", "originalStartTimeZone", "onlineMeeting", "showAs",
    }),
    "contact": frozenset({
        "givenName", "surname", "emailAddresses", "businessPhones", "homePhones", "mobilePhone", "companyName",
        "fileAs", "nickName", "imAddresses",
    }),
}


class RemovedItem(BaseModel):
    """An item Graph reported as ``@removed``: deleted, or moved out of the tracked folder /
    calendarView window. ``reason`` is Graph's: ``deleted`` (gone for good) or ``changed``
    (soft-deleted, still restorable) — both mean "not here any more" to a consumer; or ours,
    ``seriesMasterNotFound``: an occurrence whose series Graph no longer has (``occurrences.py``)."""

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
        raise NormalizationError(f"{kind}: '@removed' must be an object like {{'reason': 'deleted'}}, got {shown(marker)}")
    reason = marker.get("reason") or "deleted"
    return RemovedItem(kind=kind, id=text(entry, "id", kind, required=True) or "", reason=str(reason))


def normalize(
    kind: DocKind, payload: object, *, folder_names: Mapping[str, str] | None = None
) -> Record | RemovedItem:
    """The canonical record (or delete marker) for one Graph item of ``kind``.

    Raises ``NormalizationError`` naming the field when the payload cannot be read or is of
    another kind.
    """
    if kind not in _TELLING_FIELDS:
        raise NormalizationError(f"unknown kind {shown(kind)}: expected email, event or contact")
    entry = require_object(payload, kind)
    with nesting_guard(entry, kind, NormalizationError):
        check_kind(kind, entry)
        if is_removed(entry):
            return removed_item(kind, entry)
        if kind == "email":
            return normalize_message(entry, folder_names=folder_names)
        if kind == "event":
            return normalize_event(entry)
        return normalize_contact(entry)


def check_kind(kind: DocKind, entry: Mapping[str, object]) -> None:
    """Refuse a payload that is not a resource of ``kind``."""
    odata_type = text(entry, "@odata.type", kind)
    if odata_type is not None:
        if RESOURCES.get("#" + odata_type.removeprefix("#").lower()) != kind:
            raise NormalizationError(f"{kind}: '@odata.type' is {shown(odata_type)}, not {_NOUNS[kind]}")
        return
    other = telling_kind(kind, entry, _TELLING_FIELDS)
    if other is not None:
        raise NormalizationError(f"{kind}: the payload is {_NOUNS[other[0]]}, not {_NOUNS[kind]} (it has {', '.join(other[1][:3])})")


__all__ = ["DocKind", "NormalizationError", "Record", "RemovedItem", "is_removed", "normalize", "removed_item"]
