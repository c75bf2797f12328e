"""Canonical records to Vespa feed operations. Pure: no I/O, so every rule is unit tested.

- Document ids are grouped per user, ``id:<namespace>:<doctype>:g=<user_id>:<doc_id>``: the
  schemas are in streaming mode, and a query searches only the group it names.
- A created or updated item becomes a *put* of the whole document (the events carry whole
  records), a deleted one a *remove*; both are idempotent, so a redelivery is harmless.
- Bodies are plain text: an HTML body is reduced to its text with the project's one converter
  (``connectors.plain_text``; the normalizers already convert, records published before they
  did may still hold HTML). Strings lose the characters Vespa refuses, and very long ones are
  cut, so one odd email never becomes a rejected document.
- Times are epoch milliseconds (``long``); an all-day date is midnight UTC of that date.
- Empty values are left out (Vespa stores no value for them either).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from connectors.key_parts import escape_part
from connectors.plain_text import html_to_text, text_of
from connectors.vespa.exceptions import InvalidDocumentId
from connectors.vespa.operations import DocumentId, FeedOperation
from connectors.vespa.text import is_text, strip_non_text
from processors.common.exceptions import PoisonMessage
from processors.common.items import ItemChange
from schemas.models import Address, CalendarEvent, Contact, DocType, Email, EventTime

Record = Email | CalendarEvent | Contact

#: Longest text kept per field: streaming search reads whole documents, and a 5 MB newsletter
#: would make every search of its owner slower while adding nothing a search needs.
MAX_TEXT_CHARS = 100_000

_DOCTYPE_OF = {Email: DocType.email, CalendarEvent: DocType.calendar_event, Contact: DocType.contact}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class UnmappableRecord(PoisonMessage):
    """The item cannot become a Vespa document (no record, unknown type, an id Vespa refuses)."""


def document_id(doc_type: DocType, doc_id: str, *, user_id: str, namespace: str) -> DocumentId:
    """The id of ``doc_id`` of ``user_id``; the user is the streaming group. A group may not hold
    ``:`` (it separates the id's parts) while user ids may, so the group is the user id escaped
    (``connectors/key_parts.py``: ``%`` as ``%25``, ``:`` as ``%3A``); queries name the same
    escaped group (``streaming.groupname``)."""
    if doc_type is DocType.unknown:
        raise UnmappableRecord(f"document {doc_id!r} has doc_type unknown")
    try:
        return DocumentId(namespace=namespace, doctype=doc_type.value, group=escape_part(user_id), local_id=doc_id)
    except InvalidDocumentId as exc:
        raise UnmappableRecord(str(exc)) from exc


def put_operation(record: Record, *, user_id: str, namespace: str) -> FeedOperation:
    """The put that stores ``record`` as its user's Vespa document."""
    doc_type = _DOCTYPE_OF[type(record)]
    fields = _FIELDS_OF[doc_type](record, user_id)
    return FeedOperation.put(document_id(doc_type, record.id, user_id=user_id, namespace=namespace), fields)


def remove_operation(doc_type: DocType, doc_id: str, *, user_id: str, namespace: str) -> FeedOperation:
    return FeedOperation.remove(document_id(doc_type, doc_id, user_id=user_id, namespace=namespace))


def operation_for_change(change: ItemChange, *, namespace: str) -> FeedOperation:
    """The operation that applies one item change (``processors.common.items``)."""
    if change.change == "delete":
        return remove_operation(change.doc_type, change.doc_id, user_id=change.user_id, namespace=namespace)
    record = change.record
    if not isinstance(record, (Email, CalendarEvent, Contact)) or _DOCTYPE_OF[type(record)] is not change.doc_type:
        raise UnmappableRecord(f"{change.doc_type.value} {change.doc_id!r}: an upsert needs its {change.doc_type.value} record")
    return put_operation(record, user_id=change.user_id, namespace=namespace)


def email_fields(email: Email, user_id: str) -> dict[str, Any]:
    body = email.body_text if email.body_text and email.body_text.strip() else html_to_text(email.body_html or "")
    names = [a.filename for a in email.attachments if a.filename]
    return _present(
        doc_id=email.id,
        user_id=user_id,
        provider=email.provider.value,
        thread_id=email.thread_id,
        folder=email.folder,
        labels=email.labels,
        subject=email.subject,
        snippet=email.snippet,
        body_text=body,
        from_address=email.from_address.email if email.from_address else None,
        from_name=email.from_address.name if email.from_address else None,
        to_addresses=[a.email for a in email.to],
        to_names=[a.name for a in email.to if a.name],
        cc_addresses=[a.email for a in email.cc],
        bcc_addresses=[a.email for a in email.bcc],
        participants=_participants([email.from_address, *email.reply_to, *email.to, *email.cc, *email.bcc]),
        sent_at=_millis(email.sent_at),
        received_at=_millis(email.received_at),
        attachment_names=names,
        attachment_types=sorted({a.content_type for a in email.attachments if a.content_type}),
        has_attachments=_has_attachments(email),
        is_read=email.is_read,
        internet_message_id=email.internet_message_id,
        in_reply_to=email.in_reply_to,
        version_marker=email.version_marker,
    )


def calendar_event_fields(event: CalendarEvent, user_id: str) -> dict[str, Any]:
    description = event.body or ""
    attendees = event.attendees
    return _present(
        doc_id=event.id,
        user_id=user_id,
        provider=event.provider.value,
        ical_uid=event.ical_uid,
        calendar_id=event.calendar_id,
        title=event.title,
        description=text_of(description),
        location=event.location,
        start_at=_event_millis(event.start),
        end_at=_event_millis(event.end),
        time_zone=event.start.time_zone,
        is_all_day=event.is_all_day,
        kind=event.kind.value,
        status=event.status.value,
        recurrence=event.recurrence,
        series_master_id=event.series_master_id,
        original_start_at=_event_millis(event.original_start) if event.original_start else None,
        organizer_address=event.organizer.email if event.organizer else None,
        organizer_name=event.organizer.name if event.organizer else None,
        attendee_addresses=[a.address.email for a in attendees],
        attendee_names=[a.address.name for a in attendees if a.address.name],
        attendee_responses=[f"{a.address.email} {a.response.value}" for a in attendees],
        participants=_participants([event.organizer, *(a.address for a in attendees)]),
        online_meeting_url=event.online_meeting_url,
        updated_at=_millis(event.updated_at),
        version_marker=event.version_marker,
    )


def contact_fields(contact: Contact, user_id: str) -> dict[str, Any]:
    primary = next((e.address for e in contact.emails if e.is_primary), contact.emails[0].address if contact.emails else None)
    return _present(
        doc_id=contact.id,
        user_id=user_id,
        provider=contact.provider.value,
        display_name=contact.display_name,
        given_name=contact.given_name,
        family_name=contact.family_name,
        emails=[e.address for e in contact.emails],
        primary_email=primary,
        phones=[p.number for p in contact.phones],
        organization=contact.organization,
        job_title=contact.job_title,
        version_marker=contact.version_marker,
    )


def _has_attachments(email: Email) -> bool:
    """The provider's word when the record carries it (Graph lists attachments only when they are
    expanded, so an empty list may mean "not fetched"); for older records, the files listed.
    Inline images of the body are not attachments, as in Graph's ``hasAttachments``."""
    if email.has_attachments is not None:
        return email.has_attachments
    return any(not attachment.is_inline for attachment in email.attachments)


_FIELDS_OF: dict[DocType, Callable[[Any, str], dict[str, Any]]] = {
    DocType.email: email_fields,
    DocType.calendar_event: calendar_event_fields,
    DocType.contact: contact_fields,
}


def _present(**fields: Any) -> dict[str, Any]:
    """The fields that have a value, strings cleaned and cut to ``MAX_TEXT_CHARS``."""
    texts: list[str] = []
    for value in fields.values():
        if type(value) is str:
            texts.append(value)
        elif type(value) is list:
            texts.extend(value)
    try:
        joined = "\n".join(texts)
    except TypeError:  # a list holding something else than strings: clean item by item
        return _present_slowly(fields)
    if len(joined) > MAX_TEXT_CHARS or not is_text(joined):
        return _present_slowly(fields)
    # Every string is short enough and holds only characters Vespa accepts (checked at once on
    # all of them: ~30 strings per email, one call instead of 30), so cleaning is stripping.
    present: dict[str, Any] = {}
    for name, value in fields.items():
        if type(value) is str:
            value = value.strip()
            if value:
                present[name] = value
        elif type(value) is list:
            items = [item for item in map(str.strip, value) if item]
            if items:
                present[name] = items
        elif value is not None:
            present[name] = value
    return present


def _present_slowly(fields: dict[str, Any]) -> dict[str, Any]:
    """``_present`` for fields with long strings, refused characters or non-string list items."""
    present: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, str):
            value = _clean_text(value)
        elif isinstance(value, list):
            value = [cleaned for cleaned in map(_clean_item, value) if cleaned is not None and cleaned != ""]
        if value is None or value == "" or value == []:
            continue
        present[name] = value
    return present


def _clean_item(value: Any) -> Any:
    return _clean_text(value) if isinstance(value, str) else value


def _clean_text(value: str) -> str:
    if len(value) <= MAX_TEXT_CHARS and value.isascii() and value.isprintable():
        return value.strip()  # no control character, surrogate or non-character: nothing to strip
    return strip_non_text(value[:MAX_TEXT_CHARS]).strip()


def _participants(addresses: Iterable[Address | None]) -> list[str]:
    """Unique lowercased addresses, first appearance first."""
    seen = dict.fromkeys(a.email.strip().lower() for a in addresses if a is not None and a.email.strip())
    return list(seen)


def _millis(value: dt.datetime | None) -> int | None:
    return None if value is None else (value - _EPOCH) // dt.timedelta(milliseconds=1)


def _event_millis(value: EventTime) -> int | None:
    if value.at is not None:
        return _millis(value.at)
    assert value.date is not None  # EventTime holds exactly one of the two
    return _millis(dt.datetime.combine(value.date, dt.time(), tzinfo=dt.UTC))
