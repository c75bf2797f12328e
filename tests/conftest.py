"""Fixtures shared by every tier. Integration tests get the real stack and unique names."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from connectors.kafka.settings import KafkaSettings
from ops.stack import manager
from ops.stack.exceptions import StackError
from ops.stack.settings import StackSettings
from schemas.registry_client import list_subjects
from schemas.serde import AvroEventSerde
from tests.stack import StackEndpoints, docker_engine_reachable, open_stack, stack_kind


@pytest.fixture(scope="session")
def stack() -> Iterator[StackEndpoints]:
    """The real Kafka, registry and Redis (``tests/stack.py`` says which). Containers are removed
    at the end; the local stack is stopped only if this session started it and
    OFFICESTREAM_TEST_KEEP_STACK is not 1."""
    try:
        kind = stack_kind(os.environ, docker_engine_reachable)
    except StackError as exc:
        pytest.fail(str(exc), pytrace=False)
    with containers_if(kind == "containers"):
        try:
            endpoints = open_stack()
        except StackError as exc:
            pytest.fail(f"the real stack is needed and could not be started: {exc}", pytrace=False)
        yield endpoints
        delete_test_topics(endpoints.kafka, _TOKENS)
        delete_test_subjects(SchemaRegistryClient(endpoints.registry.client_config()), _TOKENS)
        if endpoints.started_here and os.environ.get("OFFICESTREAM_TEST_KEEP_STACK") != "1":
            manager.down(StackSettings.from_env())


@contextmanager
def containers_if(wanted: bool) -> Iterator[None]:
    """With ``wanted``, the stack in containers for the session, its endpoints in the environment
    (so the tests, and the processes they start, see it as an existing stack)."""
    if not wanted:
        yield
        return
    from tests.containers import start_container_stack  # testcontainers only when it is used

    try:
        containers = start_container_stack()
    except Exception as exc:  # noqa: BLE001 - any failure: one line saying the stack is missing
        pytest.fail(f"the test stack in containers could not be started: {type(exc).__name__}: {exc}", pytrace=False)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in containers.env.items():
            patch.setenv(name, value)
        try:
            yield
        finally:
            containers.stop()


#: The ``unique`` tokens handed out this session: every topic a test creates carries one.
_TOKENS: set[str] = set()


def delete_test_topics(kafka: KafkaSettings, tokens: set[str], *, timeout_s: float = 60) -> None:
    """Delete the topics this session created (their names hold a ``unique`` token), so a
    long-lived local stack does not collect thousands of partitions over many runs (a broker
    that loads ~9,000 of them starts and serves measurably slower). Best effort: never fails
    the session; what is left is named in a warning."""
    if not tokens:
        return
    admin = AdminClient(kafka.librdkafka_config())
    try:
        names = [name for name in admin.list_topics(timeout=10).topics if any(token in name for token in tokens)]
        if names:
            for future in admin.delete_topics(names, operation_timeout=timeout_s).values():
                future.result(timeout=timeout_s)
    except Exception as exc:  # noqa: BLE001 - cleanup only
        warnings.warn(f"could not delete this session's test topics: {exc}", stacklevel=1)


def delete_test_subjects(client: SchemaRegistryClient, tokens: set[str]) -> None:
    """Delete the registry subjects this session registered (named with a ``unique`` token),
    soft then permanently. Best effort, like ``delete_test_topics``."""
    if not tokens:
        return
    try:
        subjects = [s for s in list_subjects(client) if any(token in s for token in tokens)]
        for subject in subjects:
            client.delete_subject(subject)
            client.delete_subject(subject, permanent=True)
    except Exception as exc:  # noqa: BLE001 - cleanup only
        warnings.warn(f"could not delete this session's test subjects: {exc}", stacklevel=1)


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
    """A short unique suffix: every test gets its own topics, subjects and keys (its topics are
    deleted at the end of the session)."""
    token = uuid.uuid4().hex[:10]
    _TOKENS.add(token)
    return token


@pytest.fixture
def topic_prefix(unique: str) -> str:
    return f"t-{unique}-"
