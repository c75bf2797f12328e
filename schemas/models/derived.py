"""The records the services derive and announce: meeting contexts and tombstones (meetings),
packages (shipments), and the enums they use.

They mirror the services' own state (``processors/meetings/context.py``,
``processors/shipments/package.py``; a test keeps the fields aligned) as a contract any reader
can decode with the registry alone. The services keep their rules; these models only check
what a reader may rely on.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import PositiveInt

from schemas.models.base import AvroModel
from schemas.models.common import Address, EventKind, EventStatus, EventTime, NonEmpty, Provider, Timestamp
from schemas.models.records import Attendee


class MeetingUpdateKind(StrEnum):
    unknown = "unknown"
    created = "created"
    updated = "updated"
    cancelled = "cancelled"
    deleted = "deleted"


class ShipmentUpdateKind(StrEnum):
    unknown = "unknown"
    created = "created"
    found = "found"
    ordered = "ordered"
    shipped = "shipped"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    exception = "exception"
    delivered = "delivered"


class Carrier(StrEnum):
    unknown = "unknown"
    ups = "ups"
    fedex = "fedex"
    usps = "usps"
    dhl = "dhl"
    amazon = "amazon"
    postal = "postal"


class ShipmentStatus(StrEnum):
    unknown = "unknown"
    ordered = "ordered"
    shipped = "shipped"
    in_transit = "in_transit"
    out_for_delivery = "out_for_delivery"
    exception = "exception"
    delivered = "delivered"


class AppliedChange(AvroModel):
    event_id: NonEmpty
    kind: MeetingUpdateKind = MeetingUpdateKind.unknown


class MeetingContext(AvroModel):
    user_id: NonEmpty
    event_id: NonEmpty
    provider: Provider = Provider.unknown
    ical_uid: str | None = None
    calendar_id: str | None = None
    title: str | None = None
    location: str | None = None
    start: EventTime
    end: EventTime
    is_all_day: bool = False
    kind: EventKind = EventKind.unknown
    recurrence: list[str] = []
    series_master_id: str | None = None
    original_start: EventTime | None = None
    status: EventStatus = EventStatus.unknown
    is_cancelled: bool = False
    organizer: Address | None = None
    attendees: list[Attendee] = []
    online_meeting_url: str | None = None
    version_marker: str | None = None
    provider_updated_at: Timestamp | None = None
    occurred_at: Timestamp
    sequence: int | None = None
    applied: AppliedChange | None = None


class MeetingTombstone(AvroModel):
    user_id: NonEmpty
    event_id: NonEmpty
    deleted_at: Timestamp
    series_master_id: str | None = None
    original_start: EventTime | None = None
    last_version_marker: str | None = None
    last_provider_updated_at: Timestamp | None = None
    sequence: int | None = None
    stored_at: Timestamp | None = None
    applied: AppliedChange | None = None


class MeetingKindCount(AvroModel):
    kind: MeetingUpdateKind = MeetingUpdateKind.unknown
    count: PositiveInt


class StatusChange(AvroModel):
    status: ShipmentStatus = ShipmentStatus.unknown
    at: Timestamp
    email_id: NonEmpty


class Package(AvroModel):
    user_id: NonEmpty
    carrier: Carrier = Carrier.unknown
    tracking_number: NonEmpty
    status: ShipmentStatus | None = None
    status_history: list[StatusChange] = []
    source_email_ids: list[str] = []
    merchant: str | None = None
    first_seen: Timestamp
    last_updated: Timestamp
    last_event_id: str | None = None
