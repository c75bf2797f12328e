"""Server-sent events framing (WHATWG HTML, "Server-sent events": ``id:``/``event:``/``data:``).

A few lines of the spec, written here rather than taken from aiohttp-sse: that library runs its
own ping task and owns the response, while the notifier's heartbeats and slow-client drops are
driven by the hub's per-connection queue; the framing is all we would use of it.

Every notification is sent as ``event: notification`` with the kind inside the JSON, so a page
needs one listener, not one per kind (EventSource drops named events nobody listens to).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

NOTIFICATION_EVENT = "notification"
RESYNC_EVENT = "resync"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _field_safe(value: str) -> str:
    # A CR or LF would end the field early and let the value inject frames.
    if "\n" in value or "\r" in value:
        raise ValueError("SSE field values must not contain line breaks")
    return value


def frame(*, data: str, event: str | None = None, event_id: str | None = None) -> bytes:
    """One event: optional ``id:`` and ``event:``, ``data:`` split on line breaks, a blank line.

    Line breaks are the spec's only (CRLF, CR, LF), not ``str.splitlines``'s: that also splits
    on U+2028, U+0085 and the like, which JSON carries unescaped inside strings, and the client
    would join the pieces with LF, leaving a raw line break in a JSON string (invalid JSON).
    """
    lines = []
    if event_id is not None:
        lines.append(f"id: {_field_safe(event_id)}")
    if event is not None:
        lines.append(f"event: {_field_safe(event)}")
    lines.extend(f"data: {line}" for line in _LINE_BREAK.split(data))
    return ("\n".join(lines) + "\n\n").encode()


def notification_frame(notification_json: str, *, event_id: str) -> bytes:
    """A notification's frame from its JSON (``Buffered.json``, made once per notification);
    ``event_id``: the connection's resume token for it (``resume_token.py``), or its id."""
    return frame(data=notification_json, event=NOTIFICATION_EVENT, event_id=event_id)


def comment(text: str, *, event_id: str | None = None) -> bytes:
    """A comment line: ignored by EventSource, keeps proxies and the client's timers alive. With
    ``event_id``, an ``id:`` line first: EventSource sets its last event id and dispatches no event."""
    id_line = f"id: {_field_safe(event_id)}\n" if event_id is not None else ""
    return f"{id_line}: {_field_safe(text)}\n\n".encode()


def retry(milliseconds: int) -> bytes:
    """Tell EventSource how long to wait before reconnecting."""
    return f"retry: {int(milliseconds)}\n\n".encode()


# -- reading (what clients do: the tests and the latency benchmark read streams with it) --------


@dataclass
class Frame:
    """One frame as EventSource parses it: fields up to a blank line (a comment-only frame has
    ``comment`` set and nothing else)."""

    event: str | None = None
    id: str | None = None
    data: list[str] = field(default_factory=list)
    retry: int | None = None
    comment: str | None = None

    @property
    def is_event(self) -> bool:
        return bool(self.event or self.data or self.retry is not None)

    def json(self) -> Any:
        return json.loads("\n".join(self.data))


async def read_frame(readline: Callable[[], Awaitable[bytes]]) -> Frame:
    """The next frame from ``readline`` (e.g. an aiohttp response's ``content.readline``);
    ``EOFError`` when the stream ends first."""
    frame = Frame()
    while True:
        raw = await readline()
        if not raw:
            raise EOFError("the event stream ended")
        line = raw.decode().rstrip("\n").rstrip("\r")
        if line == "":
            return frame
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "":
            frame.comment = value
        elif name == "data":
            frame.data.append(value)
        elif name == "id":
            frame.id = value
        elif name == "event":
            frame.event = value
        elif name == "retry":
            frame.retry = int(value)
