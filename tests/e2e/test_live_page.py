"""The live page end to end: the real notifier worker on the real stack, events on Kafka, the
page in headless chromium showing an import's progress, a package card and a meeting ahead.

The screenshot is kept as a test artifact (``live-page.png`` in the test's temporary directory,
under pytest's ``--basetemp``); with ``OFFICESTREAM_LIVE_PAGE_SCREENSHOT=docs/live-page.png`` it
is also copied there (how the README's picture is made).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import uuid
from pathlib import Path

from pydantic import SecretStr

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.notifier.tokens import StreamTokens
from schemas.models import (
    BackfillCompletedEvent,
    BackfillProgressEvent,
    BackfillStatus,
    DocType,
    EmailUpdateEvent,
    EventTime,
    MeetingUpdateEvent,
    ShipmentStatus,
    ShipmentUpdateEvent,
    ShipmentUpdateKind,
    StatusChange,
)
from tests import factories
from tests.integration.notifier.chromium import open_page
from tests.kafka_helpers import produce
from tests.workers import notifier_worker

SECRET = "e2e-live-page-secret-" + "x" * 32
USER = "ada"
WAIT_MS = 60_000
SCREENSHOT_COPY = "OFFICESTREAM_LIVE_PAGE_SCREENSHOT"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def progress(job: str, doc_type: DocType, at: dt.datetime, items: int, estimated: int) -> BackfillProgressEvent:
    return BackfillProgressEvent(
        metadata=factories.metadata("BackfillProgressEvent", user_id=USER, occurred_at=at, now=at, correlation_id=job),
        job_id=job, doc_type=doc_type, batches_published=items // 50, items_published=items, items_estimated=estimated,
    )


def completed(job: str, doc_type: DocType, at: dt.datetime, items: int) -> BackfillCompletedEvent:
    return BackfillCompletedEvent(
        metadata=factories.metadata("BackfillCompletedEvent", user_id=USER, occurred_at=at, now=at, correlation_id=job),
        job_id=job, doc_type=doc_type, status=BackfillStatus.succeeded, batches_published=1, items_published=items,
        started_at=at - dt.timedelta(seconds=5), finished_at=at,
    )


def out_for_delivery(now: dt.datetime) -> ShipmentUpdateEvent:
    event = factories.shipment_update(user_id=USER)
    shipped = StatusChange(status=ShipmentStatus.shipped, at=now - dt.timedelta(days=1), email_id="m-1")
    today = StatusChange(status=ShipmentStatus.out_for_delivery, at=now - dt.timedelta(hours=1), email_id="m-2")
    package = event.package.model_copy(update={
        "status": ShipmentStatus.out_for_delivery, "status_history": [shipped, today], "last_updated": today.at,
    })
    metadata = event.metadata.model_copy(update={"occurred_at": today.at})
    return event.model_copy(update={"package": package, "kind": ShipmentUpdateKind.out_for_delivery, "metadata": metadata})


def meeting_tomorrow(now: dt.datetime) -> MeetingUpdateEvent:
    event = factories.meeting_update(user_id=USER)
    start = (now + dt.timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    context = event.context.model_copy(update={  # type: ignore[union-attr]
        "title": "Design review", "location": "Room 4",
        "start": EventTime(at=start, time_zone="UTC"), "end": EventTime(at=start + dt.timedelta(hours=1), time_zone="UTC"),
    })
    return event.model_copy(update={"context": context, "metadata": event.metadata.model_copy(update={"occurred_at": now})})


def new_email(now: dt.datetime) -> EmailUpdateEvent:
    event = factories.email_update(user_id=USER, email_id="m-3")
    return event.model_copy(update={"metadata": event.metadata.model_copy(update={"occurred_at": now})})


async def test_the_page_shows_import_progress_a_package_card_and_a_meeting_ahead(stack, serde, topic_prefix, tmp_path: Path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    port = free_port()
    worker = notifier_worker(stack, topic_prefix, tmp_path, port=port, secret=SECRET, instance_id="e2e-page")
    try:
        worker.start()
        token = StreamTokens(SecretStr(SECRET), ttl=dt.timedelta(minutes=10)).issue(USER)
        errors: list[str] = []
        async with open_page(f"http://127.0.0.1:{port}/#token={token}", tmp_path, errors=errors) as page:
            await page.locator('#status[data-state="open"]').wait_for(timeout=WAIT_MS)
            now = dt.datetime.now(dt.UTC)
            job = f"job-{uuid.uuid4().hex[:8]}"
            # Emails: 100, then 300 of 1,000 ten seconds later (20 a second, 35 s to go);
            # contacts: done. Rates come from the events' own times, not from when they arrive.
            imports = [
                progress(job, DocType.email, now - dt.timedelta(seconds=10), 100, 1000),
                progress(job, DocType.email, now, 300, 1000),
                completed(job, DocType.contact, now, 42),
            ]
            topic = kafka.topic("backfill-progress")
            produce(kafka, topic, [(USER.encode(), serde.encode(topic, event), []) for event in imports])
            shipments, meetings = kafka.topic("shipment-updates"), kafka.topic("meeting-updates")
            produce(kafka, shipments, [(USER.encode(), serde.encode(shipments, out_for_delivery(now)), [])])
            produce(kafka, meetings, [(USER.encode(), serde.encode(meetings, meeting_tomorrow(now)), [])])
            emails_topic = kafka.topic("email-updates")
            produce(kafka, emails_topic, [(USER.encode(), serde.encode(emails_topic, new_email(now)), [])])

            emails = page.locator('#imports li[data-doc-type="email"] .numbers')
            await page.locator('#imports li[data-doc-type="email"] .numbers:has-text("about 35 s left")').wait_for(timeout=WAIT_MS)
            contacts = page.locator('#imports li[data-doc-type="contact"]')
            await contacts.locator(".numbers:has-text('Up to date')").wait_for(timeout=WAIT_MS)
            card = page.locator('.shipment[data-tracking-number="1Z999AA10123456784"]')
            await card.wait_for(timeout=WAIT_MS)
            meeting = page.locator("#meetings li.meeting")
            await meeting.wait_for(timeout=WAIT_MS)
            await page.locator('#notifications li[data-kind="shipment.out_for_delivery"]').wait_for(timeout=WAIT_MS)
            mail = page.locator('#notifications li[data-kind="email.created"]')
            await mail.wait_for(timeout=WAIT_MS)
            mail_text = await mail.inner_text()

            email_numbers = await emails.text_content()
            bar = await page.locator('#imports li[data-doc-type="email"] progress').evaluate("bar => [bar.value, bar.max]")
            contact_state = await contacts.get_attribute("data-state")
            card_text = await card.inner_text()
            link = await card.locator("a.number").get_attribute("href")
            history = await card.locator(".history li").all_inner_texts()
            meeting_text = await meeting.inner_text()
            meeting_time = await meeting.locator("time").get_attribute("datetime")
            screenshot = tmp_path / "live-page.png"
            await page.screenshot(path=str(screenshot), full_page=True)
    finally:
        worker.stop()
    assert errors == []  # no script error, no Content-Security-Policy violation
    assert email_numbers == "300 of 1,000 · 20/s · about 35 s left"
    assert bar == [300, 1000]
    assert contact_state == "done"
    assert all(text in card_text for text in ("UPS", "1Z999AA10123456784", "Out for delivery", "from Blue Bottle Coffee"))
    assert link == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert [line.split(" · ")[0] for line in history] == ["Out for delivery", "Shipped"]  # newest first
    assert "Design review" in meeting_text and "Room 4" in meeting_text
    assert meeting_time is not None and meeting_time.startswith((now + dt.timedelta(days=1)).date().isoformat())
    assert "New email" in mail_text and "Your order has shipped · from Shop" in mail_text
    assert screenshot.stat().st_size > 10_000
    if copy_to := os.environ.get(SCREENSHOT_COPY):
        Path(copy_to).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, copy_to)
