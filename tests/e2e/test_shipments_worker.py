"""The shipments worker end to end, and `officestream shipments extract` on a file."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from connectors.kafka.admin import ensure_topics
from connectors.kafka.settings import KafkaSettings
from processors.common.dead_letters import reason_headers
from schemas.models import ChangeType, EmailBackfillEvent, EmailUpdateEvent
from tests import factories
from tests.e2e.worker_faults import committed_offset, high_watermark
from tests.kafka_helpers import consume, consume_until, deduplicated, produce, read_plainly, register_derived_schemas
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USER = "user-s"


def ups_mail(email_id: str, subject: str, sent: dt.datetime):
    text = f"Your package from Blue Bottle Coffee is on its way.\nUPS tracking number: {numbers.UPS}\n"
    return mail(sender="mcinfo@ups.com", name="UPS", subject=subject, text=text, email_id=email_id).model_copy(
        update={"sent_at": sent, "received_at": sent}
    )


def update(email, at: dt.datetime) -> EmailUpdateEvent:
    return EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=USER, occurred_at=at),
        change_type=ChangeType.created, email_id=email.id, email=email,
    )


def test_shipments_worker_tracks_packages_idempotently(stack, serde, registry, topic_prefix, tmp_path):
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    register_derived_schemas(kafka, registry)
    t0 = factories.T0
    shipped = update(ups_mail("m-shipped", "UPS Update: your package has shipped", t0), t0)
    delivered = update(ups_mail("m-delivered", "Delivered: your UPS package", t0 + dt.timedelta(days=2)), t0 + dt.timedelta(days=2))
    # A seller's notice that only pastes the USPS label's barcode string (420 + ZIP+4 + IMpb).
    label_notice = mail(sender="hello@nordicknits.example", name="Nordic Knits", subject="Shipped: 2 items",
                        text=f"It's on the way!\n\nScan at any Post Office:\n{numbers.USPS_LABEL_34}\n", email_id="m-usps")
    backfill = EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent", user_id=USER, occurred_at=t0), job_id="job-1", batch_index=0,
        emails=[factories.email("newsletter", subject="Weekly news", body_text="Order #123456789012 ships soon"), label_notice],
    )
    updates, backfills = kafka.topic("email-updates"), kafka.topic("email-backfill")
    produce(kafka, backfills, [(USER.encode(), serde.encode(backfills, backfill), [])])
    produce(kafka, updates, [
        (USER.encode(), serde.encode(updates, shipped), []),
        (USER.encode(), b"not avro at all", []),
        (USER.encode(), serde.encode(updates, shipped), []),  # redelivery
        (USER.encode(), serde.encode(updates, delivered), []),
    ])
    worker = FaustWorker("shipments", worker_env(stack, topic_prefix, tmp_path / "data"), tmp_path / "shipments.log").start()
    try:
        # Read as a consumer in another language would: a plain Confluent deserializer, the registry alone.
        def done(got) -> bool:  # the UPS package delivered, and the USPS one announced
            events = read_plainly(registry, got)
            return any(e.kind.value == "delivered" for e in events) and any(e.package.carrier.value == "usps" for e in events)

        messages = consume_until(kafka, kafka.topic("shipment-updates"), done)
        # The backfill (another topic) may come before, between or after the updates.
        [usps] = [e for e in read_plainly(registry, messages) if e.package.carrier.value == "usps"]
        assert (usps.kind.value, usps.package.tracking_number, usps.package.merchant) == ("created", numbers.USPS_IMPB_92, "Nordic Knits")
        messages = [m for m, e in zip(messages, read_plainly(registry, messages)) if e.package.carrier.value == "ups"]
        copies = read_plainly(registry, messages)
        events = deduplicated(copies)
        assert [(type(e).__name__, e.kind.value) for e in events] == [("ShipmentUpdateEvent", "created"), ("ShipmentUpdateEvent", "delivered")]
        # The redelivered e-mail announced its package again, under the same id.
        assert [e.metadata.event_id for e in copies] == [events[0].metadata.event_id] * 2 + [events[1].metadata.event_id]
        package = events[-1].package
        assert (package.carrier.value, package.tracking_number, package.status.value) == ("ups", numbers.UPS, "delivered")
        assert package.source_email_ids == ["m-shipped", "m-delivered"]
        assert package.last_event_id == str(delivered.metadata.event_id)
        assert [m.key() for m in messages] == [USER.encode()] * 3
        [dead] = consume(kafka, kafka.topic("shipments-dlq"), 1, group="s2")
        assert reason_headers(dead.headers())["error.class"] == "BadMagicByte"
        assert "[INFO]" in worker.log_text() and "Order #123456789012" not in worker.log_text()
    finally:
        worker.stop()


def test_extract_command_reads_an_eml_file(tmp_path):
    eml = tmp_path / "ups.eml"
    eml.write_text(
        "From: UPS <mcinfo@ups.com>\nTo: ada@example.com\nSubject: UPS Update: Delivered\n"
        "Date: Mon, 02 Nov 2026 09:30:00 +0000\nContent-Type: text/plain; charset=utf-8\n\n"
        f"Your package was delivered.\nTracking number: {numbers.UPS}\n"
    )
    result = subprocess.run([sys.executable, "-m", "ops.cli", "shipments", "extract", str(eml)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    [finding] = json.loads(result.stdout)
    assert (finding["carrier"], finding["tracking_number"], finding["status"]) == ("ups", numbers.UPS, "delivered")


def test_extract_command_refuses_a_file_it_cannot_read(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{ nope")
    result = subprocess.run([sys.executable, "-m", "ops.cli", "shipments", "extract", str(broken)], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "broken.json" in result.stderr


def test_a_worker_whose_derived_schema_is_not_registered_stops_and_commits_nothing(stack, serde, topic_prefix, tmp_path):
    """The workers never register schemas (`officestream schemas register` does): one that would
    announce with an unregistered schema stops, naming the command, and neither dead-letters nor
    commits the message: it is still there for a worker started once they are registered."""
    kafka = KafkaSettings.from_env({}, bootstrap_servers=stack.kafka.bootstrap_servers, topic_prefix=topic_prefix)
    ensure_topics(kafka)
    updates = kafka.topic("email-updates")
    produce(kafka, updates, [(USER.encode(), serde.encode(updates, update(ups_mail("m-1", "UPS: shipped", factories.T0), factories.T0)), [])])
    worker = FaustWorker("shipments", worker_env(stack, topic_prefix, tmp_path / "data"), tmp_path / "shipments.log").start()
    try:
        wait_for(lambda: worker.process.poll() is not None, timeout_s=60, what="the worker to stop")
    finally:
        worker.kill()
    assert "run `officestream schemas register`" in worker.log_text()
    assert high_watermark(kafka, kafka.topic("shipments-dlq")) == 0
    assert committed_offset(kafka, kafka.group("shipments"), updates) == 0
