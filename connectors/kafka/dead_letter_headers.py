"""The dead-letter record's reason headers, shared by every writer and reader of ``*-dlq`` topics.

A dead letter keeps the original key, value and headers, and adds ``officestream.dlq.*``
headers saying where it came from and why it failed: the consumers' letters
(``processors/common/dead_letters.py``) and the producers' (a provider payload that cannot be
normalized, ``producers/dead_letters.py``), so one tool reads both.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Header names, prefixed so they never clash with the original message's own headers.
HEADER_PREFIX = "officestream.dlq."
#: Error messages are cut to this many characters.
MAX_MESSAGE_LEN = 1000


def reason(error: BaseException) -> str:
    """An error as one header-sized line."""
    return str(error).replace("\n", " ")[:MAX_MESSAGE_LEN]


def reason_header_list(fields: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """``{"error.class": ...}`` as prefixed Kafka headers."""
    return [(HEADER_PREFIX + name, value.encode()) for name, value in fields.items()]


def reason_headers(headers: list[tuple[str, bytes]] | None) -> dict[str, str]:
    """The dead-letter headers of a record read back from a dead-letter topic."""
    return {name.removeprefix(HEADER_PREFIX): value.decode() for name, value in headers or [] if name.startswith(HEADER_PREFIX)}
