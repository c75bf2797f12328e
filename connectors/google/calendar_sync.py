"""Calendar sync by token: the calendar's events as canonical records, from a stored sync
token or from scratch."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from connectors.google.calendar import CalendarClient
from connectors.google.changes import ChangeBatch
from connectors.google.normalize_calendar import normalize_calendar_event
from connectors.google.sync_tokens import OnUnreadable, item_id, token_sync
from schemas.models import CalendarEvent


def sync_events(calendar: CalendarClient, cursor: str | None, *,
                on_unreadable: OnUnreadable = None) -> Iterator[ChangeBatch[CalendarEvent]]:
    """Event changes since the sync token ``cursor`` (None, or expired with 410: everything).
    Cancelled instances come as records with status cancelled; deleted events as ids."""
    return token_sync(
        lambda sync_token, page_token: calendar.list_events(sync_token=sync_token, page_token=page_token),
        partial(normalize_calendar_event, calendar_id=calendar.calendar_id),
        cursor, id_of=item_id("id"), on_unreadable=on_unreadable,
    )
