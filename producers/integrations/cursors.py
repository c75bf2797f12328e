"""Where the live side continues after a backfill: a finished doc type's ``DocProgress.sync_cursor``
(the crawler's JSON, ``producers/backfill/crawl_*.py``) as integration cursors (``state.py``).

- Microsoft mail ``{"delta_links": {folder: link}}`` → ``mail:<folder>`` per folder (the folder
  tree's own ``mail-folders`` cursor is started fresh by the live side);
- Microsoft calendar / contacts ``{"delta_link": link}`` → ``calendar`` / ``contacts``;
- Google mail ``{"history_id": id}`` → ``gmail``; calendar / contacts ``{"sync_token": token}``
  → ``calendar`` / ``contacts``.

A sync cursor that is missing or unreadable gives no cursor: the live side then lists the
resource whole (a resync), which publishes more than needed but loses nothing.
"""

from __future__ import annotations

from producers.backfill.crawl import decode_cursor
from schemas.models import DocType, Provider


def handoff_cursors(provider: Provider, doc_type: DocType, sync_cursor: str | None) -> dict[str, str]:
    """The integration cursors the backfill of ``doc_type`` ended with."""
    state = decode_cursor(sync_cursor) or {}
    if provider is Provider.microsoft and doc_type is DocType.email:
        links = state.get("delta_links")
        links = links if isinstance(links, dict) else {}
        return {f"mail:{folder}": link for folder, link in links.items() if _usable(link)}
    if provider is Provider.microsoft:
        return _single(doc_type, state.get("delta_link"))
    if doc_type is DocType.email:
        history_id = state.get("history_id")
        history_id = str(history_id) if isinstance(history_id, int) and not isinstance(history_id, bool) else history_id
        return {"gmail": history_id} if _usable(history_id) else {}
    return _single(doc_type, state.get("sync_token"))


def _single(doc_type: DocType, value: object) -> dict[str, str]:
    name = {DocType.calendar_event: "calendar", DocType.contact: "contacts"}.get(doc_type)
    return {name: value} if name is not None and _usable(value) else {}  # type: ignore[dict-item]


def _usable(value: object) -> bool:
    return isinstance(value, str) and bool(value)
