"""People sync by token: the user's contacts as canonical records, from a stored sync token or
from scratch. Polled: People has no push."""

from __future__ import annotations

from collections.abc import Iterator

from connectors.google.changes import ChangeBatch
from connectors.google.normalize_people import normalize_person
from connectors.google.people import PeopleClient
from connectors.google.sync_tokens import OnUnreadable, item_id, token_sync
from schemas.models import Contact


def sync_contacts(people: PeopleClient, cursor: str | None, *,
                  on_unreadable: OnUnreadable = None) -> Iterator[ChangeBatch[Contact]]:
    """Contact changes since the sync token ``cursor`` (None, or EXPIRED_SYNC_TOKEN: all of
    them); deleted contacts come as ids."""
    return token_sync(
        lambda sync_token, page_token: people.list_connections(sync_token=sync_token, page_token=page_token),
        normalize_person, cursor, id_of=item_id("resourceName"), on_unreadable=on_unreadable,
    )
