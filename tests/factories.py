"""Sample records and events for tests: valid by default, every field a test may vary a keyword."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from connectors.redis.payload_store import payload_key
from schemas.models import (
    Address,
    AppliedChange,
    Attachment,
    Attendee,
    AttendeeType,
    BackfillCompletedEvent,
    BackfillProgressEvent,
    BackfillStatus,
    CalendarBatchEvent,
    CalendarEvent,
    CalendarUpdateEvent,
    Carrier,
    ChangeType,
    Contact,
    ContactBatchEvent,
    ContactEmail,
    ContactPhone,
    ContactUpdateEvent,
    DocType,
    Email,
    EmailBackfillEvent,
    EmailUpdateEvent,
    Event,
    EventKind,
    EventMetadata,
    EventStatus,
    EventTime,
    IntegrationConnectedEvent,
    IntegrationNeedsReauthEvent,
    MeetingContext,
    MeetingKindCount,
    MeetingsSyncedEvent,
    MeetingTombstone,
    MeetingUpdateEvent,
    MeetingUpdateKind,
    Package,
    PayloadRef,
    Provider,
    ResponseStatus,
    ShipmentStatus,
    ShipmentUpdateEvent,
    ShipmentUpdateKind,
    StatusChange,
)

T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def metadata(event_type: str, *, user_id: str = "user-1", **overrides: Any) -> EventMetadata:
    fields: dict[str, Any] = dict(
        event_type=event_type,
        user_id=user_id,
        provider=Provider.google,
        source_service="tests",
        source_version="0.1.0",
        occurred_at=T0,
        now=T0 + dt.timedelta(seconds=2),
    )
    fields.update(overrides)
    return EventMetadata.create(**fields)


def email(email_id: str = "msg-1", **overrides: Any) -> Email:
    fields: dict[str, Any] = dict(
        id=email_id,
        provider=Provider.google,
        thread_id="thread-1",
        labels=["INBOX", "CATEGORY_UPDATES"],
        from_address=Address(email="orders@shop.example", name="Shop"),
        to=[Address(email="ada@example.com", name="Ada")],
        cc=[Address(email="bob@example.com")],
        subject="Your order has shipped",
        sent_at=T0,
        received_at=T0 + dt.timedelta(seconds=3),
        snippet="Your package is on its way",
        body_text="Your package is on its way. Tracking: 1Z999AA10123456784",
        body_html="<p>Your package is on its way.</p>",
        attachments=[Attachment(attachment_id="att-1", filename="invoice.pdf", content_type="application/pdf", size_bytes=48213)],
        internet_message_id="<abc@shop.example>",
        references=["<prev@shop.example>"],
        version_marker="1234567",
    )
    fields.update(overrides)
    return Email(**fields)


def calendar_event(event_id: str = "evt-1", **overrides: Any) -> CalendarEvent:
    fields: dict[str, Any] = dict(
        id=event_id,
        provider=Provider.microsoft,
        ical_uid="uid-1@example.com",
        title="Weekly sync",
        start=EventTime(at=T0, time_zone="Europe/Berlin"),
        end=EventTime(at=T0 + dt.timedelta(hours=1), time_zone="Europe/Berlin"),
        kind=EventKind.series_master,
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"],
        status=EventStatus.confirmed,
        organizer=Address(email="ada@example.com"),
        attendees=[
            Attendee(address=Address(email="bob@example.com"), type=AttendeeType.required, response=ResponseStatus.accepted)
        ],
        online_meeting_url="https://teams.example/join/1",
        version_marker="ck-1",
    )
    fields.update(overrides)
    return CalendarEvent(**fields)


def all_day_event(event_id: str = "evt-day", **overrides: Any) -> CalendarEvent:
    fields: dict[str, Any] = dict(
        start=EventTime(date=dt.date(2026, 12, 24)),
        end=EventTime(date=dt.date(2026, 12, 25)),
        is_all_day=True,
        kind=EventKind.single,
        recurrence=[],
    )
    fields.update(overrides)
    return calendar_event(event_id, **fields)


def contact(contact_id: str = "people/c1", **overrides: Any) -> Contact:
    fields: dict[str, Any] = dict(
        id=contact_id,
        provider=Provider.google,
        display_name="Ada Lovelace",
        given_name="Ada",
        family_name="Lovelace",
        emails=[ContactEmail(address="ada@example.com", label="work", is_primary=True), ContactEmail(address="ada@home.example")],
        phones=[ContactPhone(number="+44 20 7946 0000", label="mobile")],
        organization="Analytical Engines Ltd",
        version_marker="etag-1",
    )
    fields.update(overrides)
    return Contact(**fields)


def payload_ref(doc_id: str = "msg-big", *, doc_type: DocType = DocType.email, user_id: str = "user-1") -> PayloadRef:
    return PayloadRef(
        key=payload_key(user_id, doc_type, doc_id),
        doc_type=doc_type,
        doc_id=doc_id,
        sha256=hashlib.sha256(doc_id.encode()).hexdigest(),
        size_bytes=2_000_000,
        content_type="application/vnd.officestream.email+avro",
        expires_at=T0 + dt.timedelta(days=1),
    )


def email_update(change: ChangeType = ChangeType.created, *, user_id: str = "user-1", email_id: str = "msg-1") -> EmailUpdateEvent:
    body = {} if change is ChangeType.deleted else {"email": email(email_id)}
    return EmailUpdateEvent(
        metadata=metadata("EmailUpdateEvent", user_id=user_id), change_type=change, email_id=email_id, **body
    )


def meeting_update(*, user_id: str = "user-1", deleted: bool = False) -> MeetingUpdateEvent:
    """A meetings-service update as it announces one: a created meeting, or a deleted one's tombstone."""
    applied = AppliedChange(event_id="9f0c1b9e-0000-4000-8000-000000000001", kind="deleted" if deleted else "created")
    if deleted:
        carried: dict[str, Any] = {"tombstone": MeetingTombstone(
            user_id=user_id, event_id="evt-1_20261109", deleted_at=T0, series_master_id="evt-1",
            original_start=EventTime(at=T0 + dt.timedelta(days=7), time_zone="Europe/Berlin"),
            last_version_marker="ck-2", stored_at=T0 + dt.timedelta(seconds=5), applied=applied,
        )}
    else:
        item = calendar_event()
        carried = {"context": MeetingContext(
            user_id=user_id, event_id=item.id, provider=item.provider, ical_uid=item.ical_uid, title=item.title,
            start=item.start, end=item.end, kind=item.kind, recurrence=item.recurrence, status=item.status,
            organizer=item.organizer, attendees=item.attendees, version_marker=item.version_marker,
            provider_updated_at=item.updated_at, occurred_at=T0, applied=applied,
        )}
    return MeetingUpdateEvent(
        metadata=metadata("MeetingUpdateEvent", user_id=user_id, source_service="meetings"),
        kind=MeetingUpdateKind.deleted if deleted else MeetingUpdateKind.created,
        caused_by=f"{applied.event_id}:{'evt-1_20261109' if deleted else 'evt-1'}", **carried,
    )


def meetings_synced(*, user_id: str = "user-1") -> MeetingsSyncedEvent:
    return MeetingsSyncedEvent(
        metadata=metadata("MeetingsSyncedEvent", user_id=user_id, source_service="meetings"),
        caused_by="9f0c1b9e-0000-4000-8000-000000000002", batch_index=3, count=5,
        kinds=[MeetingKindCount(kind=MeetingUpdateKind.cancelled, count=1), MeetingKindCount(kind=MeetingUpdateKind.created, count=4)],
    )


def shipment_update(*, user_id: str = "user-1") -> ShipmentUpdateEvent:
    """A shipments-service update: a UPS package delivered after it shipped, from two e-mails."""
    shipped, delivered = T0, T0 + dt.timedelta(days=2)
    package = Package(
        user_id=user_id, carrier=Carrier.ups, tracking_number="1Z999AA10123456784", status=ShipmentStatus.delivered,
        status_history=[StatusChange(status=ShipmentStatus.shipped, at=shipped, email_id="m-1"),
                        StatusChange(status=ShipmentStatus.delivered, at=delivered, email_id="m-2")],
        source_email_ids=["m-1", "m-2"], merchant="Blue Bottle Coffee", first_seen=shipped, last_updated=delivered,
        last_event_id="9f0c1b9e-0000-4000-8000-000000000003",
    )
    return ShipmentUpdateEvent(
        metadata=metadata("ShipmentUpdateEvent", user_id=user_id, source_service="shipments", occurred_at=delivered),
        kind=ShipmentUpdateKind.delivered, caused_by=f"{package.last_event_id}:m-2:{package.tracking_number}", package=package,
    )


def one_of_each_event(user_id: str = "user-1") -> list[Event]:
    """Every event type, with nested records, refs and enums exercised."""
    md = lambda name, **kw: metadata(name, user_id=user_id, **kw)  # noqa: E731
    return [
        EmailBackfillEvent(
            metadata=md("EmailBackfillEvent", correlation_id="job-1"),
            job_id="job-1",
            batch_index=0,
            emails=[email("m1"), email("m2", attachments=[])],
            emails_refs=[payload_ref("m3")],
        ),
        email_update(ChangeType.created, user_id=user_id),
        email_update(ChangeType.deleted, user_id=user_id, email_id="msg-gone"),
        CalendarUpdateEvent(
            metadata=md("CalendarUpdateEvent"),
            change_type=ChangeType.updated,
            calendar_event_id="evt-1",
            calendar_event=calendar_event(),
        ),
        CalendarBatchEvent(
            metadata=md("CalendarBatchEvent"),
            batch_index=3,
            is_last_batch=True,
            calendar_events=[
                all_day_event(),
                calendar_event(
                    "evt-1_20261109",
                    kind=EventKind.exception,
                    series_master_id="evt-1",
                    recurrence=[],
                    original_start=EventTime(at=T0 + dt.timedelta(days=7), time_zone="Europe/Berlin"),
                    status=EventStatus.cancelled,
                ),
            ],
        ),
        ContactUpdateEvent(metadata=md("ContactUpdateEvent"), change_type=ChangeType.created, contact_id="people/c1", contact=contact()),
        ContactBatchEvent(
            metadata=md("ContactBatchEvent"),
            batch_index=0,
            contacts=[contact()],
            contacts_refs=[payload_ref("people/c2", doc_type=DocType.contact)],
        ),
        IntegrationConnectedEvent(
            metadata=md("IntegrationConnectedEvent"),
            integration_id="int-1",
            account_email="ada@example.com",
            scopes=["https://www.googleapis.com/auth/gmail.readonly"],
            doc_types=[DocType.email, DocType.contact],
            backfill_since=T0 - dt.timedelta(days=365),
        ),
        IntegrationNeedsReauthEvent(metadata=md("IntegrationNeedsReauthEvent"), integration_id="int-1", reason="invalid_grant"),
        BackfillProgressEvent(
            metadata=md("BackfillProgressEvent"), job_id="job-1", doc_type=DocType.email, batches_published=4, items_published=400, items_estimated=1200
        ),
        BackfillCompletedEvent(
            metadata=md("BackfillCompletedEvent"),
            job_id="job-1",
            doc_type=DocType.email,
            status=BackfillStatus.succeeded,
            batches_published=12,
            items_published=1187,
            started_at=T0,
            finished_at=T0 + dt.timedelta(minutes=4),
        ),
        meeting_update(user_id=user_id),
        meeting_update(user_id=user_id, deleted=True),
        meetings_synced(user_id=user_id),
        shipment_update(user_id=user_id),
    ]
