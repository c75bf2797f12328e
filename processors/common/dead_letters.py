"""Dead-letter records: the original key, bytes and headers, plus why and where it failed."""

from __future__ import annotations

import time
from dataclasses import dataclass

from processors.common.inbound import InboundRecord

#: Header names, prefixed so they never clash with the original message's own headers.
HEADER_PREFIX = "officestream.dlq."
MAX_MESSAGE_LEN = 1000


@dataclass(frozen=True)
class DeadLetter:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def dead_letter(record: InboundRecord, *, service: str, error: BaseException, now_ms: int | None = None) -> DeadLetter:
    """The dead-letter record of ``record``, which ``service`` could not process."""
    reason = str(error).replace("\n", " ")[:MAX_MESSAGE_LEN]
    ours = {
        "source.topic": record.topic,
        "source.partition": str(record.partition),
        "source.offset": str(record.offset),
        "service": service,
        "error.class": type(error).__name__,
        "error.message": reason,
        "timestamp": str(now_ms if now_ms is not None else int(time.time() * 1000)),
    }
    headers = list(record.headers) + [(HEADER_PREFIX + name, value.encode()) for name, value in ours.items()]
    return DeadLetter(record.key, record.value, headers)


def reason_headers(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    """The dead-letter headers of a record read back from a dead-letter topic."""
    return {name.removeprefix(HEADER_PREFIX): value.decode() for name, value in headers if name.startswith(HEADER_PREFIX)}
