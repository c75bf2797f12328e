"""Gmail API v1 (``/gmail/v1/users/{userId}/...``): getProfile, messages.list / get, history.list,
watch and stop, as pure functions of (world, face state, user, request) → ``Answer``, so the
batch endpoint runs the very same code for each of its parts.

History ids are the mailbox's change-log sequence numbers; a ``startHistoryId`` older than the
log's retained range is answered 404, as Gmail does once its history has been trimmed.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

from connectors.emulator.google.errors import Answer, bad_request, error, not_found
from connectors.emulator.google.gmail_render import render_message
from connectors.emulator.google.paging import decode_token, encode_token, int_param, page
from connectors.emulator.google.quota import rate_limit_exceeded
from connectors.emulator.google.state import GoogleState
from connectors.emulator.world import Mailbox, World

_ROUTE = re.compile(r"^/gmail/v1/users/(?P<user>[^/]+)/(?P<what>profile|messages|messages/(?P<id>[^/]+)|history|watch|stop)$")
_WATCH_DAYS = 7


def gmail_answer(world: World, state: GoogleState, token_user: str, method: str, path: str,
                 query: dict[str, list[str]], body: dict[str, Any] | None) -> Answer:
    match = _ROUTE.match(path)
    if match is None:
        return not_found(f"Unknown Gmail path {path}")
    user = token_user if match["user"] in ("me", token_user) else None
    if user is None:
        return error(403, f"Delegation denied for {token_user}", reason="forbidden")
    box = world.mailbox(user)
    remember_threads(state, box)
    what = "message" if match["id"] else match["what"]
    handler = _HANDLERS.get((method, what))
    if handler is None:
        return error(405, f"{method} is not allowed on {path}", reason="methodNotAllowed")
    if not state.quota.charge(box.user, _METHODS[(method, what)]):
        return rate_limit_exceeded()
    return handler(box, state, match["id"], query, body or {})


def remember_threads(state: GoogleState, box: Mailbox) -> None:
    for item in box.emails.values():
        state.threads.setdefault(item.id, item.thread_id)


def _profile(box: Mailbox, *_: Any) -> Answer:
    return 200, {"emailAddress": box.user, "messagesTotal": len(box.emails),
                 "threadsTotal": len({m.thread_id for m in box.emails.values()}), "historyId": str(box.seq)}


def _list(box: Mailbox, state: GoogleState, _: Any, query: dict[str, list[str]], __: Any) -> Answer:
    try:
        after, before = _date_bounds(query.get("q", [""])[0])
    except ValueError as exc:
        return bad_request(f"Invalid query: {exc}")
    labels = set(query.get("labelIds", []))
    items = sorted(
        (m for m in box.emails.values()
         if labels <= set(m.labels) and (after is None or m.received_at >= after) and (before is None or m.received_at < before)),
        key=lambda m: (m.received_at, m.id), reverse=True,
    )
    offset = (decode_token(query.get("pageToken", [None])[0], "gmail-list") or {}).get("o", 0)
    chunk, following = page(items, offset, int_param(query, "maxResults", 100, 500))
    answer: dict[str, Any] = {"resultSizeEstimate": len(items)}
    if chunk:  # Gmail leaves "messages" out of an empty answer
        answer["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in chunk]
    if following is not None:
        answer["nextPageToken"] = encode_token(k="gmail-list", o=following)
    return 200, answer


def _date_bounds(q: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``after:`` / ``before:`` terms: epoch seconds or YYYY/MM/DD (read as UTC here)."""
    bounds: dict[str, dt.datetime] = {}
    for key, value in re.findall(r"\b(after|before|newer|older):(\S+)", q):
        key = {"newer": "after", "older": "before"}.get(key, key)
        if value.isdigit():
            bounds[key] = dt.datetime.fromtimestamp(int(value), dt.UTC)
        else:
            bounds[key] = dt.datetime.strptime(value.replace("-", "/"), "%Y/%m/%d").replace(tzinfo=dt.UTC)
    return bounds.get("after"), bounds.get("before")


def _message(box: Mailbox, state: GoogleState, message_id: str, query: dict[str, list[str]], _: Any) -> Answer:
    item = box.emails.get(message_id)
    if item is None:
        return not_found()
    fmt = query.get("format", ["full"])[0]
    if fmt not in ("full", "raw", "minimal", "metadata"):
        return bad_request(f"Invalid format: {fmt}")
    return 200, render_message(item, fmt, last_change(box, message_id))


def last_change(box: Mailbox, item_id: str) -> int:
    return next((entry.seq for entry in reversed(box.log) if entry.item_id == item_id), 0)


def _history(box: Mailbox, state: GoogleState, _: Any, query: dict[str, list[str]], __: Any) -> Answer:
    start = query.get("startHistoryId", [""])[0]
    if not start.isdigit():
        return bad_request("Missing or invalid startHistoryId")
    if box.changes_since(int(start), "email") is None:
        return not_found()
    wanted = set(query.get("historyTypes", []))
    records = [record for entry in box.log if entry.seq > int(start) and entry.kind == "email"
               for record in [_record(box, state, entry.seq, entry.change, entry.item_id)]
               if not wanted or record[0] in wanted]
    offset = (decode_token(query.get("pageToken", [None])[0], "gmail-history") or {}).get("o", 0)
    chunk, following = page(records, offset, int_param(query, "maxResults", 100, 500))
    answer: dict[str, Any] = {"historyId": str(box.seq)}
    if chunk:
        answer["history"] = [record for _, record in chunk]
    if following is not None:
        answer["nextPageToken"] = encode_token(k="gmail-history", o=following)
    return 200, answer


def _record(box: Mailbox, state: GoogleState, seq: int, change: str, item_id: str) -> tuple[str, dict[str, Any]]:
    item = box.emails.get(item_id)
    ref: dict[str, Any] = {"id": item_id, "threadId": item.thread_id if item else state.threads.get(item_id, item_id)}
    if item is not None:
        ref["labelIds"] = list(item.labels)
    record: dict[str, Any] = {"id": str(seq), "messages": [{"id": ref["id"], "threadId": ref["threadId"]}]}
    if change == "created":
        return "messageAdded", {**record, "messagesAdded": [{"message": ref}]}
    if change == "deleted":
        return "messageDeleted", {**record, "messagesDeleted": [{"message": ref}]}
    # The world records "updated" without saying which labels moved; what it ever removes is
    # UNREAD (read) or INBOX and UNREAD (archived), so name what is missing of those.
    removed = sorted({"INBOX", "UNREAD"} - set(ref.get("labelIds", [])))
    return "labelRemoved", {**record, "labelsRemoved": [{"message": ref, "labelIds": removed}]}


def _watch(box: Mailbox, state: GoogleState, _: Any, __: Any, body: dict[str, Any]) -> Answer:
    topic = body.get("topicName")
    if not isinstance(topic, str) or not re.fullmatch(r"projects/[^/]+/topics/[^/]+", topic):
        return bad_request("Invalid topicName does not match projects/*/topics/*")
    if topic not in state.subscriptions:
        return bad_request(f"Invalid topicName: Resource not found (resource={topic.rsplit('/', 1)[1]}).",
                           reason="failedPrecondition")
    state.watches[box.user] = topic
    expiration = int(time.time() * 1000) + _WATCH_DAYS * 86_400_000
    return 200, {"historyId": str(box.seq), "expiration": str(expiration)}


def _stop(box: Mailbox, state: GoogleState, *_: Any) -> Answer:
    state.watches.pop(box.user, None)
    return 204, None


#: The Gmail method each route is, for its quota units.
_METHODS = {
    ("GET", "profile"): "getProfile",
    ("GET", "messages"): "messages.list",
    ("GET", "message"): "messages.get",
    ("GET", "history"): "history.list",
    ("POST", "watch"): "watch",
    ("POST", "stop"): "stop",
}
_HANDLERS = {
    ("GET", "profile"): _profile,
    ("GET", "messages"): _list,
    ("GET", "message"): _message,
    ("GET", "history"): _history,
    ("POST", "watch"): _watch,
    ("POST", "stop"): _stop,
}
