"""One e-mail message through the shipments service: its logic without faust or Kafka.

Each e-mail version is read once (the idempotence ledger): its tracking numbers are found
(``extract.extract_findings``), each finding is applied to the user's package
(``package.apply_finding`` keeps the rules), and every package that changed is stored and
announced on ``shipment-updates`` as a ``ShipmentUpdateEvent``: ``shipment.created`` for a new
package, else ``shipment.<status>`` (``shipment.found`` while it has no status).

A message that comes again — redelivered, or replayed after a crash between a package write
and its announcement (processors/common/derived.py) — announces again, with the same event
ids, each package whose last change is its own (``Package.last_event_id`` and the last of
``source_email_ids``), after writing the same state again; packages it did not change, or that
changed since, are left alone. A version the ledger already holds from this very event is also
applied again (``apply_finding`` ignores an e-mail it has seen), which brings back a package
write lost in a crash after the ledger write; an older version only re-announces. Both cost a
second scan of the e-mail, on redeliveries and replays only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

from connectors.kafka.topics import SHIPMENTS
from processors.common.derived import Send, derived_metadata
from processors.common.exceptions import PoisonMessage
from processors.common.idempotence import VersionLedger
from processors.common.items import ItemChange, apply_each
from processors.shipments.exceptions import ShipmentsError
from processors.shipments.extract import TrackingFinding, email_time, extract_findings
from processors.shipments.package import Package, apply_finding, package_key
from schemas.models import Email, Event, ShipmentUpdateEvent

#: ``{user_id}:{tracking_number}`` to the package as JSON-ready data (a faust table).
Packages = MutableMapping[str, Any]


async def handle_email_message(
    event: Event, changes: list[ItemChange], *, ledger: VersionLedger, packages: Packages, send: Send,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC), unreadable: Sequence[str] = (),
) -> None:
    """Apply the e-mails of ``event`` to ``packages`` and announce the packages they change (or
    changed, on a redelivery) through ``send``. Items that are poison are skipped and named in
    the PoisonMessage raised at the end, with the ``unreadable`` references of the batch."""

    async def apply_one(item: ItemChange) -> None:
        new = ledger.should_apply(item)
        again = not new and ledger.holds(item)
        if item.change == "upsert" and isinstance(item.record, Email):
            try:
                for package in _store_findings(item.record, item, event, packages, apply=new or again):
                    await send(shipment_update(package, event, item.record.id, now()))
            except ShipmentsError as exc:
                raise PoisonMessage(str(exc)) from exc
        if new or again:  # again: the same bytes, for a changelog that may have lost them
            ledger.record(item)

    await apply_each(changes, apply_one, unreadable=unreadable)


def _store_findings(email: Email, item: ItemChange, event: Event, packages: Packages, *, apply: bool) -> list[Package]:
    occurred_at = email_time(email, event.metadata.occurred_at)
    cause = str(event.metadata.event_id)
    announced = []
    for finding in extract_findings(email):
        package = store_finding(finding, packages, user_id=item.user_id, email_id=email.id,
                                occurred_at=occurred_at, event_id=cause, apply=apply)
        if package is not None:
            announced.append(package)
    return announced


def store_finding(
    finding: TrackingFinding, packages: Packages, *, user_id: str, email_id: str, occurred_at: dt.datetime,
    event_id: str, apply: bool = True,
) -> Package | None:
    """Store what ``finding`` (from e-mail ``email_id`` carried by event ``event_id``) changes in
    its package, and return the package to announce; None when there is nothing to announce.
    A package whose last change came from this e-mail and event is written again as it is and
    returned (a redelivery: its announcement may have been lost); with ``apply`` false nothing
    new is applied (an older version of the e-mail)."""
    key = package_key(user_id, finding.tracking_number)
    stored = packages.get(key)
    existing = Package.model_validate(stored) if stored else None
    package = apply_finding(existing, finding, user_id, email_id, occurred_at, event_id=event_id) if apply else None
    if package is not None:
        packages[key] = package.model_dump(mode="json")
        return package
    if existing is None or existing.last_event_id != event_id or existing.source_email_ids[-1] != email_id:
        return None
    packages[key] = stored  # a compacted, idempotent write: the changelog gets it back if lost
    return existing


def shipment_update(package: Package, event: Event, email_id: str, now: dt.datetime) -> ShipmentUpdateEvent:
    """The ``shipment-updates`` event for ``package`` as changed by ``email_id`` of ``event``: the
    same kind and id whether it is announced for the first time or again (a new package has one
    e-mail)."""
    status = package.status.value if package.status else "found"
    kind = "created" if len(package.source_email_ids) == 1 else status
    caused_by = f"{event.metadata.event_id}:{email_id}:{package.tracking_number}"
    metadata = derived_metadata(
        event_type="ShipmentUpdateEvent", kind=f"shipment.{kind}", cause=event.metadata, caused_by=caused_by,
        source_service=SHIPMENTS, now=now, user_id=package.user_id, occurred_at=package.last_updated,
    )
    # Read from the package's attributes: no JSON round trip.
    return ShipmentUpdateEvent.model_validate(
        {"metadata": metadata, "kind": kind, "caused_by": caused_by, "package": package}, from_attributes=True
    )
