"""shipments: tracking numbers in emails into per-user packages and ``shipment-updates``.

Run with ``faust -A processors.shipments.app worker -l info`` (or ``officestream worker shipments``).
Two tables: ``applied`` (the idempotence ledger: each email version is read once) and
``packages`` (``{user_id}:{tracking_number}`` to the package, whose own rules ignore redelivered
or older emails).
"""

from __future__ import annotations

import datetime as dt

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import EMAIL_BACKFILL, EMAIL_UPDATES, SHIPMENT_UPDATES, SHIPMENTS
from processors.common.derived import derived_event, encode_derived
from processors.common.exceptions import PoisonMessage
from processors.common.faust_wiring import (
    attach_agent,
    build_processor,
    create_app,
    create_payload_store,
    json_table,
    json_topic,
    version_ledger,
)
from processors.common.inbound import InboundRecord
from processors.common.items import ItemChange, apply_each, item_changes
from processors.common.settings import ProcessorSettings
from processors.shipments.exceptions import ShipmentsError
from processors.shipments.extract import email_time, extract_findings
from processors.shipments.package import Package, apply_finding, package_key
from schemas.models import Email, Event

kafka = KafkaSettings.from_env()
settings = ProcessorSettings.from_env()

app = create_app(SHIPMENTS, kafka, settings)
ledger = version_ledger(app, settings)
packages = json_table(app, "packages")
shipment_updates = json_topic(app, kafka.topic(SHIPMENT_UPDATES))
payloads = create_payload_store(settings)


async def on_event(event: Event, record: InboundRecord) -> None:
    async def apply_one(item: ItemChange) -> None:
        if not ledger.should_apply(item):
            return
        if item.change == "upsert" and isinstance(item.record, Email):
            try:
                await _track(item.record, item, event)
            except ShipmentsError as exc:
                raise PoisonMessage(str(exc)) from exc
        ledger.record(item)

    changes = await item_changes(event, payloads)
    try:
        await apply_each(changes.items, apply_one, unreadable=changes.unreadable)
    finally:
        ledger.drop_expired(event.metadata.user_id)


async def _track(email: Email, item: ItemChange, event: Event) -> None:
    occurred_at = email_time(email, event.metadata.occurred_at)
    for finding in extract_findings(email):
        key = package_key(item.user_id, finding.tracking_number)
        stored = packages.get(key)
        existing = Package.model_validate(stored) if stored else None
        package = apply_finding(existing, finding, item.user_id, email.id, occurred_at)
        if package is None:
            continue
        packages[key] = package.model_dump(mode="json")
        await _emit(package, existing, event, email.id)


async def _emit(package: Package, existing: Package | None, event: Event, email_id: str) -> None:
    status = package.status.value if package.status else "found"
    update = derived_event(
        kind="shipment.created" if existing is None else f"shipment.{status}",
        user_id=package.user_id,
        payload=package.model_dump(mode="json"),
        occurred_at=package.last_updated,
        source_service=SHIPMENTS,
        caused_by=f"{event.metadata.event_id}:{email_id}:{package.tracking_number}",
        now=dt.datetime.now(dt.UTC),
    )
    await shipment_updates.send(key=package.user_id.encode(), value=encode_derived(update))


attach_agent(
    app,
    [kafka.topic(EMAIL_BACKFILL), kafka.topic(EMAIL_UPDATES)],
    build_processor(app, SHIPMENTS, kafka, settings, on_event),
)
