"""shipments: tracking numbers in emails into per-user packages and ``shipment-updates``.

Run with ``faust -A processors.shipments.app worker -l info`` (or ``officestream worker shipments``).
Two tables: ``applied`` (the idempotence ledger: each email version is read once) and
``packages`` (``{user_id}:{tracking_number}`` to the package, whose own rules ignore redelivered
or older emails). The logic, re-announcing after a crash included, is in ``handling.py``.
"""

from __future__ import annotations

from connectors.kafka.settings import KafkaSettings
from connectors.kafka.topics import EMAIL_BACKFILL, EMAIL_UPDATES, SHIPMENT_UPDATES, SHIPMENTS
from processors.common.faust_wiring import (
    attach_agent,
    build_processor,
    create_app,
    create_payload_store,
    json_table,
    version_ledger,
)
from processors.common.derived_sender import derived_sender
from processors.common.inbound import InboundRecord
from processors.common.items import item_changes
from processors.common.kill_switch import with_kill_switch
from processors.common.settings import ProcessorSettings
from processors.shipments.handling import handle_email_message
from schemas.models import Event

kafka = KafkaSettings.from_env()
settings = ProcessorSettings.from_env()

app = create_app(SHIPMENTS, kafka, settings)
ledger = version_ledger(app, settings)
packages = json_table(app, "packages")
send_update = with_kill_switch(app, settings, derived_sender(app, kafka.topic(SHIPMENT_UPDATES)))
payloads = create_payload_store(settings)


async def on_event(event: Event, record: InboundRecord) -> None:
    changes = await item_changes(event, payloads)
    try:
        await handle_email_message(
            event, changes.items, ledger=ledger, packages=packages, send=send_update, unreadable=changes.unreadable,
        )
    finally:
        ledger.drop_expired(event.metadata.user_id)


attach_agent(
    app,
    [kafka.topic(EMAIL_BACKFILL), kafka.topic(EMAIL_UPDATES)],
    build_processor(app, SHIPMENTS, kafka, settings, on_event),
)
