"""The producers' confluent-kafka producer, usable from asyncio: each record's delivery is an
awaitable future, publishing waits (without blocking the loop) while too much is unacknowledged,
and closing reports what never reached the brokers.

Ordering: records are handed to librdkafka in the order ``send`` is called; the producer is
idempotent (``enable.idempotence``), so librdkafka's retries never reorder or duplicate the
records of one partition. A user's events share a partition (key ``user_id``), so they land in
the order they were sent even when callers do not wait for each delivery before the next send.
Idempotence does not deduplicate what the application sends twice (a resumed backfill's batch):
consumers do that by item version (``processors/common/versions.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import confluent_kafka

from connectors.kafka.delivery_poller import DeliveryPoller, Report
from producers.exceptions import PublisherClosed, PublishFailed, UndeliveredOnClose

log = logging.getLogger("officestream.producers")

#: Delivery errors that publishing the same record again cannot cure (the others — timeouts,
#: brokers down, leader elections — may pass: ``PublishFailed.retriable``).
_REFUSED = frozenset({
    confluent_kafka.KafkaError.MSG_SIZE_TOO_LARGE, confluent_kafka.KafkaError.INVALID_RECORD,
    confluent_kafka.KafkaError.TOPIC_AUTHORIZATION_FAILED, confluent_kafka.KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    confluent_kafka.KafkaError.INVALID_REQUIRED_ACKS, confluent_kafka.KafkaError.RECORD_LIST_TOO_LARGE,
})
#: librdkafka's queue holds this many times the pending limits: ``send`` waits for room long
#: before librdkafka would refuse a record for a full queue.
QUEUE_HEADROOM = 2


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where the brokers put a record."""

    topic: str
    partition: int
    offset: int


@dataclass(slots=True, eq=False)
class _Pending:
    future: asyncio.Future[Delivered]
    topic: str
    size: int
    user_ref: str | None


class KafkaSender:
    """One confluent-kafka producer with delivery futures. ``start`` it inside the loop."""

    def __init__(self, config: dict[str, Any], *, max_pending_records: int, max_pending_bytes: int) -> None:
        self._config = {
            **config,
            "queue.buffering.max.messages": QUEUE_HEADROOM * max_pending_records,
            "queue.buffering.max.kbytes": QUEUE_HEADROOM * max_pending_bytes // 1024,
        }
        self._max_records = max_pending_records
        self._max_bytes = max_pending_bytes
        self._producer: confluent_kafka.Producer | None = None
        self._poller: DeliveryPoller | None = None
        self._pending: set[_Pending] = set()
        self._pending_bytes = 0
        self._room: asyncio.Event | None = None
        self._closed = False

    async def start(self) -> None:
        if self._producer is not None:
            return
        self._producer = confluent_kafka.Producer(self._config)
        self._poller = DeliveryPoller(self._producer, asyncio.get_running_loop(), self._settle)
        self._poller.start()

    @property
    def config(self) -> dict[str, Any]:
        """Its producer's librdkafka configuration (a copy)."""
        return dict(self._config)

    @property
    def pending(self) -> int:
        """Records handed over and not acknowledged yet."""
        return len(self._pending)

    async def send(
        self, topic: str, *, key: bytes, value: bytes, headers: Sequence[tuple[str, bytes]] = (), user_ref: str | None = None,
    ) -> asyncio.Future[Delivered]:
        """Hand one record over (after waiting for room); the future settles when the brokers
        acknowledged it, or fails with ``PublishFailed``."""
        if self._closed or self._producer is None:
            raise PublisherClosed("the publisher is closed (or was never started)")
        await self._wait_for_room()
        if self._closed or self._poller is None:  # closed while it waited for room
            raise PublisherClosed("the publisher closed while the record waited for room")
        pending = _Pending(asyncio.get_running_loop().create_future(), topic, len(key) + len(value), user_ref)
        while True:
            try:
                self._producer.produce(topic, value, key=key, headers=list(headers), on_delivery=self._poller.callback(pending))
                break
            except BufferError:  # librdkafka's queue is full despite the room check: let it drain
                await asyncio.sleep(0.01)
            except (confluent_kafka.KafkaException, TypeError, ValueError) as exc:
                raise PublishFailed(f"librdkafka refused the record ({len(value)} bytes): {exc}", topic=topic,
                                    user_ref=user_ref, retriable=False) from exc
        self._pending.add(pending)
        self._pending_bytes += pending.size
        return pending.future

    async def _wait_for_room(self) -> None:
        while len(self._pending) >= self._max_records or self._pending_bytes >= self._max_bytes:
            if self._room is None:
                self._room = asyncio.Event()
            await self._room.wait()

    def _settle(self, reports: list[Report]) -> None:
        """On the loop: one poll's delivery reports."""
        for pending, error, message in reports:
            self._pending.discard(pending)
            self._pending_bytes -= pending.size
            if pending.future.done():
                continue
            if error is not None:
                pending.future.set_exception(PublishFailed(
                    f"not delivered: {error.str()}", topic=pending.topic, user_ref=pending.user_ref,
                    retriable=not (error.fatal() or error.code() in _REFUSED),
                ))
            else:
                pending.future.set_result(Delivered(message.topic(), message.partition(), message.offset()))
        if self._room is not None and len(self._pending) < self._max_records and self._pending_bytes < self._max_bytes:
            self._room.set()
            self._room = None

    async def flush(self, timeout_s: float) -> int:
        """Wait until every record handed over before this call is settled (delivered or
        failed: their futures tell which); returns how many were still pending at the timeout."""
        waiting = [pending.future for pending in self._pending]
        if not waiting:
            return 0
        _, still = await asyncio.wait(waiting, timeout=timeout_s)
        return len(still)

    async def close(self, timeout_s: float) -> None:
        """Flush, stop. Raises ``UndeliveredOnClose`` naming what never got an answer (each of
        those futures fails too, so no caller waits forever)."""
        if self._closed:
            return
        self._closed = True
        left = await self.flush(timeout_s)
        if self._poller is not None:
            await self._poller.stop()
            # It holds the producer, and the sender through its callback: kept, that cycle
            # would keep the producer connecting until a garbage collection.
            self._poller = None
        unanswered = [pending for pending in self._pending if not pending.future.done()]
        for pending in unanswered:
            pending.future.set_exception(PublishFailed("not acknowledged before the publisher closed", topic=pending.topic,
                                                       user_ref=pending.user_ref))
            pending.future.exception()  # retrieved: a caller that stopped waiting gets no warning
        self._pending.clear()
        if self._room is not None:  # a send waiting for room learns that the sender closed
            self._room.set()
            self._room = None
        if self._producer is not None:
            if left:
                self._producer.purge()  # their callers were told; librdkafka stops retrying them
            self._producer = None  # released: no connection attempts outlive the publisher
        if left:
            topics = sorted({pending.topic for pending in unanswered})
            log.error("publisher closed with %d records unacknowledged", left)
            raise UndeliveredOnClose(left, topics)
