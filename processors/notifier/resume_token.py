"""The SSE ``id:`` of a notification: a resume token naming how far the client has read.

``<notification id>.<cursor>``: the notification's id (the one in the JSON data, which clients
deduplicate by), a dot, then the cursor in unpadded URL-safe base64: a version byte (1), then
per source topic-partition of the user three unsigned LEB128 varints: the topic's index in
``SOURCE_TOPICS``, the partition, and the offset plus one (0: nothing read). 7 topics with
offsets in the millions make about 80 characters; ``MAX_TOKEN_CHARS`` bounds what is accepted.

A cursor says: the client has been sent every notification of its user whose record sits at or
before these offsets (``buffer.py`` says when a replay from it is exact). A value without the
dot is an id of the older form (a bare notification id) and keeps the id-based rules. A value
with it that does not decode is refused (``InvalidResumeToken``: HTTP 400). Nothing in a token is
trusted beyond the offsets: the user always comes from the stream token, so a forged cursor can
only make its own user's replay longer or shorter, never show another user's notifications.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from processors.notifier.exceptions import InvalidResumeToken

TopicPartition = tuple[str, int]

VERSION = 1
SEPARATOR = "."
#: The longest token accepted: 7 topics at 64-bit offsets stay below it.
MAX_TOKEN_CHARS = 192
#: Partitions and topics a cursor may name (a forged one must not make us allocate).
MAX_PARTITION = 100_000
MAX_ENTRIES = 64
_NOTIFICATION_ID = re.compile(r"^[0-9]{13}-[0-9a-f]{12}$")


@dataclass(frozen=True, slots=True)
class ResumeToken:
    """A decoded token: the client's last notification id and how far it has read."""

    notification_id: str
    cursor: dict[TopicPartition, int]


def notification_id_of(event_id: str) -> str:
    """The notification id an SSE ``id:`` carries (itself, for an id of the older form)."""
    return event_id.split(SEPARATOR, 1)[0]


def encode(notification_id: str, cursor: Mapping[TopicPartition, int], topics: Sequence[str]) -> str:
    """The token for ``notification_id`` and ``cursor`` (offsets of ``topics``' partitions)."""
    index = {topic: position for position, topic in enumerate(topics)}
    raw = bytearray([VERSION])
    for (topic, partition), offset in sorted(cursor.items(), key=lambda item: (index[item[0][0]], item[0][1])):
        for number in (index[topic], partition, offset + 1):
            _put_varint(raw, number)
    return notification_id + SEPARATOR + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


def decode(value: str, topics: Sequence[str]) -> ResumeToken | None:
    """The token ``value`` holds; ``None`` for an id of the older form; ``InvalidResumeToken``
    for anything else with a dot in it (the message says what is wrong, never the value)."""
    if SEPARATOR not in value:
        return None
    notification_id, encoded = value.split(SEPARATOR, 1)
    if not _NOTIFICATION_ID.match(notification_id) or len(value) > MAX_TOKEN_CHARS:
        raise InvalidResumeToken("the resume token's notification id is malformed")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidResumeToken("the resume token's cursor is not URL-safe base64") from exc
    if not raw or raw[0] != VERSION:
        raise InvalidResumeToken("the resume token has an unknown version")
    return ResumeToken(notification_id, _cursor(memoryview(raw)[1:], topics))


def _cursor(raw: memoryview, topics: Sequence[str]) -> dict[TopicPartition, int]:
    numbers, at = [], 0
    while at < len(raw):
        number, at = _get_varint(raw, at)
        numbers.append(number)
    if len(numbers) % 3 or len(numbers) // 3 > MAX_ENTRIES:
        raise InvalidResumeToken("the resume token's cursor is truncated or too long")
    cursor: dict[TopicPartition, int] = {}
    for position in range(0, len(numbers), 3):
        topic_index, partition, offset_plus_one = numbers[position : position + 3]
        if topic_index >= len(topics) or partition > MAX_PARTITION:
            raise InvalidResumeToken("the resume token names an unknown topic or partition")
        tp = (topics[topic_index], partition)
        if tp in cursor:
            raise InvalidResumeToken("the resume token names a partition twice")
        cursor[tp] = offset_plus_one - 1
    return cursor


def _put_varint(raw: bytearray, number: int) -> None:
    if number < 0:
        raise ValueError(f"cannot encode {number}: offsets in a cursor are at least -1")
    while number >= 0x80:
        raw.append((number & 0x7F) | 0x80)
        number >>= 7
    raw.append(number)


def _get_varint(raw: memoryview, at: int) -> tuple[int, int]:
    number = shift = 0
    while True:
        if at >= len(raw) or shift > 63:
            raise InvalidResumeToken("the resume token's cursor is truncated")
        byte = raw[at]
        number |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return number, at
