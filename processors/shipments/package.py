"""A user's package and how one finding changes it: pure, idempotent state transitions.

The faust table holds one ``Package`` per user and tracking number; ``apply_finding`` is the
only way it changes. Redelivered or older e-mails change nothing, which is what makes the
service safe under at-least-once delivery and replays. "Older" is judged by the e-mail's own
time, not by arrival order, so a backfill that walks a mailbox newest-first keeps the newest
status. Stages only move forward (a late "has shipped" never undoes "delivered"); an exception
may interrupt any stage before delivery, and the journey resumes from where it stood.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from processors.shipments.carriers import Carrier
from processors.shipments.exceptions import PackageMismatchError
from processors.shipments.extract import TrackingFinding
from processors.shipments.status import ShipmentStatus

#: The forward order of stages; ``exception`` stands outside it.
_PROGRESS = {
    ShipmentStatus.ordered: 0,
    ShipmentStatus.shipped: 1,
    ShipmentStatus.in_transit: 2,
    ShipmentStatus.out_for_delivery: 3,
    ShipmentStatus.delivered: 4,
}


class StatusChange(BaseModel):
    """One step of a package's history: the stage, when the e-mail stating it was sent, which e-mail."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ShipmentStatus
    at: AwareDatetime
    email_id: str


class Package(BaseModel):
    """A package's state for one user: JSON in the faust table, its Avro twin
    (``schemas.models.Package``) on ``shipment-updates``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: str
    carrier: Carrier
    tracking_number: str
    status: ShipmentStatus | None = None
    status_history: tuple[StatusChange, ...] = ()
    #: E-mails that created or changed this package (the idempotency record).
    source_email_ids: tuple[str, ...] = ()
    merchant: str | None = None
    first_seen: AwareDatetime
    last_updated: AwareDatetime
    #: The event whose e-mail (the last of ``source_email_ids``) made the last change: a
    #: redelivery or replay of that event announces the package again (``handling.py``).
    last_event_id: str | None = None

    @property
    def key(self) -> str:
        return package_key(self.user_id, self.tracking_number)


def package_key(user_id: str, tracking_number: str) -> str:
    """The table and topic key: one package per user and tracking number, whatever the carrier
    (a 20-digit number may read as USPS in one mail and FedEx in another; it is one parcel)."""
    return f"{user_id}:{tracking_number}"


def apply_finding(
    existing: Package | None,
    finding: TrackingFinding,
    user_id: str,
    email_id: str,
    occurred_at: datetime,
    *,
    event_id: str | None = None,
) -> Package | None:
    """The package after ``finding`` from e-mail ``email_id`` (sent at ``occurred_at``, carried by
    event ``event_id``), or None when nothing changes: an e-mail already applied, one older than
    the last change, or one that brings neither a new stage nor a missing merchant."""
    at = _utc(occurred_at)
    if existing is None:
        return _new_package(finding, user_id, email_id, at, event_id)
    if existing.user_id != user_id or existing.tracking_number != finding.tracking_number:
        raise PackageMismatchError(
            f"finding for {finding.tracking_number} of another user or package applied to {existing.key}"
        )
    if email_id in existing.source_email_ids or at < existing.last_updated:
        return None
    status = finding.status if _advances(existing, finding.status) else None
    merchant = finding.merchant if existing.merchant is None else None
    if status is None and merchant is None:
        return None
    history = existing.status_history + ((StatusChange(status=status, at=at, email_id=email_id),) if status else ())
    return existing.model_copy(
        update={
            "status": status or existing.status,
            "status_history": history,
            "source_email_ids": existing.source_email_ids + (email_id,),
            "merchant": existing.merchant or merchant,
            "last_updated": at,
            "last_event_id": event_id,
        }
    )


def _new_package(finding: TrackingFinding, user_id: str, email_id: str, at: datetime, event_id: str | None) -> Package:
    history = (StatusChange(status=finding.status, at=at, email_id=email_id),) if finding.status else ()
    return Package(
        user_id=user_id,
        carrier=finding.carrier,
        tracking_number=finding.tracking_number,
        status=finding.status,
        status_history=history,
        source_email_ids=(email_id,),
        merchant=finding.merchant,
        first_seen=at,
        last_updated=at,
        last_event_id=event_id,
    )


def _advances(package: Package, new: ShipmentStatus | None) -> bool:
    """Whether ``new`` is news for the package: a later stage, an exception before delivery, or
    after an exception any stage at least as far as the one it interrupted."""
    current = package.status
    if new is None or new == current or current is ShipmentStatus.delivered:
        return False
    if current is None or new is ShipmentStatus.exception:
        return True
    if current is ShipmentStatus.exception:
        before = _last_stage(package)
        return before is None or _PROGRESS[new] >= _PROGRESS[before]
    return _PROGRESS[new] > _PROGRESS[current]


def _last_stage(package: Package) -> ShipmentStatus | None:
    for change in reversed(package.status_history):
        if change.status is not ShipmentStatus.exception:
            return change.status
    return None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return moment.astimezone(UTC)
