"""Local stack settings (``OFFICESTREAM_STACK_*``): where it keeps state and which ports it uses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Node n (1-based) of a Kafka cluster listens on the configured ports + (n - 1) x this.
KAFKA_NODE_PORT_STEP = 10
MAX_KAFKA_BROKERS = 5
#: Where ``stack up`` remembers how many Kafka nodes it started (``dir/`` this), for later commands.
BROKERS_FILE = "kafka-brokers"


class StackSettings(EnvSettings):
    """Ports default away from the usual 9092/8081/6379 so a developer's own services don't clash."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_STACK_", extra="forbid", frozen=True)

    #: Caches, state and logs of the local stack (gitignored).
    dir: Path = PROJECT_ROOT / ".stack"
    #: Downloaded Kafka jars and the registry app; shared by several stack dirs when set.
    cache_dir: Path | None = None
    host: str = "127.0.0.1"
    kafka_port: int = Field(default=19092, ge=1024, le=65535)
    kafka_controller_port: int = Field(default=19093, ge=1024, le=65535)
    registry_port: int = Field(default=18081, ge=1024, le=65535)
    registry_management_port: int = Field(default=18082, ge=1024, le=65535)
    redis_port: int = Field(default=16379, ge=1024, le=65535)
    kafka_heap: str = Field(default="512m", pattern=r"^\d+[mg]$")
    registry_heap: str = Field(default="384m", pattern=r"^\d+[mg]$")
    #: A JDK for Kafka (17+); found on JAVA_HOME, PATH or /usr/lib/jvm when unset.
    java_home: Path | None = None
    #: A JDK for the registry (21+); found the same way when unset.
    registry_java_home: Path | None = None
    start_timeout_s: float = Field(default=120.0, gt=0)
    #: Kafka nodes (each a combined broker + controller); unset, what the last ``stack up`` in
    #: ``dir`` started (``stack up --brokers N``), else 1.
    kafka_brokers: int = Field(default=1, ge=1, le=MAX_KAFKA_BROKERS)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Self:
        """As every settings class; read from the real environment (``environ`` None), an unset
        ``kafka_brokers`` is the count ``stack up`` remembered in ``dir`` (an explicit mapping
        stays hermetic)."""
        settings = super().from_env(environ, **overrides)
        if environ is not None or "kafka_brokers" in overrides or cls.env_name("kafka_brokers") in os.environ:
            return settings
        remembered = remembered_brokers(settings.dir)
        if remembered is None or remembered == settings.kafka_brokers:
            return settings
        return super().from_env(environ, **overrides, kafka_brokers=remembered)

    @model_validator(mode="after")
    def _distinct_ports(self) -> "StackSettings":
        ports = {
            **self._kafka_ports(),
            "REGISTRY_PORT": self.registry_port,
            "REGISTRY_MANAGEMENT_PORT": self.registry_management_port,
            "REDIS_PORT": self.redis_port,
        }
        seen: dict[int, str] = {}
        for name, port in ports.items():
            if port > 65535:
                raise ValueError(f"OFFICESTREAM_STACK_{name} is {port}, above 65535")
            if port in seen:
                raise ValueError(f"OFFICESTREAM_STACK_{name} and OFFICESTREAM_STACK_{seen[port]} are both {port}")
            seen[port] = name
        return self

    def _kafka_ports(self) -> dict[str, int]:
        """Every Kafka node's two ports, named as the setting (+ offset) that gives each."""
        ports: dict[str, int] = {}
        for node in range(1, self.kafka_brokers + 1):
            offset = (node - 1) * KAFKA_NODE_PORT_STEP
            suffix = f" (+{offset}, Kafka node {node})" if offset else ""
            ports[f"KAFKA_PORT{suffix}"] = self.kafka_port + offset
            ports[f"KAFKA_CONTROLLER_PORT{suffix}"] = self.kafka_controller_port + offset
        return ports

    @property
    def downloads_dir(self) -> Path:
        """``cache_dir`` when set, else ``dir/cache``."""
        return self.cache_dir or self.dir / "cache"

    @property
    def logs_dir(self) -> Path:
        return self.dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.dir / "run"

    def kafka_node_ports(self, node: int) -> tuple[int, int]:
        """The (client, controller) ports of Kafka node ``node`` (1-based)."""
        offset = (node - 1) * KAFKA_NODE_PORT_STEP
        return self.kafka_port + offset, self.kafka_controller_port + offset

    @property
    def bootstrap_servers(self) -> str:
        """Every node's client listener: a client still finds the cluster when one node is down."""
        return ",".join(f"{self.host}:{self.kafka_node_ports(n)[0]}" for n in range(1, self.kafka_brokers + 1))

    @property
    def replication_factor(self) -> int:
        """What topics on this stack should be created with: every node up to 3."""
        return min(3, self.kafka_brokers)

    @property
    def min_insync_replicas(self) -> int:
        """One replica fewer than the replication factor: an ``acks=all`` write survives one node down."""
        return max(1, self.replication_factor - 1)

    @property
    def registry_url(self) -> str:
        return f"http://{self.host}:{self.registry_port}/apis/ccompat/v7"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"


def remembered_brokers(stack_dir: Path) -> int | None:
    """How many Kafka nodes the last ``stack up`` in ``stack_dir`` started, if it recorded it."""
    try:
        return int((stack_dir / BROKERS_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def remember_brokers(stack_dir: Path, brokers: int) -> None:
    stack_dir.mkdir(parents=True, exist_ok=True)
    (stack_dir / BROKERS_FILE).write_text(f"{brokers}\n")
