"""The events: per-item updates, batches, and integration / backfill lifecycle events."""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import NonNegativeInt, model_validator

from schemas.models.base import AvroModel, with_named_branches
from schemas.models.common import (
    BackfillStatus,
    ChangeType,
    DocType,
    EventMetadata,
    NonEmpty,
    Timestamp,
    PayloadRef,
)
from schemas.models.derived import (
    MeetingContext,
    MeetingKindCount,
    MeetingTombstone,
    MeetingUpdateKind,
    Package,
    ShipmentUpdateKind,
)
from schemas.models.records import CalendarEvent, Contact, Email


class Event(AvroModel):
    """Every event carries ``metadata`` whose ``event_type`` names the event's record."""

    metadata: EventMetadata

    @model_validator(mode="after")
    def _event_type_matches(self) -> Self:
        if self.metadata.event_type != type(self).__name__:
            raise ValueError(
                f"metadata.event_type is {self.metadata.event_type!r} but the event is {type(self).__name__}"
            )
        return self

    @property
    def user_id(self) -> str:
        return self.metadata.user_id


class _UpdateEvent(Event):
    """One item changed. Deletes carry the id only; other changes carry the item or a reference."""

    id_field: ClassVar[str]
    item_field: ClassVar[str]
    change_type: ChangeType = ChangeType.unknown

    @model_validator(mode="after")
    def _item_matches_change(self) -> Self:
        item_id = getattr(self, self.id_field)
        item: Any = getattr(self, self.item_field)
        ref: PayloadRef | None = getattr(self, f"{self.item_field}_ref")
        if self.change_type is ChangeType.deleted:
            if item is not None or ref is not None:
                raise ValueError(f"a delete carries {self.id_field} only, not {self.item_field} or its ref")
            return self
        if (item is None) == (ref is None):
            raise ValueError(f"a {self.change_type.value} event carries exactly one of {self.item_field} and {self.item_field}_ref")
        carried_id = item.id if item is not None else ref.doc_id  # type: ignore[union-attr]
        if carried_id != item_id:
            raise ValueError(f"{self.id_field} is {item_id!r} but the carried item is {carried_id!r}")
        return self


class EmailUpdateEvent(_UpdateEvent):
    id_field: ClassVar[str] = "email_id"
    item_field: ClassVar[str] = "email"
    email_id: NonEmpty
    email: Email | None = None
    email_ref: PayloadRef | None = None


class CalendarUpdateEvent(_UpdateEvent):
    id_field: ClassVar[str] = "calendar_event_id"
    item_field: ClassVar[str] = "calendar_event"
    calendar_event_id: NonEmpty
    calendar_event: CalendarEvent | None = None
    calendar_event_ref: PayloadRef | None = None


class ContactUpdateEvent(_UpdateEvent):
    id_field: ClassVar[str] = "contact_id"
    item_field: ClassVar[str] = "contact"
    contact_id: NonEmpty
    contact: Contact | None = None
    contact_ref: PayloadRef | None = None


class _BatchEvent(Event):
    job_id: str | None = None
    batch_index: NonNegativeInt
    is_last_batch: bool = False


class EmailBackfillEvent(_BatchEvent):
    emails: list[Email] = []
    emails_refs: list[PayloadRef] = []


class CalendarBatchEvent(_BatchEvent):
    calendar_events: list[CalendarEvent] = []
    calendar_events_refs: list[PayloadRef] = []


class ContactBatchEvent(_BatchEvent):
    contacts: list[Contact] = []
    contacts_refs: list[PayloadRef] = []


class IntegrationConnectedEvent(Event):
    integration_id: NonEmpty
    account_email: str | None = None
    scopes: list[str] = []
    doc_types: list[DocType] = []
    backfill_since: Timestamp | None = None


class IntegrationNeedsReauthEvent(Event):
    integration_id: NonEmpty
    reason: NonEmpty
    detail: str | None = None


class BackfillProgressEvent(Event):
    job_id: NonEmpty
    doc_type: DocType = DocType.unknown
    batches_published: NonNegativeInt
    items_published: NonNegativeInt
    items_estimated: NonNegativeInt | None = None


class BackfillCompletedEvent(Event):
    job_id: NonEmpty
    doc_type: DocType = DocType.unknown
    status: BackfillStatus = BackfillStatus.unknown
    batches_published: NonNegativeInt
    items_published: NonNegativeInt
    started_at: Timestamp
    finished_at: Timestamp
    error: str | None = None


class _DerivedEvent(Event):
    """An event a service derived from another (``caused_by``): its id depends on that cause
    alone, so a service that announces it again after a crash gives it the same id."""

    def to_avro(self) -> dict[str, Any]:
        """``AvroModel.to_avro`` with the branch of every ``["null", record]`` union named:
        fastavro otherwise finds it by validating the datum against each branch, which is most
        of the cost of writing a meeting context (the services write one per change)."""
        return with_named_branches(self, self.model_dump())

    def _require_users_record(self, record: MeetingContext | MeetingTombstone | Package) -> None:
        if record.user_id != self.metadata.user_id:
            raise ValueError(f"{type(self).__name__} carries a {type(record).__name__} of another user")


class MeetingUpdateEvent(_DerivedEvent):
    kind: MeetingUpdateKind = MeetingUpdateKind.unknown
    caused_by: NonEmpty
    context: MeetingContext | None = None
    tombstone: MeetingTombstone | None = None

    @model_validator(mode="after")
    def _one_record(self) -> Self:
        if (self.context is None) == (self.tombstone is None):
            raise ValueError("a MeetingUpdateEvent carries exactly one of context and tombstone")
        self._require_users_record(self.context or self.tombstone)  # type: ignore[arg-type]
        return self


class MeetingsSyncedEvent(_DerivedEvent):
    caused_by: NonEmpty
    batch_index: NonNegativeInt | None = None
    count: NonNegativeInt
    kinds: list[MeetingKindCount] = []


class ShipmentUpdateEvent(_DerivedEvent):
    kind: ShipmentUpdateKind = ShipmentUpdateKind.unknown
    caused_by: NonEmpty
    package: Package

    @model_validator(mode="after")
    def _users_package(self) -> Self:
        self._require_users_record(self.package)
        return self


#: Every event model by its Avro full name.
EVENT_MODELS: dict[str, type[Event]] = {
    cls.avro_name: cls
    for cls in (
        EmailBackfillEvent,
        EmailUpdateEvent,
        CalendarUpdateEvent,
        CalendarBatchEvent,
        ContactUpdateEvent,
        ContactBatchEvent,
        IntegrationConnectedEvent,
        IntegrationNeedsReauthEvent,
        BackfillProgressEvent,
        BackfillCompletedEvent,
        MeetingUpdateEvent,
        MeetingsSyncedEvent,
        ShipmentUpdateEvent,
    )
}
