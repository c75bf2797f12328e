"""Fixtures for the Vespa tests: the local /document/v1 server with the schemas as Vespa read them, and a
sleep that records the backoff instead of waiting (so retry tests take no time)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from connectors.vespa import DocumentId, FeedOperation, VespaSettings
from connectors.vespa.testing import FakeVespa, serve_fake_vespa
from tests.vespa_package import vespa_document_fields


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
async def fake_vespa() -> AsyncIterator[FakeVespa]:
    async with serve_fake_vespa(FakeVespa(schemas=vespa_document_fields())) as fake:
        yield fake


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def settings_for(fake: FakeVespa, **overrides: Any) -> VespaSettings:
    return VespaSettings.from_env({}, url=fake.url, **overrides)


def email_id(local_id: str, user: str = "user-1") -> DocumentId:
    return DocumentId(namespace="officestream", doctype="email", group=user, local_id=local_id)


def put_email(local_id: str, user: str = "user-1", **fields: Any) -> FeedOperation:
    base = {"doc_id": local_id, "user_id": user, "subject": f"subject {local_id}"}
    return FeedOperation.put(email_id(local_id, user), {**base, **fields})
