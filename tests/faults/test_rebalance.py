"""A consumer-group rebalance while the shipments service processes a steady stream: a second
worker of the service joins (it takes half the partitions), handles some of them, then leaves
(SIGTERM: its partitions go back to the first), all while e-mails keep arriving, some of them
twice. Every package ends with its two status-history entries, each once, and every
announcement has one id: nothing lost, no effect applied twice (tests/faults/shipment_traffic.py)."""

from __future__ import annotations

import pytest

from tests.e2e.crashing import QUICK_TAKEOVER
from tests.e2e.worker_faults import high_watermark, metric_value
from tests.faults import shipment_traffic as traffic
from tests.integration.bridge.harness import free_port
from tests.kafka_helpers import committed_offsets, committed_total, prepared
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.faults]

PARCELS = 150


def handled(web_port: int) -> float:
    return metric_value(web_port, "officestream_processor_messages_total", service="shipments", outcome="handled") or 0


def test_a_worker_joining_then_leaving_mid_stream_loses_and_duplicates_nothing(stack, serde, registry, topic_prefix,
                                                                               tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic, group = kafka.topic("email-updates"), kafka.group("shipments")
    expected = traffic.parcels(PARCELS)
    records = [r for wave in traffic.waves(serde, topic, expected, redeliver_every=10) for r in wave]
    ports = [free_port(), free_port()]
    envs = [{**worker_env(stack, topic_prefix, tmp_path / f"data-{i}", OFFICESTREAM_PROCESSOR_WEB_PORT=str(port)),
             **QUICK_TAKEOVER} for i, port in enumerate(ports)]
    first = FaustWorker("shipments", envs[0], tmp_path / "first.log").start()
    second = FaustWorker("shipments", envs[1], tmp_path / "second.log")
    try:
        producer = traffic.SteadyProducer(kafka, topic, records, batch=3, pause_s=0.25).start()
        wait_for(lambda: handled(ports[0]) > 0, timeout_s=60, what="the first worker handling messages")
        second.start()  # joins the group: a rebalance
        wait_for(lambda: handled(ports[1]) >= 10, timeout_s=90, what="the second worker handling its partitions")
        joined_at, by_second = producer.sent, handled(ports[1])
        second.stop()  # leaves the group: another rebalance
        left_at = producer.sent
        assert left_at < len(records), "the stream ended before the second worker left: no rebalance under load"
        print(f"\nsecond worker joined at {joined_at}, left at {left_at} of {len(records)} messages, "
              f"after handling {by_second:.0f}")
        producer.join()
        total = high_watermark(kafka, topic)
        try:
            wait_for(lambda: committed_total(kafka, group, topic) >= total, timeout_s=120,
                     what=f"all {total} messages committed")
        except AssertionError as exc:
            exc.add_note(f"{committed_offsets(kafka, group, topic)}\n{first.log_tail(40)}")
            raise
    finally:
        second.kill()
        first.stop()
    counts = traffic.count_shipments(kafka, registry, expected)
    assert all(not c.lost and not c.duplicates for c in counts), [(c.sink, c.lost[:3], c.duplicates[:3]) for c in counts]
