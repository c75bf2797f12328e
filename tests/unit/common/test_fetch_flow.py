"""The worker's consumer holds its fetcher while recovery seeks to the committed offsets.

faust clears every stream queue when recovery resumes its flow control, after the seek; a
record fetched in between was dropped unacknowledged (processors/common/faust_transport.py,
``BoundedFetchConsumer.perform_seek``). tests/e2e/test_worker_crashes.py shows the effect on a
real restart; this pins the mechanism without a broker.
"""

from __future__ import annotations

import gc

import pytest
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer

from connectors.kafka.settings import KafkaSettings
from processors.common.faust_transport import BoundedFetchConsumer, BoundedFetchConsumerThread
from processors.common.faust_wiring import create_app
from processors.common.settings import ProcessorSettings


@pytest.fixture
def consumer_of(tmp_path):
    """The worker consumer of an app whose groups start at ``offset_reset``."""
    before = gc.get_threshold()  # create_app tunes the (worker) process's collector

    def build(offset_reset: str = "earliest"):
        app = create_app("fetch-flow-test", KafkaSettings.from_env({}, bootstrap_servers="127.0.0.1:9"),
                         ProcessorSettings.from_env({}, data_dir=tmp_path), offset_reset=offset_reset)
        return app.consumer

    yield build
    gc.set_threshold(*before)


@pytest.fixture
def consumer(consumer_of):
    return consumer_of()


async def test_the_fetcher_is_held_from_the_seek_until_recovery_resumes_the_flow(consumer, monkeypatch) -> None:
    assert isinstance(consumer, BoundedFetchConsumer)
    seen_during_seek: list[bool] = []

    async def seek_to_committed(self) -> None:
        seen_during_seek.append(self.flow_active)

    monkeypatch.setattr(AIOKafkaConsumer, "perform_seek", seek_to_committed)
    consumer.resume_flow()  # recovery had resumed it to read the changelogs
    await consumer.perform_seek()
    assert seen_during_seek == [False]
    assert not consumer.flow_active and not consumer.can_resume_flow.is_set()  # nothing fetched yet
    consumer.resume_flow()  # what recovery does after clearing the stream queues
    assert consumer.flow_active


def _committed_as(offsets):
    async def seek_to_committed(self):
        return offsets
    return seek_to_committed


@pytest.mark.parametrize(("reset", "expected"), [("earliest", {"t0", "t2"}), ("latest", set())])
async def test_partitions_without_a_committed_offset_are_read_from_their_beginning(consumer_of, monkeypatch, reset, expected):
    # aiokafka seeks only offsets above 0 and leaves the rest where its fetcher is: after a
    # rebalance, past records faust dropped from its queues (bench/scale_out_bench.py lost them).
    thread = consumer_of(reset)._thread
    assert isinstance(thread, BoundedFetchConsumerThread)
    monkeypatch.setattr(AIOKafkaConsumerThread, "seek_to_committed", _committed_as({"t0": None, "t1": 5, "t2": 0}))
    rewound: list[str] = []

    async def seek_to_beginning(self, *partitions):
        rewound.extend(partitions)

    monkeypatch.setattr(BoundedFetchConsumerThread, "seek_to_beginning", seek_to_beginning)
    assert await thread.seek_to_committed() == {"t0": None, "t1": 5, "t2": 0}
    assert set(rewound) == expected
