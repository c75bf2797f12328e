"""The worker's producer (processors/common/faust_transport.py) on the real broker: records sent
through librdkafka are on the broker when ``flush`` returns, their futures and callbacks carry
the broker's offsets, a flush waits for the records sent before it and not for those sent while
it waits, and a record the broker or librdkafka refuses stops the worker instead of vanishing."""

from __future__ import annotations

import asyncio
import time

import pytest

from connectors.kafka.settings import DEFAULT_MAX_MESSAGE_BYTES, RECORD_FRAMING_BYTES, KafkaSettings
from processors.common.exceptions import WorkerMustStop
from processors.common.faust_transport import DeliveryFailed, LibrdkafkaProducer, RecordRefused
from processors.common.faust_wiring import before_commit, create_app
from processors.common.settings import ProcessorSettings
from tests.kafka_helpers import consume, create_topic


@pytest.fixture
async def producer(stack, unique, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=f"t-{unique}-")
    app = create_app("transport-test", kafka, ProcessorSettings.from_env({}, data_dir=tmp_path))
    producer = app.producer
    assert isinstance(producer, LibrdkafkaProducer)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@pytest.fixture
def crashes(monkeypatch) -> list[BaseException]:
    """What the producers crashed the worker with (in a worker, that crashes the whole app)."""
    seen: list[BaseException] = []

    async def crash(self: LibrdkafkaProducer, exc: BaseException) -> None:
        seen.append(exc)

    monkeypatch.setattr(LibrdkafkaProducer, "crash", crash)
    return seen


async def test_sent_records_are_on_the_broker_with_their_offsets_after_flush(stack, producer, unique):
    topic = f"t-{unique}-out"
    create_topic(stack.kafka, topic, partitions=2)
    futures = [
        await producer.send(topic, f"k{i}".encode(), f"v{i}".encode(), 1, None, [("source", b"test")]) for i in range(3)
    ]
    delivered: list[tuple[str, int, int]] = []
    producer.send_record(topic, b"direct", b"record", 0, on_delivered=lambda *where: delivered.append(where))

    await producer.flush()

    assert all(f.done() for f in futures)
    assert [(f.result().topic, f.result().partition, f.result().offset) for f in futures] == [
        (topic, 1, 0), (topic, 1, 1), (topic, 1, 2)
    ]
    assert delivered == [(topic, 0, 0)]
    messages = consume(stack.kafka, topic, 4, group=f"g-{unique}")
    got = {(m.partition(), m.offset()): (m.key(), m.value(), m.headers()) for m in messages}
    assert got[(1, 2)] == (b"k2", b"v2", [("source", b"test")])
    assert got[(0, 0)] == (b"direct", b"record", None)


async def test_a_record_the_broker_refuses_fails_the_flush_and_crashes_the_worker(stack, producer, unique, crashes):
    topic = f"t-{unique}-small"
    # The topic takes less than the producer's limit: librdkafka takes the record, and the
    # broker refuses it in the delivery report (what a record lost after librdkafka's retries
    # looks like to the worker).
    create_topic(stack.kafka, topic, partitions=1, config={"max.message.bytes": "2000"})
    future = await producer.send(topic, b"k", b"v" * 5000, 0, None, None)
    with pytest.raises(DeliveryFailed, match="too large"):
        await asyncio.wait_for(producer.flush(), timeout=60)
    assert isinstance(future.exception(), DeliveryFailed)
    assert len(crashes) == 1 and isinstance(crashes[0], DeliveryFailed)
    with pytest.raises(DeliveryFailed):  # and every later flush: nothing is committed past it
        await producer.flush()


async def test_a_record_librdkafka_refuses_stops_the_worker_at_once(stack, producer, unique, crashes):
    topic = f"t-{unique}-refused"
    create_topic(stack.kafka, topic, partitions=1)
    too_large = b"v" * DEFAULT_MAX_MESSAGE_BYTES
    with pytest.raises(RecordRefused, match="MSG_SIZE_TOO_LARGE") as refused:
        producer.send_record(topic, b"k", too_large, None, on_delivered=lambda *where: None)
    assert isinstance(refused.value, WorkerMustStop)  # the record processor lets it through
    await asyncio.sleep(0)
    assert crashes == [refused.value]
    with pytest.raises(DeliveryFailed, match="offsets stay uncommitted"):
        await producer.flush()


async def test_a_record_as_large_as_the_topics_accept_is_sent(stack, producer, unique):
    topic = f"t-{unique}-large"
    create_topic(stack.kafka, topic, partitions=1)  # the broker's default limit
    # Over librdkafka's own default limit (1,000,000 bytes), within the topic's.
    largest = b"v" * (DEFAULT_MAX_MESSAGE_BYTES - RECORD_FRAMING_BYTES - 1)
    future = await producer.send(topic, b"k", largest, 0, None, None)
    await producer.flush()
    assert future.result().offset == 0


async def test_flush_returns_while_records_keep_being_sent(stack, producer, unique):
    topic = f"t-{unique}-steady"
    create_topic(stack.kafka, topic, partitions=3)
    before = [await producer.send(topic, b"k%d" % i, b"v", i % 3, None, None) for i in range(30)]
    stop = asyncio.Event()

    async def steady_traffic() -> None:  # what busy agents do between commits: there is always a record in flight
        n = 0
        while not stop.is_set():
            producer.send_record(topic, b"k%d" % n, b"v", n % 3, on_delivered=lambda *where: None)
            n += 1
            await asyncio.sleep(0)

    traffic = asyncio.ensure_future(steady_traffic())
    try:
        await asyncio.sleep(0.2)
        await asyncio.wait_for(producer.flush(), timeout=20)
        assert all(f.done() and f.exception() is None for f in before)
        assert not traffic.done()  # the flush returned while records were still being sent
    finally:
        stop.set()
        await traffic
    await producer.flush()


async def test_flush_runs_the_before_commit_hooks_first_and_flushes_what_they_send(stack, producer, unique):
    topic = f"t-{unique}-hooked"
    create_topic(stack.kafka, topic, partitions=1)
    order: list[str] = []

    async def finish_pending_work() -> None:
        order.append("hook")
        # What a hook writes (ledger entries of work it finished) is flushed with the rest.
        producer.send_record(topic, b"late", b"write", 0, on_delivered=lambda *where: order.append("delivered"))

    before_commit(producer.app, finish_pending_work)
    await producer.flush()
    assert order == ["hook", "delivered"]


async def test_a_failing_before_commit_hook_fails_the_flush(stack, producer):
    async def broken() -> None:
        raise RuntimeError("the feed file cannot be synced")

    before_commit(producer.app, broken)
    with pytest.raises(RuntimeError, match="cannot be synced"):
        await producer.flush()


@pytest.fixture
async def slow_producer(stack, unique, tmp_path):
    """A producer that holds records for a second before sending them (linger), whose agents
    wait for room at 4 unacknowledged records (librdkafka's queue holds 16)."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=f"t-{unique}-")
    settings = ProcessorSettings.from_env({}, data_dir=tmp_path, producer_linger_ms=1000, producer_max_pending_records=4)
    producer = create_app("transport-test", kafka, settings).producer
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


class LoopWatch:
    """The longest time the event loop was unavailable to a task that wakes every 10 ms."""

    def __init__(self) -> None:
        self.worst_s = 0.0
        self._task = asyncio.ensure_future(self._tick())

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            self.worst_s = max(self.worst_s, now - last - 0.01)
            last = now

    def stop(self) -> float:
        self._task.cancel()
        return self.worst_s


async def test_agents_wait_for_room_without_blocking_the_loop(stack, slow_producer, unique):
    topic = f"t-{unique}-room"
    create_topic(stack.kafka, topic, partitions=1)
    delivered: list[tuple[str, int, int]] = []
    watch, started = LoopWatch(), time.monotonic()
    for n in range(12):
        await slow_producer.wait_for_room()  # what attach_agent does before each message
        slow_producer.send_record(topic, b"k", b"v%d" % n, 0, on_delivered=lambda *where: delivered.append(where))
    await slow_producer.flush()
    worst = watch.stop()
    assert [offset for _, _, offset in delivered] == list(range(12))
    assert time.monotonic() - started > 1.5  # it did wait: three rounds of four, a second's linger each
    assert worst < 0.5, f"the event loop was blocked for {worst:.2f} s"


async def test_a_full_queue_stops_the_worker_instead_of_blocking_the_loop(stack, slow_producer, unique, crashes):
    topic = f"t-{unique}-full"
    create_topic(stack.kafka, topic, partitions=1)
    for n in range(16):  # a synchronous path (a changelog write) that did not wait for room
        slow_producer.send_record(topic, b"k", b"v%d" % n, 0, on_delivered=lambda *where: None)
    watch = LoopWatch()
    started = time.monotonic()
    with pytest.raises(RecordRefused, match="queue is full"):
        slow_producer.send_record(topic, b"k", b"one too many", 0, on_delivered=lambda *where: None)
    assert time.monotonic() - started < 0.5  # not after waiting for the linger to free the queue
    await asyncio.sleep(0.1)
    assert watch.stop() < 0.5 and len(crashes) == 1
