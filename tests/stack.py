"""Test access to the real stack: an existing one named by env, containers, or the local stack.

Which one (``stack_kind``, the one switch):

- OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS set: the Kafka, registry and Redis named by the
  OFFICESTREAM_* variables (for example docker-compose's); nothing is started.
- otherwise OFFICESTREAM_TEST_STACK chooses: ``containers`` (testcontainers: ``tests/containers.py``),
  ``local`` (started or reused with the same code as `officestream stack up`), or ``auto`` (the
  default): containers when a Docker engine answers, the local stack when none does.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from connectors.kafka.settings import KafkaSettings
from connectors.redis.settings import RedisSettings
from ops.stack import manager
from ops.stack.exceptions import StackError
from ops.stack.settings import StackSettings
from schemas.registry_settings import RegistrySettings


@dataclass(frozen=True)
class StackEndpoints:
    kafka: KafkaSettings
    registry: RegistrySettings
    redis: RedisSettings
    started_here: bool


StackKind = Literal["external", "containers", "local"]
STACK_CHOICE = "OFFICESTREAM_TEST_STACK"


def stack_kind(environ: Mapping[str, str], engine_reachable: Callable[[], bool]) -> StackKind:
    """The stack the tests run on; ``engine_reachable`` is asked only when the choice is ``auto``."""
    choice = environ.get(STACK_CHOICE, "auto")
    if choice not in ("auto", "local", "containers"):
        raise StackError(f"{STACK_CHOICE}={choice!r}: use auto, local or containers")
    if "OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS" in environ:
        if choice != "auto":
            raise StackError(f"{STACK_CHOICE}={choice} conflicts with OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS "
                             "(an existing stack): unset one of them")
        return "external"
    if choice == "auto":
        return "containers" if engine_reachable() else "local"
    return choice


def docker_engine_reachable() -> bool:
    """Whether a Docker engine answers a ping (DOCKER_HOST or the default socket), within seconds."""
    import docker  # testcontainers' own client; imported here so the local path never needs it

    try:
        client = docker.from_env(timeout=3)
    except docker.errors.DockerException:
        return False
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - any failure to answer means: no engine to use
        return False
    finally:
        client.close()


def external_stack_configured() -> bool:
    return "OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS" in os.environ


def open_stack() -> StackEndpoints:
    """Endpoints of a healthy stack; raises StackError (with the failing component) if none."""
    if external_stack_configured():
        return StackEndpoints(KafkaSettings.from_env(), RegistrySettings.from_env(), RedisSettings.from_env(), False)
    settings = StackSettings.from_env()
    already_up = all(s.probe.healthy for s in manager.status(settings))
    if not already_up:
        manager.up(settings)
    # A cluster's topics are replicated like a production cluster's (``stack up --brokers 3``).
    cluster = {} if settings.kafka_brokers == 1 else {
        "replication_factor": settings.replication_factor, "min_insync_replicas": settings.min_insync_replicas,
    }
    return StackEndpoints(
        KafkaSettings.from_env(bootstrap_servers=settings.bootstrap_servers, **cluster),
        RegistrySettings.from_env(url=settings.registry_url),
        RedisSettings.from_env(url=settings.redis_url),
        started_here=not already_up,
    )


@contextmanager
def component_stopped(name: str) -> Iterator[None]:
    """The local stack's ``name`` (kafka, registry, redis) really stopped (SIGTERM: a clean
    shutdown); started again on leaving (also on failure), healthy before the block goes on."""
    settings = StackSettings.from_env()
    [component] = [c for c in manager.build_components(settings) if c.name == name]
    assert component.processes.stop(component.name), f"the stack's {name} was not running"
    try:
        yield
    finally:
        manager.up(settings)


def registry_stopped():
    """The local stack's registry process really stopped; started again on leaving (also on failure)."""
    return component_stopped("registry")
