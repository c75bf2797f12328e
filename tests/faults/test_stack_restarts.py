"""The stack's own services restarted cleanly (SIGTERM, then started again) while the system
works: the single broker during the backfills, and Redis while the workers resolve references
(references only: every record of every event is a ``PayloadRef`` in Redis). Producers and
workers wait it out and go on; nothing is lost or applied twice."""

from __future__ import annotations

import pytest

from connectors.kafka.topic_reader import read_records
from connectors.kafka.topics import EMAIL_BACKFILL
from ops.demo.summary import demo_kafka
from tests.faults.workload import FaultRun, assert_nothing_lost_or_doubled
from tests.stack import component_stopped
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(900)]


def restarted_mid_backfill(run: FaultRun, component: str) -> None:
    run.start()
    run.connect()
    wait_for(lambda: run.backfilled_items() > 0, timeout_s=120, what="the backfills under way")
    with component_stopped(component):
        run.demo.say(f"FAULT: {component} stopped")
    run.demo.say(f"{component} started again")
    run.demo.children.check_alive()  # every producer and worker outlived it
    run.wait_backfills()
    run.live(rounds=2)


def test_the_broker_restarted_mid_backfill_loses_and_doubles_nothing(make_fault_run):
    run = make_fault_run(emails_per_user=150)
    restarted_mid_backfill(run, "kafka")
    assert_nothing_lost_or_doubled(run.finish(fault="the broker restarted mid-backfill"))


def test_redis_restarted_while_references_are_resolved_loses_and_doubles_nothing(make_fault_run, serde):
    run = make_fault_run(env={"OFFICESTREAM_PRODUCER_EMBED_MAX_BYTES": "0"}, emails_per_user=150)
    restarted_mid_backfill(run, "redis")
    counts = run.finish(fault="Redis restarted while references are resolved")
    kafka = demo_kafka(run.demo)
    batches = [serde.decode(r.value) for r in read_records(kafka, kafka.topic(EMAIL_BACKFILL)) if r.value]
    assert not [b for b in batches if b.emails], "a record went in an event, not by reference"
    assert sum(len(b.emails_refs) for b in batches) >= 4 * 150
    assert_nothing_lost_or_doubled(counts)
