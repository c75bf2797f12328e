"""A service's dead letters: read from its ``<service>-dlq`` topic, counted and selected.

A letter is the original record (key, value, headers) plus ``officestream.dlq.*`` headers
saying where it came from and why it failed (``connectors/kafka/dead_letter_headers.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.kafka.dead_letter_headers import HEADER_PREFIX, reason_headers
from connectors.kafka.records import KafkaRecord
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topic_reader import read_records
from connectors.kafka.topics import CONSUMER_GROUPS, OFFICE_BRIDGE, dead_letter_topic
from ops.dlq.exceptions import InvalidDlqRequest
from processors.common.dead_letters import ORIGINAL_REF

#: The services that have a dead-letter topic: the four consumers and the producers.
SERVICES = (*CONSUMER_GROUPS, OFFICE_BRIDGE)
#: Headers a replay adds; a letter's own copies are dropped when it is replayed again.
REPLAY_PREFIX = "officestream.replay."


@dataclass(frozen=True)
class Letter:
    service: str
    record: KafkaRecord

    @property
    def reasons(self) -> dict[str, str]:
        return reason_headers(self.record.headers)

    @property
    def reason(self) -> str:
        """What ``dlq list`` counts and ``--reason`` selects: the error's class."""
        return self.reasons.get("error.class", "unknown")

    @property
    def source(self) -> str | None:
        """``topic[partition]@offset`` of the original record; None for the producers' letters
        (provider payloads, which never were Kafka records)."""
        reasons = self.reasons
        if "source.topic" not in reasons:
            return None
        return f"{reasons['source.topic']}[{reasons.get('source.partition', '?')}]@{reasons.get('source.offset', '?')}"

    @property
    def reference(self) -> str | None:
        """The Redis key of the original value when the letter went by reference."""
        return self.reasons.get(ORIGINAL_REF)

    def original_headers(self) -> list[tuple[str, bytes]]:
        """The original record's own headers, without the letter's or an earlier replay's."""
        return [(n, v) for n, v in self.record.headers if not n.startswith((HEADER_PREFIX, REPLAY_PREFIX))]


def check_service(service: str) -> str:
    if service not in SERVICES:
        raise InvalidDlqRequest(f"unknown service {service!r}; choose one of {', '.join(SERVICES)}")
    return service


def read_letters(kafka: KafkaSettings, service: str) -> list[Letter]:
    """Every letter ``service``'s dead-letter topic holds, in offset order."""
    topic = kafka.topic(dead_letter_topic(check_service(service)))
    return [Letter(service, record) for record in read_records(kafka, topic)]


def count_by_reason(letters: Iterable[Letter]) -> Counter[str]:
    return Counter(letter.reason for letter in letters)


def parse_offsets(text: str) -> range:
    """``A-B`` (both included) or ``N`` as the offsets they name."""
    first, sep, last = text.partition("-")
    try:
        start, end = int(first), int(last if sep else first)
    except ValueError:
        raise InvalidDlqRequest(f"--offsets must be A-B or N (offsets of the dead-letter topic), got {text!r}") from None
    if start < 0 or end < start:
        raise InvalidDlqRequest(f"--offsets {text!r} is empty: A-B needs 0 <= A <= B")
    return range(start, end + 1)


def select(
    letters: Iterable[Letter], *, offsets: range | None = None, reason: str | None = None, limit: int | None = None
) -> list[Letter]:
    """The letters at ``offsets`` and with ``reason`` (its error class, any case), the first ``limit``."""
    chosen = [
        letter for letter in letters
        if (offsets is None or letter.record.offset in offsets)
        and (reason is None or letter.reason.lower() == reason.lower())
    ]
    return chosen if limit is None else chosen[:limit]
