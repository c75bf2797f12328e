"""A dead letter as one JSON-ready object: where it is, why it failed, where it came from, its
headers, and its message decoded (an event through the schemas serde, a provider payload as
JSON), or, when the message is the poison itself, why it does not decode and its first bytes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from connectors.kafka.topics import OFFICE_BRIDGE
from ops.dlq.letters import Letter
from ops.dlq.originals import OriginalUnavailable
from schemas.exceptions import DeserializationError

#: Bytes shown of a message that does not decode.
RAW_PREVIEW_BYTES = 200

Decode = Callable[[bytes | None], Any]


def letter_view(letter: Letter, original: bytes | None | OriginalUnavailable, decode: Decode, replay: dict | None) -> dict[str, Any]:
    record = letter.record
    reasons = letter.reasons
    return {
        "letter": record.where,
        "dead_lettered_at": _iso(record.timestamp_ms),
        "service": reasons.get("service", letter.service),
        "reason": letter.reason,
        "error": reasons.get("error.message", ""),
        "source": letter.source,
        "key": None if record.key is None else record.key.decode("utf-8", "replace"),
        "dlq_headers": reasons,
        "headers": {name: value.decode("utf-8", "replace") for name, value in letter.original_headers()},
        "by_reference": letter.reference,
        "message": _message(letter, original, decode),
        "replayed": replay,
    }


def _message(letter: Letter, original: bytes | None | OriginalUnavailable, decode: Decode) -> Any:
    if isinstance(original, OriginalUnavailable):
        return {"unavailable": str(original)}
    try:
        if letter.service == OFFICE_BRIDGE:
            return json.loads(original or b"null")
        return decode(original).model_dump(mode="json")
    except (DeserializationError, ValueError) as exc:  # the poison itself; a registry outage is raised
        preview = (original or b"")[:RAW_PREVIEW_BYTES]
        return {"undecodable": f"{type(exc).__name__}: {exc}", "bytes": len(original or b""), "preview": repr(preview)}


def _iso(timestamp_ms: int | None) -> str | None:
    return None if timestamp_ms is None else dt.datetime.fromtimestamp(timestamp_ms / 1000, dt.UTC).isoformat()
