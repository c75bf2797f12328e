"""Events become small notifications: ids, titles, senders and counts, never bodies or tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.notifier.exceptions import InvalidNotification
from processors.common.derived import derived_event
from processors.notifier.notifications import (
    MAX_PAYLOAD_BYTES,
    notification_for,
    notification_for_derived,
    notification_from_update,
    notification_id,
)
from schemas.models import (
    BackfillCompletedEvent,
    BackfillProgressEvent,
    CalendarUpdateEvent,
    ChangeType,
    ContactUpdateEvent,
    EmailBackfillEvent,
    EmailUpdateEvent,
    IntegrationNeedsReauthEvent,
)
from tests import factories

T0 = factories.T0


def test_every_office_and_backfill_event_gets_a_notification_of_its_kind() -> None:
    kinds = {
        type(event).__name__ + ":" + (getattr(event, "change_type", None) or ChangeType.unknown).value: n.kind
        for event in factories.one_of_each_event("ada")
        if (n := notification_for(event)) is not None
    }
    assert kinds == {
        "EmailBackfillEvent:unknown": "email.backfill",
        "EmailUpdateEvent:created": "email.created",
        "EmailUpdateEvent:deleted": "email.deleted",
        "CalendarUpdateEvent:updated": "calendar.updated",
        "CalendarBatchEvent:unknown": "calendar.backfill",
        "ContactUpdateEvent:created": "contact.created",
        "ContactBatchEvent:unknown": "contact.backfill",
        "BackfillProgressEvent:unknown": "backfill.progress",
        "BackfillCompletedEvent:unknown": "backfill.completed",
    }


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
    produced_at and record timestamp): the notification, id included, must not change, so the
    replay buffer drops it as a duplicate and a client resuming anywhere sees it once."""
    emit = lambda now: derived_event(
        kind="shipment.delivered", user_id="ada", payload={"tracking_number": "1Z", "status": "delivered"},
        occurred_at=T0, source_service="shipments", caused_by="evt-1:m-1:1Z", now=now,
    )
    first, again = emit(T0 + dt.timedelta(seconds=1)), emit(T0 + dt.timedelta(hours=5))
    assert first.event_id == again.event_id and first.produced_at != again.produced_at
    assert notification_for_derived(first) == notification_for_derived(again)
    assert notification_for_derived(first).id == notification_id(T0, first.event_id)
    assert notification_for_derived(first).created_at == T0


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


def test_an_oversized_payload_is_refused() -> None:
    with pytest.raises(InvalidNotification, match=str(MAX_PAYLOAD_BYTES)):
        notification_from_update("ada", "meeting.updated", {"notes": "x" * MAX_PAYLOAD_BYTES}, source_id="s", occurred_at=T0)


def test_a_payload_that_is_not_json_is_refused() -> None:
    with pytest.raises(InvalidNotification):
        notification_from_update("ada", "meeting.updated", {"when": dt.date(2026, 1, 1)}, source_id="s", occurred_at=T0)


def test_a_generic_update_without_user_is_refused() -> None:
    with pytest.raises(InvalidNotification):
        notification_from_update("", "meeting.updated", {}, source_id="s", occurred_at=T0)
