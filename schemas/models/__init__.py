"""Pydantic v2 models mirroring the ``.avsc`` files (a test keeps them from drifting)."""

from schemas.models.base import AvroModel
from schemas.models.common import (
    Address,
    Attachment,
    AttendeeType,
    BackfillStatus,
    ChangeType,
    ContactEmail,
    ContactPhone,
    DocType,
    EventKind,
    EventMetadata,
    EventStatus,
    EventTime,
    PayloadRef,
    Provider,
    ResponseStatus,
)
from schemas.models.derived import (
    AppliedChange,
    Carrier,
    MeetingContext,
    MeetingKindCount,
    MeetingTombstone,
    MeetingUpdateKind,
    Package,
    ShipmentStatus,
    ShipmentUpdateKind,
    StatusChange,
)
from schemas.models.events import (
    EVENT_MODELS,
    BackfillCompletedEvent,
    BackfillProgressEvent,
    CalendarBatchEvent,
    CalendarUpdateEvent,
    ContactBatchEvent,
    ContactUpdateEvent,
    EmailBackfillEvent,
    EmailUpdateEvent,
    Event,
    IntegrationConnectedEvent,
    IntegrationNeedsReauthEvent,
    MeetingsSyncedEvent,
    MeetingUpdateEvent,
    ShipmentUpdateEvent,
)
from schemas.models.records import Attendee, CalendarEvent, Contact, Email

__all__ = [
    "Address", "AppliedChange", "Carrier", "MeetingContext", "MeetingKindCount", "MeetingTombstone",
    "MeetingUpdateEvent", "MeetingUpdateKind", "MeetingsSyncedEvent", "Package", "ShipmentStatus",
    "ShipmentUpdateEvent", "ShipmentUpdateKind", "StatusChange", "Attachment", "Attendee", "AttendeeType", "AvroModel", "BackfillCompletedEvent",
    "BackfillProgressEvent", "BackfillStatus", "CalendarBatchEvent", "CalendarEvent", "CalendarUpdateEvent",
    "ChangeType", "Contact", "ContactBatchEvent", "ContactEmail", "ContactPhone", "ContactUpdateEvent",
    "DocType", "EVENT_MODELS", "Email", "EmailBackfillEvent", "EmailUpdateEvent", "Event", "EventKind",
    "EventMetadata", "EventStatus", "EventTime", "IntegrationConnectedEvent", "IntegrationNeedsReauthEvent",
    "PayloadRef", "Provider", "ResponseStatus",
]
