"""Is each required component reachable? Probed through the same settings every service uses,
so the answer holds for the local stack and for an external cluster alike."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from connectors.kafka.settings import KafkaSettings
from connectors.redis.settings import RedisSettings
from ops.stack import manager
from ops.stack.exceptions import StackError
from ops.stack.settings import StackSettings
from schemas.exceptions import SchemasError
from schemas.registry_client import list_subjects, registry_client
from schemas.registry_settings import RegistrySettings

PROBE_TIMEOUT_S = 5.0


@dataclass(frozen=True, kw_only=True)
class ComponentHealth:
    name: str
    address: str
    healthy: bool
    detail: str
    #: A required component that is down makes ``officestream status`` exit 1.
    required: bool = True
    #: The local stack's process, when the address is the local stack's (``stack status``).
    pid: int | None = None


def probe_kafka(settings: KafkaSettings, admin: AdminClient) -> ComponentHealth:
    try:
        metadata = admin.list_topics(timeout=PROBE_TIMEOUT_S)
    except KafkaException as exc:
        return ComponentHealth(name="kafka", address=settings.bootstrap_servers, healthy=False, detail=exc.args[0].str())
    brokers = len(metadata.brokers)
    return ComponentHealth(name="kafka", address=settings.bootstrap_servers, healthy=brokers > 0,
                           detail=f"{brokers} broker(s), {len(metadata.topics)} topics" if brokers else "no broker")


def probe_registry(settings: RegistrySettings) -> ComponentHealth:
    # No client retries: a probe answers now, it does not wait out an outage.
    client = registry_client(settings.model_copy(update={"max_retries": 0, "timeout_s": PROBE_TIMEOUT_S}))
    try:
        subjects = list_subjects(client)
    except SchemasError as exc:
        return ComponentHealth(name="registry", address=settings.url, healthy=False, detail=str(exc))
    return ComponentHealth(name="registry", address=settings.url, healthy=True, detail=f"{len(subjects)} subjects")


def probe_redis(settings: RedisSettings) -> ComponentHealth:
    kwargs = {**settings.client_kwargs(), "socket_timeout": PROBE_TIMEOUT_S, "socket_connect_timeout": PROBE_TIMEOUT_S}
    client = redis.Redis.from_url(settings.url, **kwargs)
    try:
        version = client.info("server").get("redis_version", "?")
        keys = client.dbsize()
    except redis.RedisError as exc:
        return ComponentHealth(name="redis", address=settings.url, healthy=False, detail=f"{type(exc).__name__}: {exc}")
    finally:
        client.close()
    return ComponentHealth(name="redis", address=settings.url, healthy=True, detail=f"version {version}, {keys} keys")


def local_stack_pids(kafka: KafkaSettings, registry: RegistrySettings, redis_settings: RedisSettings) -> dict[str, int]:
    """Pids of the local stack's processes (what ``officestream stack status`` shows) serving
    the configured addresses; empty against an external cluster."""
    try:
        stack = StackSettings.from_env()
        # Pid files only: the probes above already said whether each one answers.
        statuses = {c.name: c.processes.pid(c.name) for c in manager.build_components(stack)}
    except (StackError, ValueError):  # no local stack configured here: nothing to add
        return {}
    ours = {"kafka": kafka.bootstrap_servers == stack.bootstrap_servers,
            "registry": registry.url == stack.registry_url, "redis": redis_settings.url == stack.redis_url}
    return {name: pid for name, pid in statuses.items() if ours.get(name) and pid is not None}
