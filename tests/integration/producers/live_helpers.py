"""What the live sync tests share: the bridge's publisher and integration store on the test
stack, a backfill whose cursors are handed to the integration (as the orchestrator does), and
the downstream view: every item the events on Kafka imply, applied in the consumers' version
order (``processors/common/versions.py``), so a test can compare it with the emulator's world."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from cryptography.fernet import Fernet
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from connectors.kafka.settings import KafkaSettings
from connectors.redis.payload_store import PayloadStore
from processors.common.items import item_changes
from processors.common.versions import Version, compare_updates, is_newer
from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.runner import BackfillRunner
from producers.backfill.store import JobStore
from producers.bridge.settings import BridgeSettings
from producers.integrations.secret_box import SecretBox
from producers.integrations.state import Integration, IntegrationStatus
from producers.integrations.store import IntegrationStore
from producers.live.metrics import LiveMetrics
from producers.live.providers import LiveClients
from producers.live.sync import LiveSync
from producers.publisher import Publisher
from producers.settings import ProducerSettings
from producers.stamping import MetadataStamper
from schemas.models import (
    CalendarUpdateEvent,
    ContactUpdateEvent,
    DocType,
    EmailUpdateEvent,
    Provider,
)
from schemas.serde import AvroEventSerde
from tests.integration.producers.stack_fixtures import kafka, payloads  # noqa: F401 - re-exported to the test modules
from tests.kafka_helpers import read_all

ALL = (DocType.email, DocType.calendar_event, DocType.contact)
RESOURCE_OF = {DocType.email: "mail", DocType.calendar_event: "calendar", DocType.contact: "contacts"}
_TOPICS = {DocType.email: ("email-backfill", "email-updates"), DocType.calendar_event: ("calendar-updates",),
           DocType.contact: ("contact-updates",)}
_UPDATE_EVENTS = (EmailUpdateEvent, CalendarUpdateEvent, ContactUpdateEvent)


@pytest.fixture
async def publisher(kafka, serde, payloads):
    publisher = Publisher(kafka=kafka, settings=ProducerSettings.from_env({}), serde=serde, payloads=payloads,
                          stamper=MetadataStamper(source_service="office-bridge", source_version="test"))
    await publisher.start()
    yield publisher
    await publisher.close()


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(SecretStr(Fernet.generate_key().decode()))


@pytest.fixture
def store(kafka, publisher, box) -> IntegrationStore:
    return IntegrationStore(kafka, publisher, box)


class ReauthRecorder:
    """The orchestrator's side of a revoked grant, as a test sees it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, integration: Integration, reason: str) -> None:
        self.calls.append((integration.key, reason))


async def no_wait(seconds: float) -> None:
    return None


def live_sync(store: IntegrationStore, publisher: Publisher, clients: LiveClients, **kwargs: object) -> LiveSync:
    settings = kwargs.pop("settings", None) or BridgeSettings.from_env({})
    defaults: dict[str, object] = {"on_reauth": ReauthRecorder(), "metrics": LiveMetrics(CollectorRegistry()),
                                   "sleep": no_wait}
    return LiveSync(store=store, publisher=publisher, clients=clients, settings=settings, **{**defaults, **kwargs})


async def backfill(publisher: Publisher, kafka: KafkaSettings, crawlers, user: str, provider: Provider,
                   doc_types=ALL) -> BackfillJob:
    job = BackfillJob.new(user_id=user, provider=provider, doc_types=doc_types, now=dt.datetime.now(dt.UTC), batch_size=20)
    done = await BackfillRunner(publisher=publisher, store=JobStore(kafka, publisher), crawlers=crawlers).run(job)
    assert done.status is JobStatus.completed, done.last_error
    return done


def handed_off(integration: Integration, job: BackfillJob, doc_types=ALL) -> Integration:
    """What the orchestrator does when a doc type's backfill completes (ISSUE13's contract):
    its sync cursor becomes the integration's cursors, and the doc type joins ``backfilled``."""
    cursors = dict(integration.cursors)
    for doc_type in doc_types:
        state = json.loads(job.doc(doc_type).sync_cursor or "{}")
        if "delta_links" in state:
            cursors.update({f"mail:{folder}": link for folder, link in state["delta_links"].items()})
        elif "history_id" in state:
            cursors["gmail"] = state["history_id"]
        else:
            cursors[RESOURCE_OF[doc_type]] = state.get("delta_link") or state["sync_token"]
    backfilled = tuple(dict.fromkeys((*integration.backfilled, *doc_types)))
    status = IntegrationStatus.live if set(backfilled) >= set(integration.doc_types) else integration.status
    return integration.model_copy(update={"cursors": cursors, "backfilled": backfilled, "status": status,
                                          "updated_at": dt.datetime.now(dt.UTC)})


def new_integration(user: str, provider: Provider, **fields: object) -> Integration:
    now = dt.datetime.now(dt.UTC)
    return Integration(user_id=user, provider=provider, created_at=now, updated_at=now, **fields)


@dataclass
class Downstream:
    """The items the events on Kafka imply, per doc type, as a consumer applies them."""

    versions: dict[DocType, dict[str, Version]] = field(default_factory=dict)
    #: Update events per doc type, in partition order: (doc id, version).
    updates: dict[DocType, list[tuple[str, Version]]] = field(default_factory=dict)
    events: list = field(default_factory=list)

    def live(self, doc_type: DocType) -> set[str]:
        return {doc_id for doc_id, version in self.versions.get(doc_type, {}).items() if not version.deleted}

    def update_ids(self, doc_type: DocType, since: int = 0) -> list[str]:
        return [doc_id for doc_id, _ in self.updates.get(doc_type, [])[since:]]

    def deleted_ids(self, doc_type: DocType, since: int = 0) -> list[str]:
        return [doc_id for doc_id, version in self.updates.get(doc_type, [])[since:] if version.deleted]

    def assert_in_order(self) -> None:
        """No update event carries an older version of its item than one before it."""
        for doc_type, updates in self.updates.items():
            last: dict[str, Version] = {}
            for doc_id, version in updates:
                before = last.get(doc_id)
                if before is not None and not version.deleted and not before.deleted:
                    assert (compare_updates(version, before) or 0) >= 0, f"{doc_type.value} {doc_id}: an older version after a newer one"
                last[doc_id] = version


async def downstream(kafka: KafkaSettings, serde: AvroEventSerde, payloads: PayloadStore, user: str) -> Downstream:
    seen = Downstream()
    for doc_type, topics in _TOPICS.items():
        applied = seen.versions.setdefault(doc_type, {})
        for topic in topics:
            for message in read_all(kafka, kafka.topic(topic)):
                event = serde.decode(message.value())
                if event.metadata.user_id != user:
                    continue
                seen.events.append(event)
                for change in (await item_changes(event, payloads)).items:
                    version = Version(event_id=change.event_id, occurred_at_ms=change.occurred_at_ms,
                                      deleted=change.change == "delete", changed_at_ms=change.changed_at_ms,
                                      marker=change.version_marker, sequence=change.sequence)
                    if isinstance(event, _UPDATE_EVENTS):
                        seen.updates.setdefault(doc_type, []).append((change.doc_id, version))
                    if is_newer(version, applied.get(change.doc_id)):
                        applied[change.doc_id] = version
    return seen


async def sync_all(live: LiveSync, key: str, resources=("mail", "calendar", "contacts")) -> dict[str, str]:
    return {resource: (await live.sync_now(key, resource)).outcome for resource in resources}



async def eventually(probe: Callable[[], object], *, timeout_s: float = 30.0, what: str = "condition") -> None:
    """``tests.waiting.wait_for`` for async tests whose emulator shares the event loop."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(0.05)
