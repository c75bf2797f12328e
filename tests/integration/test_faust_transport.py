"""The worker's producer (processors/common/faust_transport.py) on the real broker: records sent
through librdkafka are on the broker when ``flush`` returns, their futures and callbacks carry
the broker's offsets, and a record the broker refuses fails the flush instead of vanishing."""

from __future__ import annotations

import asyncio

import pytest
from faust.exceptions import ProducerSendError

from connectors.kafka.settings import KafkaSettings
from processors.common.faust_transport import DeliveryFailed, LibrdkafkaProducer
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


async def test_a_record_the_broker_refuses_fails_the_flush(stack, producer, unique):
    topic = f"t-{unique}-small"
    create_topic(stack.kafka, topic, partitions=1)
    # A partition the topic does not have: librdkafka refuses it at once or in its delivery
    # report; either way the worker must learn of it before it commits.
    try:
        future = await producer.send(topic, b"k", b"v", 7, None, None)
    except ProducerSendError:
        return  # refused at once
    with pytest.raises(DeliveryFailed, match="Unknown partition"):
        await asyncio.wait_for(producer.flush(), timeout=60)
    assert isinstance(future.exception(), DeliveryFailed)


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
