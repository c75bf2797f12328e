"""vespa-loader: every email, calendar event and contact into Vespa (or a feed file).

Run with ``faust -A processors.vespa_loader.app worker -l info`` (or ``officestream worker
vespa-loader``). With ``OFFICESTREAM_VESPA_URL`` unset it appends Vespa's JSON feed format to
``OFFICESTREAM_VESPA_FEED_FILE`` (load it later with ``vespa feed``). Operations of successive
messages are gathered into batches (``OFFICESTREAM_VESPA_BATCH_SIZE`` / ``_BATCH_LINGER_MS``),
each fed in one call while the next fills; every batch is fed before offsets are committed. An
item's version is recorded in the ledger only once Vespa accepted it.
"""

from __future__ import annotations

import faust

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import CALENDAR_UPDATES, CONTACT_UPDATES, EMAIL_BACKFILL, EMAIL_UPDATES, VESPA_LOADER
from connectors.vespa.feed import FeedClient, create_feed_client
from connectors.vespa.settings import VespaSettings
from processors.common.faust_wiring import (
    attach_agent,
    before_commit,
    build_processor,
    crash_app,
    create_app,
    create_payload_store,
    retry_policy,
    version_ledger,
)
from processors.common.inbound import InboundRecord
from processors.common.items import item_changes
from processors.common.settings import ProcessorSettings
from processors.vespa_loader.loading import VespaLoader
from schemas.models import Event

kafka = KafkaSettings.from_env()
settings = ProcessorSettings.from_env()
vespa = VespaSettings.from_env()

app = create_app(VESPA_LOADER, kafka, settings)
ledger = version_ledger(app, settings)
payloads = create_payload_store(settings)

class LazyFeed:
    """The feed client, created on first use inside the worker's event loop (faust starts extra
    services only after the agents, so a service would race the first message). Its HTTP/2
    pool or feed file is released when the worker process exits; every batch is durable (or
    acknowledged by Vespa) before ``feed`` returns, so nothing depends on a clean close."""

    def __init__(self, settings: VespaSettings) -> None:
        self._settings = settings
        self._client: FeedClient | None = None

    @property
    def client(self) -> FeedClient:
        if self._client is None:
            self._client = create_feed_client(self._settings)
        return self._client

feed = LazyFeed(vespa)

async def on_event(event: Event, record: InboundRecord) -> None:
    # faust's current event is what the ledger's table writes go by (its partition): kept alive
    # until the message's operations are answered, which may be after the agent moved on.
    changes = await item_changes(event, payloads)
    try:
        await loader.load(changes.items, record, keep_alive=faust.current_event(), unreadable=changes.unreadable)
    finally:
        ledger.drop_expired(event.metadata.user_id)

processor = build_processor(app, VESPA_LOADER, kafka, settings, on_event)
loader = VespaLoader(
    feed=lambda: feed.client,
    ledger=ledger,
    namespace=vespa.namespace,
    dead_letter=processor.dead_letter,
    policy=retry_policy(settings),
    batch_size=vespa.batch_size,
    linger_s=vespa.batch_linger_ms / 1000,
    on_failure=crash_app(app),
)
before_commit(app, loader.flush)

attach_agent(
    app,
    [kafka.topic(t) for t in (EMAIL_BACKFILL, EMAIL_UPDATES, CALENDAR_UPDATES, CONTACT_UPDATES)],
    processor,
)
