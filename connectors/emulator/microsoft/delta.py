"""Paging and delta rounds over the mailbox change log.

Pages honour ``Prefer: odata.maxpagesize`` (default 10) with ``@odata.nextLink`` (a
``$skiptoken`` naming a server-side cursor and the position in it: asking for the same link
again answers the same page, as Graph does — a client retrying a page after a lost answer, or
resuming from a checkpointed link, must not skip anything); delta rounds end with
``@odata.deltaLink``, whose
token encodes the mailbox change-log sequence and the initial request's options (410
``syncStateNotFound`` once ``/_emulator/expire`` ran).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from connectors.emulator.microsoft.options import (
    page_size,
    preference_applied,
    query_options,
)
from connectors.emulator.microsoft.state import Cursor, state_of
from connectors.emulator.microsoft.wire import b64, base_url, graph_error, unb64
from connectors.emulator.world import Mailbox

Render = Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class DeltaQuery:
    """What a deltaLink encodes: the change-log position and the initial request's options."""

    seq: int
    epoch: int
    options: dict[str, str]

    def token(self) -> str:
        return b64(json.dumps({"s": self.seq, "e": self.epoch, "o": self.options}))

    @classmethod
    def parse(cls, token: str) -> DeltaQuery:
        raw = json.loads(unb64(token))
        return cls(int(raw["s"]), int(raw["e"]), dict(raw["o"]))


def _expired(box: Mailbox, epoch: int) -> bool:
    return epoch != box.retained_from


def _gone() -> web.Response:
    return graph_error(410, "SyncStateNotFound", "The sync state generation is not found. Start a new sync round.")


def changed_since(box: Mailbox, kind: str, seq: int) -> list[tuple[str, str]]:
    """(item id, change) of ``kind`` after ``seq``, latest per item, in log order."""
    latest: dict[str, tuple[int, str]] = {}
    for entry in box.log:
        if entry.seq > seq and entry.kind == kind:
            latest[entry.item_id] = (entry.seq, entry.change)
    return [(item_id, change) for item_id, (_, change) in sorted(latest.items(), key=lambda kv: kv[1][0])]


async def delta(request: web.Request, box: Mailbox, kind: str, option_keys: tuple[str, ...],
                initial: Callable[[dict[str, str]], list[str]],
                changes: Callable[[dict[str, str], int], list[tuple[str, bool]]],
                render: Callable[[dict[str, str], str], dict[str, Any] | None]) -> web.Response:
    """One page of a delta round: continue a cursor ($skiptoken), start an incremental round
    ($deltatoken) or the initial full round."""
    state = state_of(request)
    if "$skiptoken" in request.query:
        return _next_page(request, box, *_skip(request.query["$skiptoken"]))
    if "$deltatoken" in request.query:
        try:
            query = DeltaQuery.parse(request.query["$deltatoken"])
        except (ValueError, KeyError):
            return graph_error(400, "BadRequest", "The delta token is malformed.")
        if _expired(box, query.epoch):
            return _gone()
        entries = changes(query.options, query.seq)
        options = query.options
    else:
        options = query_options(request, *option_keys)
        entries = [(item_id, False) for item_id in initial(options)]
    upto = DeltaQuery(box.seq, box.retained_from, options)
    token = _keep(state, Cursor(box.user, entries, lambda item_id: render(options, item_id), upto.token(),
                                request.path, box.retained_from))
    return _next_page(request, box, token, 0)


def list_round(request: web.Request, box: Mailbox, ids: list[str], render: Render) -> web.Response:
    """A page of a plain list of ``ids``: the first, or the one a ``$skiptoken`` continues
    (no deltaLink at the end)."""
    skip = request.query.get("$skiptoken")
    if skip is not None:
        return _next_page(request, box, *_skip(skip))
    token = _keep(state_of(request), Cursor(box.user, [(i, False) for i in ids], render, None, request.path,
                                            box.retained_from))
    return _next_page(request, box, token, 0)


#: Rounds kept for their links (the oldest forgotten first: a link that old answers 400).
MAX_CURSORS = 5000


def _keep(state: Any, cursor: Cursor) -> str:
    token = secrets.token_urlsafe(12)
    state.cursors[token] = cursor
    while len(state.cursors) > MAX_CURSORS:
        del state.cursors[next(iter(state.cursors))]
    return token


def _skip(value: str) -> tuple[str, int]:
    token, _, offset = value.partition(".")
    return token, int(offset) if offset.isdigit() else -1


def _next_page(request: web.Request, box: Mailbox, token: str, offset: int) -> web.Response:
    state = state_of(request)
    cursor = state.cursors.get(token)
    if cursor is None or cursor.user != box.user or not 0 <= offset <= len(cursor.entries):
        return graph_error(400, "BadRequest", "The skip token is not valid.")
    if cursor.delta_token is not None and _expired(box, cursor.epoch):
        del state.cursors[token]
        return _gone()
    end = offset + page_size(request)
    value = [_entry(cursor, item_id, removed) for item_id, removed in cursor.entries[offset:end]]
    body: dict[str, Any] = {"@odata.context": f"{base_url(request)}/v1.0/$metadata#Collection", "value": value}
    if end < len(cursor.entries):
        body["@odata.nextLink"] = f"{base_url(request)}{cursor.path}?$skiptoken={token}.{end}"
    elif cursor.delta_token is not None:
        body["@odata.deltaLink"] = f"{base_url(request)}{cursor.path}?$deltatoken={cursor.delta_token}"
    return web.json_response(body, headers=preference_applied(request))


def _entry(cursor: Cursor, item_id: str, removed: bool) -> dict[str, Any]:
    rendered = None if removed else cursor.render(item_id)
    return rendered if rendered is not None else {"id": item_id, "@removed": {"reason": "deleted"}}
