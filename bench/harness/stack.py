"""The local stack as the benchmarks see it: loopback endpoints, a reachability check, a run's
own topic prefix, the environment of a worker on it, and cleaning the run's traces up."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.admin import ensure_topics
from connectors.kafka.event_subjects import event_subjects
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import TOPICS
from connectors.redis.settings import RedisSettings
from schemas.avsc import load_event_schemas
from schemas.registry_admin import SchemaRegistrar, register_all
from schemas.registry_client import list_subjects, registry_client
from schemas.registry_settings import RegistrySettings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
STACK_HINT = "run `officestream stack up`"


@dataclass(frozen=True)
class Stack:
    """The endpoints of one benchmark run; ``kafka`` carries the run's unique topic prefix."""

    kafka: KafkaSettings
    registry: RegistrySettings
    redis: RedisSettings

    @property
    def prefix(self) -> str:
        return self.kafka.topic_prefix


def unique_prefix(bench: str) -> str:
    """``bench-<name>-<12 hex>-``: topics, groups and registry subjects of one run only."""
    return f"bench-{bench}-{uuid.uuid4().hex[:12]}-"


def open_stack(bench: str) -> Stack:
    """The stack named by ``OFFICESTREAM_*`` (default: the local one), with a fresh prefix.
    Exits 1 with one line when an endpoint is not on this machine or does not answer."""
    prefix = unique_prefix(bench)
    stack = Stack(KafkaSettings.from_env(topic_prefix=prefix), RegistrySettings.from_env(), RedisSettings.from_env())
    hosts = [s.rpartition(":")[0].strip("[]") for s in stack.kafka.bootstrap_servers.split(",")]
    hosts += [urlsplit(stack.registry.url).hostname or "", urlsplit(stack.redis.url).hostname or "127.0.0.1"]
    foreign = [h for h in hosts if h not in LOOPBACK]
    if foreign:
        raise SystemExit(f"{bench}: refusing non-loopback endpoints {', '.join(foreign)}: benchmarks only talk to 127.0.0.1")
    problem = _unreachable(stack)
    if problem:
        raise SystemExit(f"{bench}: {problem}; {STACK_HINT}")
    return stack


@contextmanager
def stack_for_run(bench: str, topics: Collection[str], *, keep: bool, groups: Sequence[str] = ()) -> Iterator[Stack]:
    """``open_stack`` with the catalogue's ``topics`` created under the run's prefix (printed);
    at the end the run's topics, ``groups`` and subjects are deleted unless ``keep``."""
    stack = open_stack(bench)
    ensure_topics(stack.kafka, specs=[spec for spec in TOPICS if spec.name in topics])
    print(f"topic prefix {stack.prefix}", flush=True)
    try:
        yield stack
    finally:
        if not keep:
            cleanup(stack, list(groups))


def _unreachable(stack: Stack) -> str | None:
    """The first component that does not answer within a few seconds, described; else None."""
    try:
        # log_level 0: the probe's own connection errors are summed up in one line, not logged
        AdminClient(stack.kafka.librdkafka_config(log_level=0)).list_topics(timeout=5)
    except KafkaException as exc:
        return f"Kafka unreachable at {stack.kafka.bootstrap_servers} ({exc.args[0].str()})"
    try:
        registry_client(stack.registry).get_subjects()
    except Exception as exc:  # noqa: BLE001 - any failure means "not usable"; say which
        return f"schema registry unreachable at {stack.registry.url} ({type(exc).__name__})"
    try:
        redis.Redis.from_url(stack.redis.url, **stack.redis.client_kwargs()).ping()
    except redis.RedisError as exc:
        return f"Redis unreachable at {stack.redis.url} ({type(exc).__name__})"
    return None


def register_schemas(stack: Stack) -> None:
    """Register every event schema under the run's prefix, as ``officestream schemas register``
    does before workers start: the meetings and shipments workers write their derived events
    only with registered schemas."""
    plan = event_subjects(stack.kafka, load_event_schemas())
    reports = register_all(SchemaRegistrar(registry_client(stack.registry)), plan.subjects)
    refused = [r.describe() for r in reports if r.status == "incompatible"]
    if refused:
        raise SystemExit("schemas not registered:\n" + "\n".join(refused))


def worker_env(stack: Stack, data_dir: Path, **extra: str) -> dict[str, str]:
    """A worker's environment: this process's, minus any ``OFFICESTREAM_*``, plus the run's
    endpoints, prefix and data dir. Processor settings otherwise keep their production defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}
    env.update(
        OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS=stack.kafka.bootstrap_servers,
        OFFICESTREAM_KAFKA_TOPIC_PREFIX=stack.prefix,
        OFFICESTREAM_REGISTRY_URL=stack.registry.url,
        OFFICESTREAM_REDIS_URL=stack.redis.url,
        OFFICESTREAM_PROCESSOR_DATA_DIR=str(data_dir),
    )
    env.update(extra)
    return env


def cleanup(stack: Stack, groups: list[str]) -> None:
    """Best effort: delete the run's topics, consumer groups and registry subjects (all carry
    its unique prefix), so repeated runs do not pile up on the broker."""
    admin = AdminClient(stack.kafka.librdkafka_config())
    try:
        if groups:
            for future in admin.delete_consumer_groups(groups, request_timeout=15).values():
                _quietly(future.result)
        topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(stack.prefix)]
        if topics:
            for future in admin.delete_topics(topics, operation_timeout=30).values():
                _quietly(future.result)
        _delete_subjects(registry_client(stack.registry), stack)
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the results
        print(f"note: cleanup of {stack.prefix}* incomplete: {type(exc).__name__}: {exc}", file=sys.stderr)


def _delete_subjects(client: SchemaRegistryClient, stack: Stack) -> None:
    """The run's subjects: the catalogue's (topic, event type) pairs under its prefix, plus any
    other listed under it."""
    named = {s.subject for s in event_subjects(stack.kafka, load_event_schemas()).subjects}
    listed = set(list_subjects(client, stack.prefix))
    for subject in sorted(named | listed):
        _quietly(client.delete_subject, subject)
        _quietly(client.delete_subject, subject, True)


def _quietly(call, *args) -> None:  # type: ignore[no-untyped-def]
    try:
        call(*args)
    except Exception:  # noqa: BLE001, S110 - a group or subject already gone is fine
        pass
