"""Gmail sync: a full crawl (messages.list pages + batch gets) and incremental sync from a
historyId (history.list, then batch gets of what changed). An expired historyId (404) falls
back to a full crawl flagged ``full_resync``.

The cursor of a full crawl is the mailbox's historyId read *before* listing, so a change made
during the crawl shows up again in the next incremental sync rather than being missed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from connectors.google.changes import ChangeBatch
from connectors.google.exceptions import CursorExpired, user_hash
from connectors.google.gmail import GmailClient, MessageFormat
from connectors.google.normalize_gmail import normalize_gmail_message
from connectors.google.sync_tokens import OnUnreadable, item_id, to_batch
from schemas.models import Email

log = logging.getLogger(__name__)


def full_sync(gmail: GmailClient, *, query: str | None = None, page_token: str | None = None,
              fmt: MessageFormat = "full", on_unreadable: OnUnreadable = None) -> Iterator[ChangeBatch[Email]]:
    """Every message matching ``query`` (e.g. ``date_query(after, before)``), one batch per
    listing page, newest first; resume a crawl with the ``next_page_token`` it checkpointed."""
    cursor = str(gmail.profile()["historyId"])
    while True:
        page = gmail.list_message_ids(page_token=page_token, query=query)
        fetched = gmail.get_messages(page.ids, fmt=fmt)
        payloads = [fetched.messages[i] for i in page.ids if i in fetched.messages]
        yield to_batch(payloads, normalize_gmail_message, id_of=item_id("id"), full_resync=True,
                       on_unreadable=on_unreadable, next_page_token=page.next_page_token,
                       cursor=cursor if page.next_page_token is None else None)
        if page.next_page_token is None:
            return
        page_token = page.next_page_token


def sync_changes(gmail: GmailClient, cursor: str | None, *, user: str | None = None, chunk_size: int = 100,
                 on_unreadable: OnUnreadable = None) -> Iterator[ChangeBatch[Email]]:
    """What changed since the historyId ``cursor`` (None, or expired: a full crawl)."""
    if cursor is None:
        yield from full_sync(gmail, on_unreadable=on_unreadable)
        return
    try:
        changes, history_id = _history_since(gmail, cursor)
    except CursorExpired:
        log.info("gmail history expired; full resync user=%s", user_hash(user))
        yield from full_sync(gmail, on_unreadable=on_unreadable)
        return
    deleted = [message_id for message_id, state in changes.items() if state == "deleted"]
    changed = [message_id for message_id, state in changes.items() if state == "changed"]
    chunks = [changed[start:start + chunk_size] for start in range(0, len(changed), chunk_size)] or [[]]
    for index, chunk in enumerate(chunks):
        fetched = gmail.get_messages(chunk)
        last = index == len(chunks) - 1
        batch = to_batch([fetched.messages[i] for i in chunk if i in fetched.messages], normalize_gmail_message,
                         id_of=item_id("id"), full_resync=False, on_unreadable=on_unreadable,
                         next_page_token=None, cursor=history_id if last else None)
        gone = (deleted if index == 0 else []) + fetched.missing  # a 404 now: deleted since
        yield ChangeBatch(records=batch.records, deleted_ids=gone + batch.deleted_ids, cursor=batch.cursor)


def _history_since(gmail: GmailClient, cursor: str) -> tuple[dict[str, str], str]:
    """Every message's last state over all history pages, and the mailbox's historyId."""
    changes: dict[str, str] = {}
    page_token: str | None = None
    while True:
        page = gmail.history(cursor, page_token=page_token)
        for message_id, state in page.changes.items():
            changes.pop(message_id, None)  # re-insert: keep the order of last change
            changes[message_id] = state
        if page.next_page_token is None:
            return changes, page.history_id
        page_token = page.next_page_token
