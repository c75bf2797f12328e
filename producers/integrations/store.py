"""Integrations in the compacted ``integration-state`` topic, secrets sealed.

The latest record per ``{provider}:{user}`` key is the integration; a null record (a Kafka
tombstone) removes it. The bridge reads the topic to its end at start (``load``) and keeps the
integrations in memory, writing every change through (``save`` returns once the brokers have
it): one bridge process owns the integrations at a time. Every change of a stored integration
goes through ``update``, which applies it to the latest version under the store's lock, so two
writers (the orchestrator handing a backfill off, the live side storing a cursor, a rotated
token cache) never undo each other's change. Values are JSON with every
``SecretStr`` sealed by the ``SecretBox`` (``{"sealed": "..."}``), so the topic never holds a
token in the clear.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from pydantic import SecretStr

from connectors.backoff import Backoff
from connectors.kafka.compacted import read_compacted
from connectors.kafka.exceptions import KafkaUnavailable
from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import INTEGRATION_STATE
from producers.exceptions import ProducerError
from producers.integrations.secret_box import SecretBox
from producers.integrations.state import Integration
from producers.publisher import Publisher

_SEALED = "sealed"
_LOAD_BACKOFF = Backoff(initial_s=0.25, max_s=5.0, retry_after_max_s=5.0)


class IntegrationNotFound(ProducerError):
    """No integration under this key (never connected)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no integration {key.split(':', 1)[0]}:<user> is stored for this user")
        self.key = key


class IntegrationStore:
    def __init__(self, kafka: KafkaSettings, publisher: Publisher, box: SecretBox) -> None:
        self._kafka = kafka
        self._publisher = publisher
        self._box = box
        self._integrations: dict[str, Integration] = {}
        self._lock = asyncio.Lock()

    async def load(self, *, attempts: int = 8) -> dict[str, Integration]:
        """Read every integration from the topic (at start). Brokers still electing leaders
        (``KafkaUnavailable``: a cluster starting, a topic just created) are waited for."""
        topic = self._kafka.topic(INTEGRATION_STATE)
        for attempt in range(1, attempts + 1):
            try:
                values = await asyncio.to_thread(read_compacted, self._kafka, topic)
                break
            except KafkaUnavailable:
                if attempt == attempts:
                    raise
                await asyncio.sleep(_LOAD_BACKOFF.delay(attempt))
        self._integrations = {key.decode(): decode_integration(value, self._box) for key, value in values.items()}
        return dict(self._integrations)

    def get(self, key: str) -> Integration | None:
        return self._integrations.get(key)

    def all(self) -> list[Integration]:
        return list(self._integrations.values())

    async def save(self, integration: Integration) -> Integration:
        """Write ``integration``; returns once the brokers have it (``PublishFailed`` otherwise),
        and only then is it what ``get`` answers."""
        async with self._lock:
            await self._write(integration)
        return integration

    async def update(self, key: str, change: Callable[[Integration], Integration]) -> Integration:
        """Apply ``change`` to the latest ``key`` and write the result (nothing when it changes
        nothing). ``change`` must not wait on anything: it runs under the store's lock."""
        async with self._lock:
            current = self._integrations.get(key)
            if current is None:
                raise IntegrationNotFound(key)
            changed = change(current)
            if changed != current:
                await self._write(changed)
            return changed

    async def _write(self, integration: Integration) -> None:
        await self._publisher.publish_record(
            INTEGRATION_STATE, integration.key.encode(), encode_integration(integration, self._box)
        )
        self._integrations[integration.key] = integration


def read_integrations(kafka: KafkaSettings) -> list[Integration]:
    """Every stored integration with its secrets left sealed (no state key needed): for readers
    that show integrations (``officestream status``), never for anything that uses a secret."""
    values = read_compacted(kafka, kafka.topic(INTEGRATION_STATE))
    return sorted((Integration.model_validate(_open(json.loads(value), None)) for value in values.values()),
                  key=lambda integration: integration.key)


def encode_integration(integration: Integration, box: SecretBox) -> bytes:
    return json.dumps(_seal(integration.model_dump(mode="python"), box), default=str, separators=(",", ":")).encode()


def decode_integration(value: bytes, box: SecretBox) -> Integration:
    return Integration.model_validate(_open(json.loads(value), box))


def _seal(value: Any, box: SecretBox) -> Any:
    if isinstance(value, SecretStr):
        return {_SEALED: box.seal(value)}
    if isinstance(value, dict):
        return {str(key): _seal(item, box) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_seal(item, box) for item in value]
    return value


def _open(value: Any, box: SecretBox | None) -> Any:
    """Opens sealed secrets with ``box``; without one, each stays sealed (a placeholder)."""
    if isinstance(value, dict):
        if set(value) == {_SEALED}:
            return box.open(value[_SEALED]) if box is not None else SecretStr(_SEALED)
        return {key: _open(item, box) for key, item in value.items()}
    if isinstance(value, list):
        return [_open(item, box) for item in value]
    return value
