"""`officestream replay` on a real shipments worker (the faust worker CLI): a live group is
refused, a dry run changes nothing, a replay from the earliest offsets reprocesses everything
and leaves the same state (no package, e-mail or event twice), and a side group (`--into`, a
worker under OFFICESTREAM_PROCESSOR_GROUP_ID) rebuilds that same state from scratch while the
live group's offsets stay where they were."""

from __future__ import annotations

import datetime as dt
import json

from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.compacted import read_compacted
from schemas.models import ChangeType, EmailUpdateEvent
from tests import factories
from tests.ops_cli import officestream, shipments_changelogs, wait_caught_up, wait_members
from tests.e2e.worker_faults import ups_mail
from tests.kafka_helpers import committed_offsets, deduplicated, prepared, produce, read_all, read_plainly
from tests.workers import FaustWorker, worker_env

#: Eight users over the six partitions, two shipping e-mails each (shipped, then delivered).
USERS = [f"replay-user-{n}" for n in range(8)]


def emails(serde, topic: str) -> list:
    records = []
    for user in USERS:
        for day, subject in ((0, "UPS Update: shipped"), (1, "Delivered: your UPS package")):
            at = factories.T0 + dt.timedelta(days=day)
            event = EmailUpdateEvent(
                metadata=factories.metadata("EmailUpdateEvent", user_id=user, occurred_at=at),
                change_type=ChangeType.created, email_id=f"{user}-m{day}", email=ups_mail(f"{user}-m{day}", at, subject=subject),
            )
            records.append((user.encode(), serde.encode(topic, event), []))
    return records


def packages(kafka, group: str) -> dict:
    return {json.loads(k): json.loads(v) for k, v in read_compacted(kafka, f"{group}-packages-changelog").items()}


def test_replaying_shipments_from_the_earliest_offsets_rebuilds_the_same_state(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic, group, updates = kafka.topic("email-updates"), kafka.group("shipments"), kafka.topic("shipment-updates")
    env = worker_env(stack, topic_prefix, tmp_path / "data")
    shipments_changelogs(kafka, group)
    produce(kafka, topic, emails(serde, topic))
    worker = FaustWorker("shipments", env, tmp_path / "shipments.log").start()
    try:
        wait_caught_up(kafka, group, topic)
        wait_members(kafka, group, present=True)
        live = officestream(env, "replay", "--group", "shipments", "--topic", "email-updates", "--to-earliest")
        assert live.returncode == 1 and "live member(s)" in live.stderr and "--into" in live.stderr, live
    finally:
        worker.stop()
    before, ends = packages(kafka, group), committed_offsets(kafka, group, topic)
    announced = read_all(kafka, updates)
    assert len(before) == len(USERS) and all(p["status"] == "delivered" for p in before.values())
    wait_members(kafka, group, present=False)

    dry = officestream(env, "replay", "--group", "shipments", "--topic", "email-updates", "--to-earliest", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would move (dry run, nothing changed)" in dry.stdout and f"{topic}[0]" in dry.stdout
    assert committed_offsets(kafka, group, topic) == ends  # nothing moved

    moved = officestream(env, "replay", "--group", "shipments", "--topic", "email-updates", "--to-earliest")
    assert moved.returncode == 0, moved.stderr
    assert all(committed == 0 for committed, _ in committed_offsets(kafka, group, topic).values())
    worker = FaustWorker("shipments", env, tmp_path / "shipments-again.log").start()
    try:
        wait_caught_up(kafka, group, topic)
    finally:
        worker.stop()
    assert packages(kafka, group) == before  # the same packages, no e-mail counted twice
    again = read_all(kafka, updates)
    registry = SchemaRegistryClient(stack.registry.client_config())
    assert len(again) > len(announced)  # the replay was processed: its effects announced again...
    ids = [e.metadata.event_id for e in deduplicated(read_plainly(registry, again))]
    assert ids == [e.metadata.event_id for e in deduplicated(read_plainly(registry, announced))]  # ...under the same ids


def test_a_side_group_rebuilds_the_state_without_touching_the_live_group(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic, group = kafka.topic("email-updates"), kafka.group("shipments")
    env = worker_env(stack, topic_prefix, tmp_path / "data")
    side = f"{group}-side"
    shipments_changelogs(kafka, group)
    shipments_changelogs(kafka, side)
    produce(kafka, topic, emails(serde, topic))
    live = FaustWorker("shipments", env, tmp_path / "shipments.log").start()
    try:
        wait_caught_up(kafka, group, topic)
        # The live worker keeps running: a side group is written, never the live one.
        into = officestream(env, "replay", "--group", "shipments", "--topic", "email-updates", "--to-earliest", "--into", side)
        assert into.returncode == 0, into.stderr
        assert f"into side group {side} (copied from {group})" in into.stdout
        assert all(committed == 0 for committed, _ in committed_offsets(kafka, side, topic).values())
        again = officestream(env, "replay", "--group", "shipments", "--topic", "email-updates", "--to-earliest", "--into", side)
        assert again.returncode == 1 and "already has committed offsets" in again.stderr
        worker = FaustWorker("shipments", {**env, "OFFICESTREAM_PROCESSOR_GROUP_ID": side}, tmp_path / "side.log").start()
        try:
            wait_caught_up(kafka, side, topic)
        finally:
            worker.stop()
        assert packages(kafka, side) == packages(kafka, group)  # rebuilt from scratch: the same state
        assert all(committed == end for committed, end in committed_offsets(kafka, group, topic).values())
    finally:
        live.stop()
