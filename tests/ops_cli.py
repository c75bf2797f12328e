"""Running `officestream` as an operator does, on the test stack, and reading a group's state."""

from __future__ import annotations

import subprocess
import sys

from confluent_kafka.admin import AdminClient

from connectors.kafka.consumer_groups import ConsumerGroups
from connectors.kafka.settings import KafkaSettings
from tests.kafka_helpers import committed_offsets, create_topic
from tests.waiting import wait_for


def officestream(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``officestream ARGS`` in a subprocess with ``env`` (tests/workers.py's ``worker_env``)."""
    return subprocess.run([sys.executable, "-m", "ops.cli", *args], env=env, capture_output=True, text=True, timeout=120)


def caught_up(kafka: KafkaSettings, group: str, *topics: str) -> bool:
    """Whether ``group`` has committed every partition of ``topics`` to its end."""
    return all(committed == end for topic in topics for committed, end in committed_offsets(kafka, group, topic).values())


def wait_caught_up(kafka: KafkaSettings, group: str, *topics: str) -> None:
    wait_for(lambda: caught_up(kafka, group, *topics), timeout_s=90, what=f"{group} to commit {topics} to their end")


def wait_members(kafka: KafkaSettings, group: str, *, present: bool) -> None:
    """Until ``group`` has members (``present``) or none: a stopped worker leaves its group."""
    groups = ConsumerGroups(kafka)
    wait_for(lambda: bool(groups.members(group).members) == present, timeout_s=90,
             what=f"{group} to have {'members' if present else 'no members'}")


def shipments_changelogs(kafka: KafkaSettings, group: str) -> None:
    """Create the shipments tables' changelogs of ``group`` before its worker starts, unless they
    exist (`topics create` makes the service's own group's; a side group's are new): one faust
    creates itself may be missing from the metadata of its first assignment, and then the first
    message that writes to it waits for the metadata to catch up (faust's PartitionsMismatch)."""
    existing = set(AdminClient(kafka.librdkafka_config()).list_topics(timeout=10).topics)
    for table in ("applied", "packages"):
        if f"{group}-{table}-changelog" not in existing:
            create_topic(kafka, f"{group}-{table}-changelog", partitions=6, config={"cleanup.policy": "compact"})
