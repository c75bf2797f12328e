"""E-mail messages through the shipments logic, with dicts for the tables and a list for
``shipment-updates``: packages are stored and announced once per change, and a message that
comes again (redelivered, or replayed after the worker died between a package write and its
announcement) announces again what it announced — same event ids — and nothing it did not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from processors.common.idempotence import VersionLedger
from processors.common.items import ItemChange
from processors.shipments.handling import handle_email_message
from processors.common.derived import derived_event_id
from schemas.models import ChangeType, DocType, Email, EmailBackfillEvent, EmailUpdateEvent, ShipmentUpdateEvent
from tests import factories
from tests.unit.doubles import Crash, RecordingTable, per_emission_removed, through_avro
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail

USER = "user-1"
T0 = factories.T0
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)


class Service:
    """The shipments tables of one worker: the ledger and the packages."""

    def __init__(self) -> None:
        self.applied, self.packages = RecordingTable(), RecordingTable()
        self.ledger = VersionLedger(self.applied)

    async def run(self, event: Any, *, now: dt.datetime = NOW, crash_at: int | None = None) -> list[ShipmentUpdateEvent]:
        """The ``shipment-updates`` of one pass (each through its Avro schema); with ``crash_at``,
        the pass dies at that send."""
        sent: list[ShipmentUpdateEvent] = []

        async def send(update: ShipmentUpdateEvent) -> None:
            if crash_at is not None and len(sent) + 1 == crash_at:
                raise Crash
            assert update.metadata.user_id == USER
            sent.append(through_avro(update))

        items = [item(event, email) for email in emails_of(event)]
        if crash_at is None:
            await handle_email_message(event, items, ledger=self.ledger, packages=self.packages, send=send, now=lambda: now)
        else:
            with pytest.raises(Crash):
                await handle_email_message(event, items, ledger=self.ledger, packages=self.packages, send=send, now=lambda: now)
        return sent


def ups_mail(email_id: str, subject: str, sent: dt.datetime, *, number: str = numbers.UPS, marker: str = "v1") -> Email:
    text = f"Your package from Blue Bottle Coffee is on its way.\nUPS tracking number: {number}\n"
    return mail(sender="mcinfo@ups.com", name="UPS", subject=subject, text=text, email_id=email_id).model_copy(
        update={"sent_at": sent, "received_at": sent, "version_marker": marker}
    )


def update(email: Email, *, at: dt.datetime | None = None) -> EmailUpdateEvent:
    return EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id=USER, occurred_at=at or email.sent_at),
        change_type=ChangeType.created, email_id=email.id, email=email,
    )


def emails_of(event: Any) -> list[Email]:
    return list(event.emails) if isinstance(event, EmailBackfillEvent) else [event.email]


def item(event: Any, email: Email) -> ItemChange:
    return ItemChange(
        user_id=USER, doc_type=DocType.email, doc_id=email.id, change="upsert", record=email,
        occurred_at_ms=int(event.metadata.occurred_at.timestamp() * 1000),
        event_id=str(event.metadata.event_id), version_marker=email.version_marker,
    )


def without_produced_at(updates: list[ShipmentUpdateEvent]) -> list[dict]:
    return [per_emission_removed(u) for u in updates]


def kinds(updates: list[ShipmentUpdateEvent]) -> list[str]:
    return [u.kind.value for u in updates]


SHIPPED = ups_mail("m-shipped", "UPS Update: your package has shipped", T0)
DELIVERED = ups_mail("m-delivered", "Delivered: your UPS package", T0 + dt.timedelta(days=2))


async def test_a_crash_between_the_package_write_and_its_event_is_announced_once_on_replay():
    event = update(SHIPPED)
    service = Service()
    assert await service.run(event, crash_at=1) == []
    assert service.packages and not service.applied  # the package stored, its event and the ledger entry lost

    replayed = await service.run(event, now=LATER)
    uncrashed = await Service().run(event)
    assert kinds(replayed) == ["created"]
    assert without_produced_at(replayed) == without_produced_at(uncrashed)  # same id, kind and payload


async def test_a_redelivery_announces_again_with_the_same_id_and_rewrites_the_same_state():
    event = update(SHIPPED)
    service = Service()
    first = await service.run(event)
    package_writes, ledger_writes = list(service.packages.writes), list(service.applied.writes)
    again = await service.run(event, now=LATER)  # e.g. both writes and the event landed, the commit did not
    assert without_produced_at(again) == without_produced_at(first)
    # The same state written again: a RocksDB store ahead of its changelog gets it back.
    assert service.packages.writes == package_writes * 2 and service.applied.writes == ledger_writes * 2


async def test_a_package_write_lost_after_the_ledger_write_is_applied_again_on_replay():
    event = update(SHIPPED)
    service = Service()
    [first] = await service.run(event)
    service.packages.clear()  # its changelog record never reached the broker; the ledger's did
    [again] = await service.run(event, now=LATER)
    assert without_produced_at([again]) == without_produced_at([first]) and service.packages


async def test_superseded_changes_and_other_events_of_the_same_email_announce_nothing():
    service = Service()
    shipped, delivered = update(SHIPPED), update(DELIVERED)
    [created] = await service.run(shipped)
    [done] = await service.run(delivered)
    assert kinds([created, done]) == ["created", "delivered"]
    writes = len(service.packages.writes)
    assert await service.run(shipped) == []  # the package changed since: the later event carries it
    # A new version of the e-mail (another event, e.g. marked read) changes no package...
    read = update(DELIVERED.model_copy(update={"is_read": True, "version_marker": "v2"}), at=DELIVERED.sent_at + dt.timedelta(hours=1))
    assert await service.run(read) == []
    assert len(service.packages.writes) == writes
    # ...and the version it superseded still announces what it announced, its package unchanged.
    again = await service.run(delivered)
    assert without_produced_at(again) == without_produced_at([done])


async def test_a_replayed_batch_announces_only_the_changes_that_are_still_its_own():
    other = ups_mail("m-other", "UPS: shipped", T0, number=numbers.UPS_LETTERS)
    batch = EmailBackfillEvent(metadata=factories.metadata("EmailBackfillEvent", user_id=USER, occurred_at=T0),
                               job_id="job-1", batch_index=0, emails=[SHIPPED, DELIVERED, other])
    service = Service()
    first = await service.run(batch)
    assert [(u.kind.value, u.package.tracking_number) for u in first] == [
        ("created", numbers.UPS), ("delivered", numbers.UPS), ("created", numbers.UPS_LETTERS),
    ]
    replayed = await service.run(batch, now=LATER)
    # The UPS package's creation was superseded within the batch: its last change is announced.
    assert without_produced_at(replayed) == without_produced_at(first[1:])


async def test_an_email_without_tracking_numbers_announces_nothing_twice():
    event = update(mail(sender="news@shop.example", subject="Weekly news", text="Nothing shipped", email_id="m-news"))
    service = Service()
    assert await service.run(event) == [] and await service.run(event) == []


async def test_an_update_carries_the_stored_package_under_the_id_its_cause_gives():
    """The event is the package as the table holds it (nothing of it lost to the schema), under
    the id the JSON envelopes had for the same cause, and continues the e-mail event's trace."""
    shipped, delivered = update(SHIPPED), update(DELIVERED)
    service = Service()
    await service.run(shipped)
    [done] = await service.run(delivered)
    stored = service.packages[f"{USER}:{numbers.UPS}"]
    assert done.package.model_dump(mode="json") == stored
    assert stored["last_event_id"] == str(delivered.metadata.event_id) and len(stored["status_history"]) == 2
    cause = f"{delivered.metadata.event_id}:{DELIVERED.id}:{numbers.UPS}"
    assert (done.caused_by, done.metadata.event_id) == (cause, derived_event_id("shipments", USER, "shipment.delivered", cause))
    assert (done.metadata.event_type, done.metadata.source_service) == ("ShipmentUpdateEvent", "shipments")
    assert (done.metadata.occurred_at, done.metadata.trace_id) == (DELIVERED.sent_at, delivered.metadata.trace_id)


async def test_a_usps_label_barcode_without_a_tracking_label_becomes_a_usps_package():
    """The shipments result of a seller's notice that only pastes the label's barcode string
    (420 + ZIP+4 + IMpb): a USPS package under the 22-digit tracking number, announced."""
    text = f"It's on the way!\n\nScan at any Post Office:\n{numbers.USPS_LABEL_34}\n"
    notice = mail(sender="hello@nordicknits.example", name="Nordic Knits", subject="Shipped: 2 items", text=text,
                  email_id="m-usps").model_copy(update={"sent_at": T0, "received_at": T0})
    service = Service()
    [announced] = await service.run(update(notice))
    package = announced.package
    assert (announced.kind.value, package.carrier.value, package.tracking_number) == ("created", "usps", numbers.USPS_IMPB_92)
    assert (package.status.value, package.merchant, package.source_email_ids) == ("shipped", "Nordic Knits", ["m-usps"])
    assert service.packages[f"{USER}:{numbers.USPS_IMPB_92}"]["tracking_number"] == numbers.USPS_IMPB_92
