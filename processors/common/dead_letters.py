"""Dead-letter records: the original key, bytes and headers, plus why and where it failed.

A dead letter too large for the dead-letter topic (a poison message near the topics' limit,
plus the reason headers) is sent *by reference*: its value is stored in Redis under
``original_key`` (``connectors/redis/dead_letter_store.py``) and the letter goes with an empty
value and headers naming the key, the value's size and its sha256, so it is never lost.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from connectors.kafka.dead_letter_headers import HEADER_PREFIX, reason, reason_header_list, reason_headers
from processors.common.inbound import InboundRecord

__all__ = ["HEADER_PREFIX", "DeadLetter", "by_reference", "dead_letter", "reason_headers"]
#: Reason headers of a letter sent by reference: where its original value is, and what it is.
ORIGINAL_REF = "original.ref"
ORIGINAL_SIZE = "original.size"
ORIGINAL_SHA256 = "original.sha256"


@dataclass(frozen=True)
class DeadLetter:
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    #: Where the value is kept (a Redis key) if the letter has to go by reference.
    original_key: str = ""


def dead_letter(record: InboundRecord, *, service: str, error: BaseException, now_ms: int | None = None) -> DeadLetter:
    """The dead-letter record of ``record``, which ``service`` could not process."""
    ours = {
        "source.topic": record.topic,
        "source.partition": str(record.partition),
        "source.offset": str(record.offset),
        "service": service,
        "error.class": type(error).__name__,
        "error.message": reason(error),
        "timestamp": str(now_ms if now_ms is not None else int(time.time() * 1000)),
    }
    headers = list(record.headers) + reason_header_list(ours)
    return DeadLetter(record.key, record.value, headers, original_key=f"officestream:dlq:{service}:{record.where}")


def by_reference(letter: DeadLetter) -> DeadLetter:
    """``letter`` without its value, whose key, size and sha256 it names instead (the value
    itself is to be stored under ``letter.original_key``)."""
    value = letter.value or b""
    ours = {
        ORIGINAL_REF: letter.original_key,
        ORIGINAL_SIZE: str(len(value)),
        ORIGINAL_SHA256: hashlib.sha256(value).hexdigest(),
    }
    return DeadLetter(letter.key, b"", letter.headers + reason_header_list(ours), original_key=letter.original_key)
