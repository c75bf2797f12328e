"""faust's Kafka transport, with a bounded fetch wait and records sent by librdkafka.

faust-streaming's aiokafka driver is kept for everything but two things:

- **Fetch wait.** It hard-codes ``fetch_max_wait_ms=1500`` for the worker's consumer. aiokafka
  leaves a partition whose records are still being processed out of its next fetch; when the
  other assigned partitions are idle the broker holds that fetch for the whole wait, and the
  busy partition waits behind it. Measured here (bench/notifier_latency_bench.py): 1.5 s stalls
  in the live notifier, and backfill services fetching once per 1.5 s. This transport sets the
  wait from ``OFFICESTREAM_PROCESSOR_FETCH_MAX_WAIT_MS`` on the consumer faust builds.
- **Sending.** Every record a worker writes (table changelogs, dead letters, derived events)
  goes through ``Producer.send``. aiokafka builds and sends record batches in Python on the
  worker's event loop; measured in bench/processors_bench.py it cost more CPU than the
  services' own work (meetings writes ~6 records per calendar event). Here ``send`` hands the
  record to a confluent-kafka producer (librdkafka: batching, compression and network I/O in
  its own C threads, idempotent, acks from all in-sync replicas) and returns a future that a
  poller thread resolves, in bulk, when the broker acknowledged it. aiokafka's producer still
  runs for what faust uses it for besides sending: creating topics, metadata, partitioning
  table keys (both use Java's murmur2, so a key lands on the same partition either way).

Durability: faust flushes its producer before it commits offsets; ``flush`` returns once every
record handed over before it began is on the broker (records sent while it waits do not hold
it: ``processors/common/in_flight.py``). A record the broker finally refused (after librdkafka's
retries), or one librdkafka refuses when it is handed over (too large, full queue), fails every
later flush and crashes the worker: no offset is committed past a lost write, and the restarted
worker replays. Sending never blocks the event loop: agents ``wait_for_room`` before each message.

The transport is registered under the broker URL scheme ``officestream-kafka://``; ``create_app``
sets the two app attributes below.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

import confluent_kafka
from aiokafka.structs import RecordMetadata, TopicPartition
from faust.exceptions import ProducerSendError
from faust.topics import Topic
from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Producer, Transport
from faust.types.tuples import FutureMessage

from processors.common.exceptions import WorkerMustStop
from processors.common.in_flight import DEFAULT_PENDING_LIMITS, InFlightRecords

log = logging.getLogger("officestream.processors")

SCHEME = "officestream-kafka"
DEFAULT_FETCH_MAX_WAIT_MS = 50
#: The app attribute ``create_app`` sets from the settings.
FETCH_WAIT_ATTRIBUTE = "officestream_fetch_max_wait_ms"
#: The app attribute holding the confluent-kafka producer config (``KafkaSettings.producer_config``).
PRODUCER_CONFIG_ATTRIBUTE = "officestream_producer_config"
#: The app attribute holding the coroutines ``flush`` awaits first (``faust_wiring.before_commit``).
BEFORE_FLUSH_ATTRIBUTE = "officestream_before_flush"
#: The app attribute holding ``(records, bytes)``: how much may be unacknowledged before the
#: agents wait for room (``ProcessorSettings.producer_max_pending_records`` / ``_bytes``).
PENDING_LIMITS_ATTRIBUTE = "officestream_pending_limits"
#: The app attribute holding a callable ``(assigned partitions) -> {partition: offset}``: where
#: to read from instead of the committed offsets after a seek (the notifier re-reads some records
#: before them to fill its replay buffers); faust still commits only past its committed offsets.
SEEK_BACK_ATTRIBUTE = "officestream_seek_back"
#: How long the poller thread blocks in one ``poll`` (it returns as soon as deliveries arrive).
_POLL_S = 0.05
#: How long stopping waits for records still in flight.
_STOP_DRAIN_TIMEOUT_S = 30.0


class BoundedFetchConsumerThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when it builds its fetcher in start(), which comes later.
        consumer._fetch_max_wait_ms = getattr(self.app, FETCH_WAIT_ATTRIBUTE, DEFAULT_FETCH_MAX_WAIT_MS)
        return consumer

    async def seek_to_committed(self) -> Mapping[Any, int]:
        """Seek every assigned partition to its committed offset, and one without a committed
        offset to its beginning (``earliest`` groups).

        aiokafka seeks only partitions whose committed offset is above 0 and leaves the others
        where its fetcher is. After a rebalance that is past the records fetched into the stream
        queues, which faust clears: a worker that had not committed a partition it keeps (the
        second worker of a group joining ~3 s after the first started on a backlog) skipped
        them, and faust later committed past them (bench/scale_out_bench.py; the effects of
        whole messages missing). From the beginning they are read again; a replay is idempotent.
        ``latest`` groups (the notifier: live notifications only) keep aiokafka's behaviour.
        """
        committed = await super().seek_to_committed()
        if self.app.conf.consumer_auto_offset_reset == "earliest":
            unread = [tp for tp, offset in committed.items() if offset is None or offset <= 0]
            if unread:
                await self.seek_to_beginning(*unread)
        return committed


class BoundedFetchConsumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return BoundedFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def perform_seek(self) -> None:
        """Seek to the committed offsets with the fetcher held until the flow resumes.

        faust's recovery resumes the source partitions, seeks them, and only then resumes the
        app's flow control, which clears every stream queue. A fetcher still running during the
        seek (it is: recovery started it to read the changelogs) delivers a restarted worker's
        backlog into those queues just before they are cleared: the records are dropped without
        an ack, their partitions stop committing, and a later record on such a partition lets
        faust commit past them (silent loss; tests/e2e/test_worker_crashes.py caught it). With
        the consumer's flow stopped, nothing is fetched until recovery calls ``resume_flow``
        after the clear, and reading starts at the committed offsets.
        """
        self.stop_flow()
        await super().perform_seek()
        seek_back = getattr(self.app, SEEK_BACK_ATTRIBUTE, None)
        if seek_back is not None:
            for tp, offset in seek_back(self.assignment()).items():
                await self.seek(tp, offset)  # also faust's read offset: records from there on are read again


class DeliveryFailed(ProducerSendError, WorkerMustStop):
    """The broker did not take a record the worker wrote (after librdkafka's retries). The
    worker must stop: neither retried nor dead-lettered by the record processor."""


class RecordRefused(DeliveryFailed):
    """librdkafka refused a record when it was handed over: larger than the topics accept
    (``OFFICESTREAM_KAFKA_MAX_MESSAGE_BYTES``), or its queue is full."""


class LibrdkafkaProducer(Producer):
    """faust's aiokafka producer whose non-transactional sends go through librdkafka."""

    _rdk: confluent_kafka.Producer | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        max_records, max_bytes = getattr(self.app, PENDING_LIMITS_ATTRIBUTE, DEFAULT_PENDING_LIMITS)
        self._in_flight = InFlightRecords(max_records=max_records, max_bytes=max_bytes)
        self._stop_polling = threading.Event()
        self._poller: threading.Thread | None = None
        #: Filled by ``_Delivery`` callbacks, which librdkafka runs inside ``poll``: only ever
        #: touched by the poller thread.
        self._delivered: list[tuple[_Delivery, Any, Any]] = []

    def _rdk_config(self) -> dict[str, Any]:
        config = getattr(self.app, PRODUCER_CONFIG_ATTRIBUTE, None)
        if config is None:
            raise ProducerSendError(f"the app has no {PRODUCER_CONFIG_ATTRIBUTE}: build it with create_app")
        return dict(config)

    async def on_start(self) -> None:
        await super().on_start()  # aiokafka: topic creation, metadata, key partitioning
        self._rdk = confluent_kafka.Producer(self._rdk_config())
        self._loop_ref = asyncio.get_running_loop()
        self._stop_polling.clear()
        self._poller = threading.Thread(target=self._poll_forever, name="officestream-producer-poll", daemon=True)
        self._poller.start()

    async def on_stop(self) -> None:
        try:
            if self._rdk is not None and self._in_flight.failure is None:
                # What is still in flight gets its chance; a failure was already reported (and
                # crashed the worker), so stopping does not raise it again.
                await asyncio.wait_for(self._in_flight.barrier(), timeout=_STOP_DRAIN_TIMEOUT_S)
        except asyncio.TimeoutError:
            log.error("stopping with %d records not acknowledged by the broker", self._in_flight.records)
        except DeliveryFailed:
            pass  # reported (and the worker crashed) when it happened
        finally:
            self._stop_polling.set()
            if self._poller is not None:
                await asyncio.to_thread(self._poller.join)
            self._poller = None
            await super().on_stop()

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        *,
        transactional_id: str | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        if transactional_id or self._rdk is None:
            return await super().send(topic, key, value, partition, timestamp, headers, transactional_id=transactional_id)
        return self._produce(topic, key, value, partition, timestamp, headers)

    def send_soon(self, fut: FutureMessage) -> None:
        """What tables use for their changelogs: faust queues these in a buffer that a task
        drains one loop turn at a time, and stalls the agent while the queue is long (measured:
        16 of 26 s in meetings). librdkafka queues in C without a loop turn, so produce now."""
        if self._rdk is None or self.app.in_transaction:
            super().send_soon(fut)
            return
        message = fut.message
        channel = cast(Topic, message.channel)
        topic = channel.get_topic_name()
        state = self.app.sensors.on_send_initiated(
            self, topic, message=message, keysize=_size(message.key), valsize=_size(message.value)
        )
        delivered = self._produce(
            topic, message.key, message.value, message.partition, message.timestamp, message.headers
        )
        delivered.add_done_callback(partial(channel._on_published, message=fut, state=state, producer=self))

    def _produce(
        self, topic: str, key: Any, value: Any, partition: int | None, timestamp: float | None, headers: Any
    ) -> asyncio.Future[RecordMetadata]:
        """Hand one record to librdkafka; the future settles when the broker has it."""
        assert self._rdk is not None
        if isinstance(headers, Mapping):
            headers = list(headers.items())
        self._send_on_produce_message(key=key, value=value, partition=partition, timestamp=timestamp, headers=headers)
        future: asyncio.Future[RecordMetadata] = self._loop_ref.create_future()
        self._hand_over(topic, key, value, partition, timestamp, headers, future)
        return future

    @property
    def sends_directly(self) -> bool:
        """Whether records go to librdkafka (the producer has started)."""
        return self._rdk is not None

    def send_record(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        *,
        on_delivered: Callable[[str, int, int], None],
    ) -> None:
        """One already encoded record, without faust's message machinery (``ChangelogTable``);
        ``on_delivered(topic, partition, offset)`` runs on the event loop once the broker has it.
        Like every send, it is waited for by ``flush``."""
        self._hand_over(topic, key, value, partition, None, None, on_delivered)

    def _hand_over(
        self, topic: str, key: Any, value: Any, partition: int | None, timestamp: float | None, headers: Any,
        target: _Target,
    ) -> None:
        """Queue one record in librdkafka, or stop the worker: a record it refuses now (too
        large, full queue) would otherwise be lost without anything noticing."""
        assert self._rdk is not None
        size = _size(key) + _size(value) + (sum(_size(k) + _size(v) for k, v in headers) if headers else 0)
        delivery = _Delivery(self, target, size)
        kwargs: dict[str, Any] = {"key": key, "on_delivery": delivery}
        if partition is not None:
            kwargs["partition"] = partition
        if timestamp:
            kwargs["timestamp"] = int(timestamp * 1000)
        if headers:
            kwargs["headers"] = list(headers)
        try:
            self._rdk.produce(topic, value, **kwargs)
        except BufferError:
            # Agents wait for room well before librdkafka's queue is full (``wait_for_room``):
            # a full queue here means the limits are set wrong, and waiting would block the loop.
            raise self._refused(topic, f"the producer queue is full ({self._in_flight.records} records pending)") from None
        except (confluent_kafka.KafkaException, TypeError, ValueError) as exc:
            raise self._refused(topic, f"{exc} ({size} bytes)") from exc
        delivery.epoch = self._in_flight.handed_over(size)

    def _refused(self, topic: str, reason: str) -> RecordRefused:
        exc = RecordRefused(f"cannot send to {topic}: {reason}")
        self._fail(exc)
        return exc

    def _fail(self, exc: DeliveryFailed) -> None:
        """Remember the first lost record (every later flush fails) and crash the worker."""
        if self._in_flight.failure is None:
            log.error("record not sent, stopping the worker: %s", exc)
            asyncio.ensure_future(self.crash(exc))
        self._in_flight.fail(exc)

    async def wait_for_room(self) -> None:
        """Return once few enough records are unacknowledged to take the next message (the
        agents call this first): back-pressure without blocking the event loop."""
        if not self._in_flight.has_room():
            await self._in_flight.room()

    async def flush(self) -> None:
        """Every record handed over before this call is on the broker, or this raises. faust
        calls this before it commits offsets; the app's before-flush hooks run first, so what
        they write (ledger entries of work they finish, dead letters) is flushed with the rest.
        Records sent while it waits do not hold it up."""
        for hook in getattr(self.app, BEFORE_FLUSH_ATTRIBUTE, ()):
            await hook()
        await self.buffer.flush()
        try:
            await self._in_flight.barrier()
        except DeliveryFailed as exc:
            raise DeliveryFailed(f"a record was not delivered, offsets stay uncommitted: {exc}") from exc
        if self._producer is not None:
            await self._producer.flush()
        for transaction_producer in self._transaction_producers.values():
            await transaction_producer.flush()

    # -- the poller thread ----------------------------------------------------------------

    def _poll_forever(self) -> None:
        assert self._rdk is not None
        while not self._stop_polling.is_set():
            self._rdk.poll(_POLL_S)  # runs _Delivery callbacks, in this thread
            batch, self._delivered = self._delivered, []
            if batch:
                try:
                    self._loop_ref.call_soon_threadsafe(self._resolve, batch)
                except RuntimeError:  # the loop is closed: the worker is gone
                    return

    def _resolve(self, batch: list[tuple[_Delivery, Any, Any]]) -> None:
        """On the event loop: settle the futures (or call the callbacks) of one poll's deliveries."""
        for delivery, error, message in batch:
            target = delivery.target
            if error is not None:
                exc = DeliveryFailed(f"{message.topic()}[{message.partition()}]: {error}")
                if isinstance(target, asyncio.Future) and not target.done():
                    target.set_exception(exc)
                self._fail(exc)
            elif not isinstance(target, asyncio.Future):
                target(message.topic(), message.partition(), message.offset())
            elif not target.done():
                kind, millis = message.timestamp()
                target.set_result(
                    RecordMetadata(
                        topic=message.topic(),
                        partition=message.partition(),
                        topic_partition=TopicPartition(message.topic(), message.partition()),
                        offset=message.offset(),
                        timestamp=millis,
                        timestamp_type=kind,
                        log_start_offset=None,
                    )
                )
            self._in_flight.settled(delivery.epoch, delivery.size)
        self._in_flight.wake()


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (bytes, str)) else 0


#: What a delivery settles: the future ``send`` returned, or ``send_record``'s callback
#: (called on the event loop with the record's topic, partition and offset).
_Target = asyncio.Future[RecordMetadata] | Callable[[str, int, int], None]


class _Delivery:
    """librdkafka's delivery callback for one record (called in the poller thread)."""

    __slots__ = ("_producer", "target", "size", "epoch")

    def __init__(self, producer: LibrdkafkaProducer, target: _Target, size: int) -> None:
        self._producer, self.target, self.size = producer, target, size
        self.epoch = 0  # set once librdkafka has taken the record

    def __call__(self, error: Any, message: Any) -> None:
        self._producer._delivered.append((self, error, message))


class OfficestreamTransport(Transport):
    Consumer = BoundedFetchConsumer
    Producer = LibrdkafkaProducer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:OfficestreamTransport"
