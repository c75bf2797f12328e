"""Fixtures shared by every tier. Integration tests get the real stack and unique names."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from ops.stack import manager
from ops.stack.exceptions import StackError
from ops.stack.settings import StackSettings
from schemas.serde import AvroEventSerde
from tests.stack import StackEndpoints, open_stack


@pytest.fixture(scope="session")
def stack() -> Iterator[StackEndpoints]:
    """The real Kafka, registry and Redis; stopped at the end only if this session started them
    and OFFICESTREAM_TEST_KEEP_STACK is not 1."""
    try:
        endpoints = open_stack()
    except StackError as exc:
        pytest.fail(f"the real stack is needed and could not be started: {exc}", pytrace=False)
    yield endpoints
    if endpoints.started_here and os.environ.get("OFFICESTREAM_TEST_KEEP_STACK") != "1":
        manager.down(StackSettings.from_env())


@pytest.fixture
def registry(stack: StackEndpoints) -> SchemaRegistryClient:
    """A plain Confluent client on the real registry."""
    return SchemaRegistryClient(stack.registry.client_config())


@pytest.fixture
def serde(registry: SchemaRegistryClient) -> AvroEventSerde:
    """The project's serde on the real registry, registering schemas as it meets them."""
    return AvroEventSerde(registry, auto_register=True)


@pytest.fixture
def unique() -> str:
    """A short unique suffix: every test gets its own topics, subjects and keys."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def topic_prefix(unique: str) -> str:
    return f"t-{unique}-"
