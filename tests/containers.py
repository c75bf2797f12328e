"""The test stack in Docker containers (testcontainers): Kafka in KRaft mode, Confluent's schema
registry and Redis on a private network, each on a free host port. Used instead of the local
stack when a Docker engine answers (``tests/stack.py`` decides).

The containers' endpoints are handed to the tests exactly as an external stack's are (the
``OFFICESTREAM_*`` variables), so every test, and every process a test starts, reaches them the
same way; tests that stop a local stack process skip, as they do on any external stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
from testcontainers.community.kafka import KafkaContainer
from testcontainers.community.redis import RedisContainer
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from tests.waiting import wait_for

#: Confluent's images: the registry and the broker of the same platform release.
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.1"
REGISTRY_IMAGE = "confluentinc/cp-schema-registry:7.9.1"
REDIS_IMAGE = "redis:7.4"
REGISTRY_PORT = 8081
REDIS_PORT = 6379


@dataclass
class ContainerStack:
    #: OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS, _REGISTRY_URL and _REDIS_URL of the running containers.
    env: dict[str, str]
    network: Network
    containers: list[DockerContainer] = field(default_factory=list)

    def stop(self) -> None:
        for container in reversed(self.containers):
            container.stop()
        self.network.remove()


def start_container_stack(*, timeout_s: int = 180) -> ContainerStack:
    """Start the three containers and wait until each serves; nothing is left running on failure."""
    stack = ContainerStack(env={}, network=Network().create())
    try:
        kafka = KafkaContainer(KAFKA_IMAGE).with_kraft().with_network(stack.network).with_network_aliases("kafka")
        stack.containers.append(kafka.start(timeout=timeout_s))
        registry = _registry(stack.network)
        stack.containers.append(registry.start())
        redis = RedisContainer(REDIS_IMAGE)
        stack.containers.append(redis.start())
        registry_url = f"http://{registry.get_container_host_ip()}:{registry.get_exposed_port(REGISTRY_PORT)}"
        wait_for(lambda: _serves(f"{registry_url}/subjects"), timeout_s=timeout_s, what="the registry container")
        stack.env = {
            "OFFICESTREAM_KAFKA_BOOTSTRAP_SERVERS": kafka.get_bootstrap_server(),
            "OFFICESTREAM_REGISTRY_URL": registry_url,
            "OFFICESTREAM_REDIS_URL": f"redis://{redis.get_container_host_ip()}:{redis.get_exposed_port(REDIS_PORT)}/0",
        }
    except BaseException:
        stack.stop()
        raise
    return stack


def _registry(network: Network) -> DockerContainer:
    # The broker's in-network listener (BROKER, port 9092) under its network alias.
    return (DockerContainer(REGISTRY_IMAGE).with_network(network).with_network_aliases("schema-registry")
            .with_env("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
            .with_env("SCHEMA_REGISTRY_LISTENERS", f"http://0.0.0.0:{REGISTRY_PORT}")
            .with_env("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:9092")
            .with_exposed_ports(REGISTRY_PORT))


def _serves(url: str) -> bool:
    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False
