"""Test doubles of the live sync's unit tests: integrations, a store and a publisher in memory."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

from producers.integrations.state import Integration, IntegrationStatus
from producers.integrations.store import IntegrationNotFound
from schemas.models import DocType, Provider

USER = "ada@contoso.example"


def integration(provider: Provider, cursors: dict[str, str] | None = None, **fields: Any) -> Integration:
    now = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    values: dict[str, Any] = {"user_id": USER, "provider": provider, "status": IntegrationStatus.live,
                              "backfilled": (DocType.email, DocType.calendar_event, DocType.contact),
                              "cursors": dict(cursors or {}), "created_at": now, "updated_at": now}
    return Integration(**{**values, **fields})


class MemoryStore:
    """The integration store in memory, with the real one's discipline: one write at a time
    under a lock, and a write visible to ``get`` only once "the brokers have it" (tests hold
    that moment back with ``write_gate``)."""

    def __init__(self, *integrations: Integration) -> None:
        self.integrations = {i.key: i for i in integrations}
        self.saved: list[Integration] = []
        self.write_gate: asyncio.Event | None = None
        self._lock = asyncio.Lock()

    def get(self, key: str) -> Integration | None:
        return self.integrations.get(key)

    def all(self) -> list[Integration]:
        return list(self.integrations.values())

    async def save(self, integration: Integration) -> Integration:
        async with self._lock:
            await self._write(integration)
        return integration

    async def update(self, key: str, change: Callable[[Integration], Integration]) -> Integration:
        async with self._lock:
            current = self.integrations.get(key)
            if current is None:
                raise IntegrationNotFound(key)
            changed = change(current)
            if changed != current:
                await self._write(changed)
            return changed

    async def _write(self, integration: Integration) -> None:
        if self.write_gate is not None:
            await self.write_gate.wait()
        self.saved.append(integration)
        self.integrations[integration.key] = integration


class SlowPublisher:
    """Deliveries that settle only when the test says so."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.futures: list[asyncio.Future[None]] = []

    async def submit_update(self, **fields: Any) -> asyncio.Future[None]:
        return self._pending({"kind": "update", **fields})

    async def submit_batch(self, **fields: Any) -> asyncio.Future[None]:
        return self._pending({"kind": "batch", **fields})

    async def submit_record(self, topic: str, key: bytes, value: bytes, headers: Any = ()) -> asyncio.Future[None]:
        return self._pending({"kind": "record", "topic": topic})

    def _pending(self, sent: dict[str, Any]) -> asyncio.Future[None]:
        self.sent.append(sent)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.futures.append(future)
        return future

    def deliver_all(self) -> None:
        for future in self.futures:
            if not future.done():
                future.set_result(None)
