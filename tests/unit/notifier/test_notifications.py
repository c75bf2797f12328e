"""Events become small notifications: ids, titles, senders and counts, never bodies or tokens."""

from __future__ import annotations

import json

import datetime as dt

import pytest

from processors.notifier.exceptions import InvalidNotification
from processors.notifier.notifications import (
    MAX_PAYLOAD_BYTES,
    notification_for,
    notification_from_update,
    notification_id,
)
from processors.shipments.carriers import Carrier
from processors.shipments.handling import shipment_update
from processors.shipments.package import Package
from processors.shipments.status import ShipmentStatus
from schemas.models import (
    Attendee,
    BackfillCompletedEvent,
    BackfillProgressEvent,
    CalendarUpdateEvent,
    ChangeType,
    ContactUpdateEvent,
    EmailBackfillEvent,
    EmailUpdateEvent,
    IntegrationNeedsReauthEvent,
    MeetingUpdateKind,
    ShipmentUpdateKind,
)
from tests import factories

T0 = factories.T0


def test_every_office_backfill_and_service_event_gets_a_notification_of_its_kind() -> None:
    kinds = [
        (type(event).__name__, n.kind) for event in factories.one_of_each_event("ada") if (n := notification_for(event)) is not None
    ]
    assert kinds == [
        ("EmailBackfillEvent", "email.backfill"),
        ("EmailUpdateEvent", "email.created"),
        ("EmailUpdateEvent", "email.deleted"),
        ("CalendarUpdateEvent", "calendar.updated"),
        ("CalendarBatchEvent", "calendar.backfill"),
        ("ContactUpdateEvent", "contact.created"),
        ("ContactBatchEvent", "contact.backfill"),
        ("BackfillProgressEvent", "backfill.progress"),
        ("BackfillCompletedEvent", "backfill.completed"),
        ("MeetingUpdateEvent", "meeting.created"),
        ("MeetingUpdateEvent", "meeting.deleted"),
        ("MeetingsSyncedEvent", "meeting.synced"),
        ("ShipmentUpdateEvent", "shipment.delivered"),
    ]


def test_notifications_belong_to_the_events_user() -> None:
    for event in factories.one_of_each_event("ada"):
        notification = notification_for(event)
        assert notification is None or notification.user_id == "ada"


def test_an_email_notification_has_subject_and_sender_but_no_body_or_snippet() -> None:
    event = factories.email_update(ChangeType.created, user_id="ada")
    notification = notification_for(event)
    assert notification is not None
    assert notification.payload["subject"] == "Your order has shipped"
    assert notification.payload["from"] == {"email": "orders@shop.example", "name": "Shop"}
    wire = notification.to_json()
    assert event.email is not None
    for secret_text in (event.email.body_text, event.email.body_html, event.email.snippet):
        assert secret_text is not None and secret_text not in wire


def test_an_email_sent_by_reference_is_announced_by_id_only() -> None:
    event = EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent", user_id="ada"),
        change_type=ChangeType.created,
        email_id="msg-big",
        email_ref=factories.payload_ref("msg-big", user_id="ada"),
    )
    notification = notification_for(event)
    assert notification is not None and notification.payload == {"email_id": "msg-big"}


def test_a_long_subject_is_clipped() -> None:
    event = EmailUpdateEvent(
        metadata=factories.metadata("EmailUpdateEvent"),
        change_type=ChangeType.updated,
        email_id="m",
        email=factories.email("m", subject="x" * 5000),
    )
    notification = notification_for(event)
    assert notification is not None and len(str(notification.payload["subject"])) <= 200


def test_a_calendar_notification_carries_title_and_times_but_not_the_description() -> None:
    item = factories.calendar_event(body="Dial-in PIN 123456")
    event = CalendarUpdateEvent(
        metadata=factories.metadata("CalendarUpdateEvent"), change_type=ChangeType.created, calendar_event_id=item.id, calendar_event=item
    )
    notification = notification_for(event)
    assert notification is not None
    assert (notification.payload["title"], notification.payload["start"]) == ("Weekly sync", T0.isoformat())
    assert "123456" not in notification.to_json()


def test_an_unknown_change_is_announced_as_an_update() -> None:
    event = ContactUpdateEvent(
        metadata=factories.metadata("ContactUpdateEvent"), change_type=ChangeType.unknown, contact_id="people/c1", contact=factories.contact()
    )
    notification = notification_for(event)
    assert notification is not None and notification.kind == "contact.updated"


def test_a_backfill_batch_is_summarised_as_one_count_with_the_job_id() -> None:
    event = EmailBackfillEvent(
        metadata=factories.metadata("EmailBackfillEvent", correlation_id="job-7"),
        batch_index=2,
        emails=[factories.email(f"m{i}") for i in range(5)],
        emails_refs=[factories.payload_ref("m9")],
    )
    notification = notification_for(event)
    assert notification is not None
    assert notification.payload == {"job_id": "job-7", "batch_index": 2, "count": 6, "is_last_batch": False}


def test_backfill_progress_and_completion_carry_counts_but_not_error_text() -> None:
    progress = BackfillProgressEvent(
        metadata=factories.metadata("BackfillProgressEvent"), job_id="job-1", batches_published=2, items_published=150, items_estimated=900
    )
    completed = BackfillCompletedEvent(
        metadata=factories.metadata("BackfillCompletedEvent"),
        job_id="job-1",
        batches_published=3,
        items_published=200,
        started_at=T0,
        finished_at=T0 + dt.timedelta(minutes=1),
        error="provider said: Bearer eyJsecret",
    )
    progress_n, completed_n = notification_for(progress), notification_for(completed)
    assert progress_n is not None and (progress_n.payload["items_published"], progress_n.payload["items_estimated"]) == (150, 900)
    assert completed_n is not None and completed_n.payload["items_published"] == 200
    assert "eyJsecret" not in completed_n.to_json()


def test_events_the_front_end_is_not_told_of_give_none() -> None:
    event = IntegrationNeedsReauthEvent(metadata=factories.metadata("IntegrationNeedsReauthEvent"), integration_id="i", reason="invalid_grant")
    assert notification_for(event) is None


def test_the_same_event_gets_the_same_id_on_every_instance_and_others_differ() -> None:
    event = factories.email_update(user_id="ada")
    twin = EmailUpdateEvent.from_avro(event.to_avro())  # as another instance decodes it
    other = factories.email_update(user_id="ada")
    first, again, different = notification_for(event), notification_for(twin), notification_for(other)
    assert first is not None and again is not None and different is not None
    assert first.id == again.id
    assert first.id != different.id


def test_a_derived_event_emitted_again_later_makes_the_same_notification() -> None:
    """A service re-emits a derived event after a crash (same event id and occurred_at, new
    produced_at, span and record timestamp): the notification, id included, must not change, so
    the replay buffer drops it as a duplicate and a client resuming anywhere sees it once."""
    package = Package(user_id="ada", carrier=Carrier.ups, tracking_number="1Z999AA10123456784",
                      status=ShipmentStatus.delivered, source_email_ids=("m-0", "m-1"), first_seen=T0, last_updated=T0)
    cause = factories.email_update(user_id="ada", email_id="m-1")
    emit = lambda now: shipment_update(package, cause, "m-1", now)
    first, again = emit(T0 + dt.timedelta(seconds=1)), emit(T0 + dt.timedelta(hours=5))
    assert first.metadata.event_id == again.metadata.event_id and first.metadata.produced_at != again.metadata.produced_at
    assert notification_for(first) == notification_for(again)
    assert notification_for(first).id == notification_id(T0, str(first.metadata.event_id))
    assert notification_for(first).created_at == T0


def test_a_meeting_update_tells_the_record_as_the_json_envelope_did() -> None:
    """The front end gets the meeting context (or tombstone) with its ``record_type``, as when
    ``meeting-updates`` carried the table's JSON (tests/unit/meetings/test_handling.py: the
    event's record is that JSON)."""
    created, deleted = factories.meeting_update(user_id="ada"), factories.meeting_update(user_id="ada", deleted=True)
    notification = notification_for(created)
    assert notification.payload == {"record_type": "meeting", **created.context.model_dump(mode="json")}
    assert notification.payload["applied"] == {"event_id": created.context.applied.event_id, "kind": "created"}
    gone = notification_for(deleted)
    assert (gone.kind, gone.payload["record_type"], gone.payload["event_id"]) == ("meeting.deleted", "tombstone", "evt-1_20261109")


def test_a_batch_summary_keeps_its_counts_by_kind() -> None:
    notification = notification_for(factories.meetings_synced(user_id="ada"))
    assert (notification.kind, notification.payload) == (
        "meeting.synced", {"batch_index": 3, "count": 5, "kinds": {"cancelled": 1, "created": 4}}
    )


def test_a_package_update_tells_the_package() -> None:
    event = factories.shipment_update(user_id="ada")
    notification = notification_for(event)
    assert notification.payload == event.package.model_dump(mode="json")
    assert notification.payload["status_history"][1] == {"status": "delivered", "at": "2026-11-04T09:30:00Z", "email_id": "m-2"}


def test_a_kind_this_reader_does_not_know_is_still_an_update() -> None:
    """A kind added to the schema later reads as ``unknown`` here (the enum's default): the front
    end is told that the meeting or package changed, and refreshes it."""
    meeting = factories.meeting_update(user_id="ada").model_copy(update={"kind": MeetingUpdateKind.unknown})
    package = factories.shipment_update(user_id="ada").model_copy(update={"kind": ShipmentUpdateKind.unknown})
    assert (notification_for(meeting).kind, notification_for(package).kind) == ("meeting.updated", "shipment.updated")


def test_an_all_hands_meeting_is_told_with_its_attendees_cut_to_fit() -> None:
    event = factories.meeting_update(user_id="ada")
    crowd = [Attendee.model_validate({"address": {"email": f"guest-{i}@example.com", "name": "Guest"}}) for i in range(200)]
    crowded = event.model_copy(update={"context": event.context.model_copy(update={"attendees": crowd})})
    notification = notification_for(crowded)
    assert len(json.dumps(notification.payload).encode()) <= MAX_PAYLOAD_BYTES
    kept = notification.payload["attendees"]
    assert 0 < len(kept) < 200 and kept == [a.model_dump(mode="json") for a in crowd[: len(kept)]]  # the first ones, in order
    assert notification.payload["truncated"] == {"attendees": 200}
    assert notification.payload["title"] == event.context.title and notification.display is not None


def test_a_payload_that_fits_is_not_marked_truncated() -> None:
    notification = notification_for(factories.meeting_update(user_id="ada"))
    assert "truncated" not in notification.payload


def test_an_event_published_again_with_another_produced_at_keeps_its_notification() -> None:
    event = factories.email_update(user_id="ada")
    republished = event.model_copy(update={"metadata": event.metadata.model_copy(
        update={"produced_at": event.metadata.produced_at + dt.timedelta(minutes=3)})})
    assert notification_for(event) == notification_for(republished)


def test_ids_sort_by_time() -> None:
    earlier = notification_id(T0, "z-source")
    later = notification_id(T0 + dt.timedelta(milliseconds=1), "a-source")
    much_later = notification_id(T0 + dt.timedelta(days=3650), "m-source")
    assert sorted([much_later, later, earlier]) == [earlier, later, much_later]


def test_a_shipment_update_becomes_a_notification_without_body_or_token_keys() -> None:
    notification = notification_from_update(
        "ada",
        "shipment.updated",
        {"tracking_number": "1Z999AA10123456784", "status": "out_for_delivery", "email": {"subject": "s", "body_text": "b"}, "access_token": "t"},
        source_id="shipment-updates:0:41",
        occurred_at=T0,
    )
    assert notification.payload == {"tracking_number": "1Z999AA10123456784", "status": "out_for_delivery", "email": {"subject": "s"}}
    assert (notification.user_id, notification.kind) == ("ada", "shipment.updated")


def test_a_generic_update_gets_the_same_id_from_the_same_source() -> None:
    make = lambda source: notification_from_update("ada", "meeting.updated", {}, source_id=source, occurred_at=T0)
    assert make("meeting-updates:1:7").id == make("meeting-updates:1:7").id != make("meeting-updates:1:8").id


@pytest.mark.parametrize("kind", ["Shipment.Updated", "shipment", "shipment..updated", "shipment.updated\nevent: x", ""])
def test_a_malformed_kind_is_refused(kind: str) -> None:
    with pytest.raises(InvalidNotification):
        notification_from_update("ada", kind, {}, source_id="s", occurred_at=T0)


def test_a_long_text_is_clipped_to_fit() -> None:
    notification = notification_from_update("ada", "meeting.updated", {"notes": "x" * MAX_PAYLOAD_BYTES, "title": "t"},
                                            source_id="s", occurred_at=T0)
    assert notification.payload["notes"].endswith("…") and len(notification.payload["notes"]) <= 200
    assert notification.payload["truncated"] == {"notes": MAX_PAYLOAD_BYTES} and notification.payload["title"] == "t"


def test_a_payload_that_cannot_be_cut_to_fit_is_refused() -> None:
    many_fields = {f"field_{i:04d}": i for i in range(600)}  # nothing to cut: no list, no long text
    with pytest.raises(InvalidNotification, match=str(MAX_PAYLOAD_BYTES)):
        notification_from_update("ada", "meeting.updated", many_fields, source_id="s", occurred_at=T0)


def test_a_payload_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidNotification):
        notification_from_update("ada", "meeting.updated", {"when": dt.date(2026, 1, 1)}, source_id="s", occurred_at=T0)


def test_a_generic_update_without_user_is_refused() -> None:
    with pytest.raises(InvalidNotification):
        notification_from_update("", "meeting.updated", {}, source_id="s", occurred_at=T0)
