"""Re-publishing dead letters to the topics they came from, once each.

A replayed letter goes to its ``source.topic`` with its original key (so the same partition:
keys are user ids, partitioned alike by every client), value and headers, plus
``officestream.replay.of`` (the letter, ``<dlq topic>[partition]@offset``) and
``officestream.replay.id`` (the run). Once the broker has acknowledged it, the replay is
recorded in the compacted ``dlq-replays`` topic under the letter's position, with the letter's
timestamp (so a dead-letter topic deleted and recreated does not inherit old records). A letter
recorded there is refused. A crash between the acknowledgement and the record leaves a letter
replayed but unrecorded: it could be replayed once more, which the services' idempotence turns
into no second effect.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from confluent_kafka import Producer

from connectors.kafka.admin import ensure_topics
from connectors.kafka.compacted import read_compacted
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import DLQ_REPLAYS, TOPICS
from ops.dlq.letters import REPLAY_PREFIX, Letter
from ops.dlq.originals import Originals, OriginalUnavailable

REPLAY_OF = REPLAY_PREFIX + "of"
REPLAY_ID = REPLAY_PREFIX + "id"

Status = Literal["replayed", "would replay", "refused", "failed"]


@dataclass(frozen=True)
class ReplayOutcome:
    letter: Letter
    status: Status
    detail: str

    def describe(self) -> str:
        return f"{self.status:<12} {self.letter.record.where}  {self.letter.reason}  {self.detail}"


def replay_key(letter: Letter) -> bytes:
    return letter.record.where.encode()


def replay_record(letter: Letter, replayed: Mapping[bytes, bytes]) -> dict[str, Any] | None:
    """The record of ``letter``'s replay in ``dlq-replays`` (read with ``read_compacted``), or None."""
    recorded = replayed.get(replay_key(letter))
    done = json.loads(recorded) if recorded is not None else None
    return done if done is not None and done.get("letter_timestamp_ms") == letter.record.timestamp_ms else None


def refusal(letter: Letter, replayed: Mapping[bytes, bytes], original: bytes | None | OriginalUnavailable) -> str | None:
    """Why ``letter`` cannot be replayed, or None."""
    if letter.source is None:
        return "a provider payload, not a Kafka record: fix the connector and run the backfill or sync again"
    done = replay_record(letter, replayed)
    if done is not None:
        return f"already replayed to {done['replayed_to']} at {done['replayed_at']} (replay {done['replay_id']})"
    if isinstance(original, OriginalUnavailable):
        return str(original)
    return None


def replay_headers(letter: Letter, replay_id: str) -> list[tuple[str, bytes]]:
    return [*letter.original_headers(), (REPLAY_OF, letter.record.where.encode()), (REPLAY_ID, replay_id.encode())]


def replay_letters(kafka: KafkaSettings, letters: Iterable[Letter], originals: Originals, *, dry_run: bool) -> list[ReplayOutcome]:
    """Replay every letter that may be (or, with ``dry_run``, say which would be)."""
    replayed = read_compacted(kafka, kafka.topic(DLQ_REPLAYS))
    outcomes, ready = [], []
    for letter in letters:
        why = refusal(letter, replayed, originals.get(letter.record.where))
        if why is not None:
            outcomes.append(ReplayOutcome(letter, "refused", why))
        elif dry_run:
            outcomes.append(ReplayOutcome(letter, "would replay", f"to {letter.reasons['source.topic']}"))
        else:
            ready.append(letter)
    if ready:
        outcomes += _publish(kafka, ready, originals)
    return sorted(outcomes, key=lambda o: (o.letter.record.partition, o.letter.record.offset))


def _publish(kafka: KafkaSettings, letters: list[Letter], originals: Originals) -> list[ReplayOutcome]:
    ensure_topics(kafka, specs=[spec for spec in TOPICS if spec.name == DLQ_REPLAYS])
    replay_id = str(uuid.uuid4())
    producer = Producer(kafka.producer_config())
    delivered: dict[str, str] = {}
    failed: dict[str, str] = {}

    def report(where: str):  # type: ignore[no-untyped-def]
        def on_delivery(error, message) -> None:  # type: ignore[no-untyped-def]
            if error is None:
                delivered[where] = f"{message.topic()}[{message.partition()}]@{message.offset()}"
            else:
                failed[where] = error.str()
        return on_delivery

    for letter in letters:
        where = letter.record.where
        value = originals[where]
        producer.produce(letter.reasons["source.topic"], key=letter.record.key, value=value,  # type: ignore[arg-type]
                         headers=replay_headers(letter, replay_id), on_delivery=report(where))
    producer.flush(60)
    now = dt.datetime.now(dt.UTC).isoformat()
    for letter in letters:
        if letter.record.where in delivered:
            producer.produce(kafka.topic(DLQ_REPLAYS), key=replay_key(letter), value=json.dumps({
                "replayed_to": delivered[letter.record.where], "replayed_at": now, "replay_id": replay_id,
                "letter_timestamp_ms": letter.record.timestamp_ms,
            }).encode())
    left = producer.flush(60)
    return [_outcome(letter, delivered, failed, left) for letter in letters]


def _outcome(letter: Letter, delivered: dict[str, str], failed: dict[str, str], unrecorded: int) -> ReplayOutcome:
    where = letter.record.where
    if where in delivered:
        note = "" if unrecorded == 0 else " (the replay record was not acknowledged: it may be replayed again)"
        return ReplayOutcome(letter, "replayed", f"to {delivered[where]}{note}")
    return ReplayOutcome(letter, "failed", f"not acknowledged: {failed.get(where, 'timed out')}")
