"""Test access to the real stack: the project's local stack, or an existing one named by env.

When OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS is set, the tests use the Kafka, registry and Redis
named by the OFFICESTREAM_* variables (for example docker-compose's) and start nothing.
Otherwise they start (or reuse) the local stack with the same code as `officestream stack up`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from connectors.kafka.settings import KafkaSettings
from connectors.redis.settings import RedisSettings
from ops.stack import manager
from ops.stack.settings import StackSettings
from schemas.registry_settings import RegistrySettings


@dataclass(frozen=True)
class StackEndpoints:
    kafka: KafkaSettings
    registry: RegistrySettings
    redis: RedisSettings
    started_here: bool


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
