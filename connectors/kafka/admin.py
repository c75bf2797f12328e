"""Idempotent topic administration: plan what the catalogue needs, then apply it."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewTopic,
)

from connectors.kafka.exceptions import KafkaUnavailable, TopicAdminError
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import TOPICS, TopicSpec

#: Errors a request to a cluster may meet and be repeated after: a leader or controller moving,
#: a connection lost, or the request's broker handle replaced while librdkafka learns the
#: cluster from its bootstrap servers (seen creating topics right after a cluster started).
_TRANSIENT = frozenset({
    KafkaError._DESTROY_BROKER, KafkaError._TRANSPORT, KafkaError._TIMED_OUT, KafkaError._ALL_BROKERS_DOWN,
    KafkaError.NOT_CONTROLLER, KafkaError.REQUEST_TIMED_OUT,
})

ActionKind = Literal["create", "alter-config", "unchanged", "warn"]


@dataclass(frozen=True)
class ExistingTopic:
    """What the broker says about a topic that already exists."""

    partitions: int
    config: Mapping[str, str]


@dataclass(frozen=True)
class TopicAction:
    """One step of a plan; ``topic`` is the physical name (prefix applied)."""

    kind: ActionKind
    topic: str
    spec: TopicSpec
    detail: str
    config_changes: Mapping[str, str] = field(default_factory=dict)
    #: Every config the topic should have (what a ``create`` creates it with).
    config: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind:<12} {self.topic:<28} {self.detail}"


def plan_topics(
    specs: Iterable[TopicSpec],
    existing: Mapping[str, ExistingTopic],
    *,
    prefix: str = "",
    max_message_bytes: int | None = None,
    min_insync_replicas: int | None = None,
) -> list[TopicAction]:
    """Compare the catalogue with the broker's topics; pure, so it is tested without Kafka."""
    return [
        _plan_one(spec, f"{prefix}{spec.name}", existing.get(f"{prefix}{spec.name}"),
                  spec.config(max_message_bytes=max_message_bytes, min_insync_replicas=min_insync_replicas))
        for spec in specs
    ]


def _plan_one(spec: TopicSpec, name: str, current: ExistingTopic | None, wanted: dict[str, str]) -> TopicAction:
    if current is None:
        settings = ", ".join(f"{k}={v}" for k, v in sorted(wanted.items()))
        return TopicAction("create", name, spec, f"partitions={spec.partitions} {settings}", config=wanted)
    if current.partitions < spec.partitions:
        # Adding partitions would move users to other partitions and break per-user ordering,
        # so it is reported for a human to decide, never done automatically.
        return TopicAction(
            "warn", name, spec, f"has {current.partitions} partitions, catalogue wants {spec.partitions}; not changed",
            config=wanted,
        )
    changes = {key: value for key, value in wanted.items() if current.config.get(key) != value}
    if changes:
        detail = ", ".join(f"{k}: {current.config.get(k)} -> {v}" for k, v in sorted(changes.items()))
        return TopicAction("alter-config", name, spec, detail, changes, wanted)
    return TopicAction("unchanged", name, spec, "matches the catalogue", config=wanted)


def describe_existing(admin: AdminClient, names: Iterable[str], *, timeout_s: float) -> dict[str, ExistingTopic]:
    """Partitions and configs of those ``names`` that exist on the broker."""
    metadata = admin.list_topics(timeout=timeout_s)
    present = [name for name in names if name in metadata.topics]
    if not present:
        return {}
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in present]
    described = admin.describe_configs(resources, request_timeout=timeout_s)
    existing = {}
    for resource, future in described.items():
        entries = future.result()
        existing[resource.name] = ExistingTopic(
            partitions=len(metadata.topics[resource.name].partitions),
            config={key: entry.value for key, entry in entries.items()},
        )
    return existing


def apply_plan(admin: AdminClient, plan: Iterable[TopicAction], *, replication_factor: int, timeout_s: float) -> None:
    """Create missing topics and set drifted configs; already-created topics are fine."""
    plan = list(plan)
    creates = [
        NewTopic(a.topic, a.spec.partitions, replication_factor, config=dict(a.config))
        for a in plan
        if a.kind == "create"
    ]
    if creates:
        _create(admin, creates, timeout_s=timeout_s)
        _await_visible(admin, [t.topic for t in creates], timeout_s=timeout_s)
    alters = [
        ConfigResource(
            ConfigResource.Type.TOPIC,
            a.topic,
            incremental_configs=[
                ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in a.config_changes.items()
            ],
        )
        for a in plan
        if a.kind == "alter-config"
    ]
    if alters:
        for resource, future in admin.incremental_alter_configs(alters, request_timeout=timeout_s).items():
            _result(future, resource.name)


def _create(admin: AdminClient, creates: list[NewTopic], *, timeout_s: float) -> None:
    """Create the topics, again for those that met a transient error (a topic created meanwhile
    counts as created, so a repeat is harmless) until ``timeout_s`` has passed."""
    deadline = time.monotonic() + timeout_s
    while creates:
        futures = admin.create_topics(creates, operation_timeout=timeout_s)
        retry_allowed = time.monotonic() < deadline
        again = {topic for topic, future in futures.items()
                 if not _result(future, topic, tolerate=KafkaError.TOPIC_ALREADY_EXISTS, transient_ok=retry_allowed)}
        creates = [t for t in creates if t.topic in again]
        if creates:
            time.sleep(0.2)


def _await_visible(admin: AdminClient, names: list[str], *, timeout_s: float) -> None:
    """Creation is acknowledged by the controller before every broker serves the topic; wait
    until the metadata shows each one with a leader, so callers can produce right away."""
    deadline = time.monotonic() + timeout_s
    while True:
        topics = admin.list_topics(timeout=timeout_s).topics
        waiting = [
            n for n in names if n not in topics or any(p.leader < 0 for p in topics[n].partitions.values())
        ]
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise TopicAdminError(f"topics created but not served after {timeout_s:.0f}s: {', '.join(waiting)}")
        time.sleep(0.1)


def _result(future, topic: str, *, tolerate: int | None = None, transient_ok: bool = False) -> bool:
    """True when the request succeeded (or failed with ``tolerate``); False when it met a
    transient error and ``transient_ok``; raises otherwise."""
    try:
        future.result()
    except KafkaException as exc:
        error = exc.args[0]
        if tolerate is not None and error.code() == tolerate:
            return True
        if transient_ok and (error.retriable() or error.code() in _TRANSIENT):
            return False
        raise TopicAdminError(f"topic {topic}: {error.str()}") from exc
    return True


def ensure_topics(
    settings: KafkaSettings,
    *,
    specs: Iterable[TopicSpec] = TOPICS,
    dry_run: bool = False,
    timeout_s: float = 15.0,
) -> list[TopicAction]:
    """Bring the broker in line with the catalogue (or only plan, with ``dry_run``)."""
    specs = list(specs)
    admin = AdminClient(settings.librdkafka_config())
    try:
        existing = describe_existing(admin, [settings.topic(s.name) for s in specs], timeout_s=timeout_s)
    except KafkaException as exc:
        raise KafkaUnavailable(
            f"cannot reach Kafka at {settings.bootstrap_servers}: {exc.args[0].str()} "
            "(is the stack up? `officestream stack up`, or set OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS)"
        ) from exc
    plan = plan_topics(specs, existing, prefix=settings.topic_prefix, max_message_bytes=settings.max_message_bytes,
                       min_insync_replicas=settings.min_insync_replicas)
    if not dry_run:
        apply_plan(admin, plan, replication_factor=settings.replication_factor, timeout_s=timeout_s)
    return plan
