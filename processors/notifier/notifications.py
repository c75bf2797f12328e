"""What the front end is told: small, user-scoped notifications built from events.

A notification carries ids, titles, senders and counts — never a message body, a snippet or a
token — so a leaked stream shows that mail arrived, not what it says.

Ids are derived from the event alone (its ``occurred_at`` in milliseconds, then a short hash of
its event id), not from a per-instance counter: every notifier instance consumes every user's
events, so the same event gets the same id everywhere, and a client that reconnects to another
instance can still resume with ``Last-Event-ID``. Never from ``produced_at`` or the record's
timestamp: a derived event re-emitted after a crash (processors/common/derived.py) has new ones,
but the same event id and ``occurred_at``, so it gets the same id and the replay buffer drops it
as the duplicate it is. A notification's ``created_at`` is that ``occurred_at`` too, so the same
event makes the same notification wherever and whenever it is read.

The fixed-width time prefix keeps ids sortable by when things happened. The exact resumption
path (the id is buffered: everything after it, in arrival order) does not depend on it; the
inexact one (``buffer.py``: buffered ids that sort after the client's) replays what happened
after the client's last notification, so one that arrived later but happened earlier (a
backfilled e-mail, a package dated by its e-mail) is not replayed there — that path always
tells the client to resync, which is how it catches up on it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, JsonValue, StringConstraints

from connectors.kafka.topics import (
    BACKFILL_PROGRESS,
    CALENDAR_UPDATES,
    CONTACT_UPDATES,
    EMAIL_BACKFILL,
    EMAIL_UPDATES,
    MEETING_UPDATES,
    SHIPMENT_UPDATES,
)
from processors.notifier.exceptions import InvalidNotification
from processors.notifier.presentation import Display, display_for
from schemas.models import (
    Address,
    BackfillCompletedEvent,
    BackfillProgressEvent,
    CalendarBatchEvent,
    CalendarEvent,
    CalendarUpdateEvent,
    ChangeType,
    ContactBatchEvent,
    ContactUpdateEvent,
    EmailBackfillEvent,
    EmailUpdateEvent,
    Event,
    EventStatus,
    EventTime,
    MeetingsSyncedEvent,
    MeetingUpdateEvent,
    MeetingUpdateKind,
    ShipmentUpdateEvent,
    ShipmentUpdateKind,
)

KIND_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
#: Longer titles are clipped: the notification is a pointer, the front end fetches the rest.
MAX_TEXT_CHARS = 200
#: How many of a calendar batch's meetings ahead its notification names (``_upcoming``).
UPCOMING_PER_BATCH = 10
#: A generic (shipment / meeting) payload larger than this is cut to fit (``_fitted``): its
#: longest lists keep their first items, its long texts are clipped, and ``truncated`` names
#: what was cut. Only one that still does not fit is refused.
MAX_PAYLOAD_BYTES = 4096
#: The key of a cut payload naming each cut field and its original length.
TRUNCATED_KEY = "truncated"
#: Keys dropped from generic payloads at any depth: bodies and credentials never reach a browser.
FORBIDDEN_PAYLOAD_KEYS = frozenset(
    {
        "body", "body_text", "body_html", "html", "snippet", "content",
        "token", "access_token", "refresh_token", "id_token", "password", "secret", "authorization",
    }
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Kind = Annotated[str, StringConstraints(pattern=KIND_PATTERN)]


class Notification(BaseModel):
    """One thing that happened to one user, as sent over SSE (``id:``) and WebSocket."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    user_id: Annotated[str, StringConstraints(min_length=1)]
    kind: Kind
    payload: dict[str, JsonValue]
    #: When it happened: the source event's ``occurred_at`` (module docstring).
    created_at: AwareDatetime
    #: The same in words for people (``presentation.py``), derived from ``kind`` and ``payload``.
    display: Display | None = None

    def to_json(self) -> str:
        return self.model_dump_json()


#: Everything the front end hears of: the services' derived events are Avro events like the rest.
SOURCE_TOPICS = (
    EMAIL_UPDATES, EMAIL_BACKFILL, CALENDAR_UPDATES, CONTACT_UPDATES, BACKFILL_PROGRESS, SHIPMENT_UPDATES, MEETING_UPDATES,
)


def notification_id(occurred_at: datetime, source_id: str) -> str:
    """``<13-digit epoch ms>-<12 hex>``: sorts by time, the same for the same source everywhere."""
    millis = (occurred_at - _EPOCH) // timedelta(milliseconds=1)  # exact, unlike float timestamps
    digest = hashlib.blake2b(source_id.encode(), digest_size=6).hexdigest()
    return f"{millis:013d}-{digest}"


def notification_for(event: Event) -> Notification | None:
    """The notification an event deserves, or ``None`` for events the front end is not told of.
    Another service's update (meetings, shipments) goes through ``notification_from_update``, so
    an unfit payload raises ``InvalidNotification``."""
    describe = _DESCRIBERS.get(type(event))
    if describe is None:
        return None
    kind, payload = describe(event)
    occurred_at, source_id = event.metadata.occurred_at, str(event.metadata.event_id)
    if isinstance(event, _SERVICE_UPDATES):
        return notification_from_update(event.user_id, kind, payload, source_id=source_id, occurred_at=occurred_at)
    return Notification(
        id=notification_id(occurred_at, source_id),
        user_id=event.user_id,
        kind=kind,
        payload=payload,
        created_at=occurred_at,
        display=display_for(kind, payload),
    )


def notification_from_update(
    user_id: str, kind: str, payload: Mapping[str, Any], *, source_id: str, occurred_at: datetime
) -> Notification:
    """A notification from another service's update (shipments, meetings), its payload the
    record the update carries as JSON.

    ``source_id`` is the derived event's id and ``occurred_at`` its ``occurred_at``: both are
    the same on every instance and every re-emission of the update (never a record offset, a
    record timestamp or ``produced_at``), so ids agree (module docstring). Body- and
    credential-like keys are dropped; a payload larger than ``MAX_PAYLOAD_BYTES`` is cut to fit
    (an all-hands meeting's hundreds of attendees must not cost its notification); one that is
    not JSON, or cannot be cut to fit, raises ``InvalidNotification``.
    """
    if not re.fullmatch(KIND_PATTERN, kind):
        raise InvalidNotification(f"kind {kind!r} is not dotted lower-case, e.g. 'shipment.updated'")
    cleaned = _fitted(kind, _without_forbidden_keys(dict(payload)))
    try:
        return Notification(
            id=notification_id(occurred_at, source_id), user_id=user_id, kind=kind, payload=cleaned,
            created_at=occurred_at, display=display_for(kind, cleaned),
        )
    except ValueError as exc:
        raise InvalidNotification(f"{kind} notification is invalid: {exc}") from exc


def _json_size(value: Any, kind: str) -> int:
    try:
        return len(json.dumps(value, allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise InvalidNotification(f"{kind} payload is not JSON: {exc}") from exc


def _fitted(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` within ``MAX_PAYLOAD_BYTES``: the largest top-level list halved (its first
    items kept) or long text clipped, again until it fits, each cut field's original length in
    ``payload["truncated"]`` so the front end can say "and 180 more" and fetch the rest."""
    size = _json_size(payload, kind)
    fitted, truncated = dict(payload), {}
    while size > MAX_PAYLOAD_BYTES:
        cuttable = [(_json_size(value, kind), key) for key, value in fitted.items()
                    if (isinstance(value, list) and value) or (isinstance(value, str) and len(value) > MAX_TEXT_CHARS)]
        if not cuttable:
            raise InvalidNotification(f"{kind} payload is {size} bytes, over {MAX_PAYLOAD_BYTES} with every list and text cut")
        key = max(cuttable)[1]
        value = fitted[key]
        truncated.setdefault(key, len(value))
        fitted[key] = value[: len(value) // 2] if isinstance(value, list) else _clip(value)
        fitted[TRUNCATED_KEY] = truncated
        size = _json_size(fitted, kind)
    return fitted


def _without_forbidden_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(key): _without_forbidden_keys(item)
            for key, item in value.items()
            if str(key).lower() not in FORBIDDEN_PAYLOAD_KEYS
        }
    if isinstance(value, list | tuple):
        return [_without_forbidden_keys(item) for item in value]
    return value


def _clip(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_TEXT_CHARS:
        return text
    return text[: MAX_TEXT_CHARS - 1] + "…"


def _address(address: Address | None) -> dict[str, JsonValue] | None:
    if address is None:
        return None
    return {"email": address.email, "name": _clip(address.name)}


def _time(value: EventTime) -> str | None:
    if value.at is not None:
        return value.at.isoformat()
    return value.date.isoformat() if value.date is not None else None


def _change(change: ChangeType) -> str:
    # An unknown change is still a change; the front end refreshes the item either way.
    return "updated" if change is ChangeType.unknown else change.value


Described = tuple[str, dict[str, JsonValue]]


def _email_update(event: EmailUpdateEvent) -> Described:
    payload: dict[str, JsonValue] = {"email_id": event.email_id}
    if event.email is not None:  # a reference (too large to embed) is announced by id only
        email = event.email
        payload |= {
            "thread_id": email.thread_id,
            "subject": _clip(email.subject),
            "from": _address(email.from_address),
            "received_at": email.received_at.isoformat() if email.received_at else None,
            "is_read": email.is_read,
            "attachment_count": len(email.attachments),
        }
    return f"email.{_change(event.change_type)}", payload


def _calendar_update(event: CalendarUpdateEvent) -> Described:
    payload: dict[str, JsonValue] = {"calendar_event_id": event.calendar_event_id}
    if event.calendar_event is not None:
        item = event.calendar_event
        payload |= {
            "title": _clip(item.title),
            "start": _time(item.start),
            "end": _time(item.end),
            "is_all_day": item.is_all_day,
            "status": item.status.value,
            "organizer": _address(item.organizer),
        }
    return f"calendar.{_change(event.change_type)}", payload


def _contact_update(event: ContactUpdateEvent) -> Described:
    payload: dict[str, JsonValue] = {"contact_id": event.contact_id}
    if event.contact is not None:
        payload["display_name"] = _clip(event.contact.display_name)
    return f"contact.{_change(event.change_type)}", payload


def _batch(kind: str, event: EmailBackfillEvent | CalendarBatchEvent | ContactBatchEvent, count: int) -> Described:
    # Backfill batches carry the job id in metadata.correlation_id when job_id is not set.
    job_id = event.job_id or event.metadata.correlation_id
    return kind, {"job_id": job_id, "batch_index": event.batch_index, "count": count, "is_last_batch": event.is_last_batch}


def _calendar_batch(event: CalendarBatchEvent) -> Described:
    kind, payload = _batch("calendar.backfill", event, len(event.calendar_events) + len(event.calendar_events_refs))
    return kind, payload | {"upcoming": _upcoming(event.calendar_events, event.metadata.occurred_at)}


def _upcoming(items: list[CalendarEvent], as_of: datetime) -> list[JsonValue]:
    """The batch's first ``UPCOMING_PER_BATCH`` meetings not over at ``as_of`` (the event's own
    time, not the clock: the same event makes the same notification), cancelled ones left out.
    The meetings service announces a batch by its counts only, so this is how a page learns
    the backfilled meetings ahead; referenced items (too large to embed) are not read here."""
    ahead = [i for i in items if i.status is not EventStatus.cancelled and _instant(i.end) > as_of]
    ahead.sort(key=lambda i: _instant(i.start))
    return [
        {"calendar_event_id": i.id, "title": _clip(i.title), "location": _clip(i.location),
         "start": _time(i.start), "end": _time(i.end), "is_all_day": i.is_all_day}
        for i in ahead[:UPCOMING_PER_BATCH]
    ]


def _instant(value: EventTime) -> datetime:
    # An all-day date counts from its midnight UTC: close enough to order and to cut at a day.
    if value.at is not None:
        return value.at
    return datetime.combine(value.date, datetime.min.time(), UTC)  # type: ignore[arg-type]


def _backfill_progress(event: BackfillProgressEvent) -> Described:
    return "backfill.progress", {
        "job_id": event.job_id,
        "doc_type": event.doc_type.value,
        "batches_published": event.batches_published,
        "items_published": event.items_published,
        "items_estimated": event.items_estimated,
    }


def _backfill_completed(event: BackfillCompletedEvent) -> Described:
    # The error text stays out: it is for operators' logs, and may quote provider responses.
    return "backfill.completed", {
        "job_id": event.job_id,
        "doc_type": event.doc_type.value,
        "status": event.status.value,
        "batches_published": event.batches_published,
        "items_published": event.items_published,
        "started_at": event.started_at.isoformat(),
        "finished_at": event.finished_at.isoformat(),
    }


def _meeting_update(event: MeetingUpdateEvent) -> Described:
    # An unknown kind (added after this reader was built) is still a change to the meeting.
    kind = "updated" if event.kind is MeetingUpdateKind.unknown else event.kind.value
    if event.context is not None:
        return f"meeting.{kind}", {"record_type": "meeting", **event.context.model_dump(mode="json")}
    return f"meeting.{kind}", {"record_type": "tombstone", **event.tombstone.model_dump(mode="json")}  # type: ignore[union-attr]


def _meetings_synced(event: MeetingsSyncedEvent) -> Described:
    kinds: dict[str, JsonValue] = {entry.kind.value: entry.count for entry in event.kinds}
    return "meeting.synced", {"batch_index": event.batch_index, "count": event.count, "kinds": kinds}


def _shipment_update(event: ShipmentUpdateEvent) -> Described:
    kind = "updated" if event.kind is ShipmentUpdateKind.unknown else event.kind.value
    return f"shipment.{kind}", event.package.model_dump(mode="json")


#: Updates of other services, whose payloads are their records: cleaned and size-checked.
_SERVICE_UPDATES = (MeetingUpdateEvent, MeetingsSyncedEvent, ShipmentUpdateEvent)

_DESCRIBERS: dict[type[Event], Callable[[Any], Described]] = {
    EmailUpdateEvent: _email_update,
    CalendarUpdateEvent: _calendar_update,
    ContactUpdateEvent: _contact_update,
    EmailBackfillEvent: lambda e: _batch("email.backfill", e, len(e.emails) + len(e.emails_refs)),
    CalendarBatchEvent: _calendar_batch,
    ContactBatchEvent: lambda e: _batch("contact.backfill", e, len(e.contacts) + len(e.contacts_refs)),
    BackfillProgressEvent: _backfill_progress,
    BackfillCompletedEvent: _backfill_completed,
    MeetingUpdateEvent: _meeting_update,
    MeetingsSyncedEvent: _meetings_synced,
    ShipmentUpdateEvent: _shipment_update,
}
