"""The words of notifications (``presentation.py``) and how notifications carry them."""

from __future__ import annotations

import datetime as dt

import pytest

from processors.notifier.notifications import UPCOMING_PER_BATCH, notification_for, notification_from_update
from processors.notifier.presentation import Display, Step, count_of, display_for, status_label, tracking_url
from schemas.models import (
    BackfillCompletedEvent,
    BackfillProgressEvent,
    BackfillStatus,
    CalendarBatchEvent,
    CalendarUpdateEvent,
    ChangeType,
    ContactUpdateEvent,
    DocType,
    EventKind,
    EventStatus,
    EventTime,
    MeetingUpdateKind,
)
from tests import factories
from tests.factories import T0


@pytest.mark.parametrize(
    ("carrier", "number", "url"),
    [
        ("ups", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"),
        ("fedex", "123456789012", "https://www.fedex.com/fedextrack/?trknbr=123456789012"),
        ("usps", "9400 1000", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400%201000"),
        ("dhl", "1234567890", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id=1234567890"),
        ("amazon", "TBA123&x=1", "https://track.amazon.com/tracking/TBA123%26x%3D1"),
        ("postal", "RR123456785DE", None),
        ("unknown", "X1", None),
        (None, "X1", None),
    ],
)
def test_each_carrier_links_to_its_tracking_page_with_the_number_quoted(carrier, number, url) -> None:
    assert tracking_url(carrier, number) == url


def test_status_words_read_as_sentences_and_an_unknown_status_is_still_readable() -> None:
    assert [status_label(s) for s in ("out_for_delivery", "exception", None, "held_at_depot")] == [
        "Out for delivery", "Delivery problem", "Tracking number found", "Held at depot",
    ]


def test_counts_name_the_doc_type_in_singular_and_plural() -> None:
    assert [count_of(1, "email"), count_of(1200, "email"), count_of(3, "calendar_event"), count_of(2, "other")] == [
        "1 email", "1,200 emails", "3 events", "2 items",
    ]


def test_an_email_names_its_subject_and_sender() -> None:
    notification = notification_for(factories.email_update(user_id="ada"))
    assert notification is not None
    assert notification.display == Display(headline="New email", detail="Your order has shipped · from Shop")


def test_an_email_too_large_to_embed_or_deleted_still_gets_a_headline() -> None:
    deleted = notification_for(factories.email_update(ChangeType.deleted, user_id="ada"))
    assert deleted is not None and deleted.display == Display(headline="Email deleted")


def test_a_package_has_its_carrier_link_status_merchant_and_history_in_words() -> None:
    notification = notification_for(factories.shipment_update(user_id="ada"))
    assert notification is not None
    assert notification.display == Display(
        headline="Delivered",
        detail="UPS · 1Z999AA10123456784 · from Blue Bottle Coffee",
        carrier="UPS",
        url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        history=(Step(label="Shipped", at="2026-11-02T09:30:00Z"), Step(label="Delivered", at="2026-11-04T09:30:00Z")),
    )


def test_a_meeting_names_its_title_and_start_and_a_cancelled_one_says_so() -> None:
    created = factories.meeting_update(user_id="ada")
    cancelled = created.model_copy(update={
        "kind": MeetingUpdateKind.cancelled, "context": created.context.model_copy(update={"is_cancelled": True}),  # type: ignore[union-attr]
    })
    shown, gone = notification_for(created), notification_for(cancelled)
    assert shown is not None and shown.display == Display(headline="Meeting scheduled", detail="Weekly sync", when=T0.isoformat().replace("+00:00", "Z"))
    assert gone is not None and gone.display is not None and gone.display.headline == "Meeting cancelled"
    tombstone = notification_for(factories.meeting_update(user_id="ada", deleted=True))
    assert tombstone is not None and tombstone.display == Display(headline="Meeting removed")


def test_a_contact_names_the_person() -> None:
    contact = notification_for(ContactUpdateEvent(
        metadata=factories.metadata("ContactUpdateEvent"), change_type=ChangeType.created, contact_id="people/c1",
        contact=factories.contact(),
    ))
    assert contact is not None and contact.display == Display(headline="New contact", detail="Ada Lovelace")


def test_backfill_progress_and_its_end_read_as_import_state() -> None:
    progress = BackfillProgressEvent(
        metadata=factories.metadata("BackfillProgressEvent"), job_id="j", doc_type=DocType.email,
        batches_published=2, items_published=1500, items_estimated=9000,
    )
    done = BackfillCompletedEvent(
        metadata=factories.metadata("BackfillCompletedEvent"), job_id="j", doc_type=DocType.contact, status=BackfillStatus.succeeded,
        batches_published=1, items_published=1, started_at=T0, finished_at=T0,
    )
    failed = done.model_copy(update={"status": BackfillStatus.failed, "doc_type": DocType.calendar_event, "items_published": 7})
    shown = [notification_for(e).display for e in (progress, done, failed)]  # type: ignore[union-attr]
    assert shown == [
        Display(headline="Importing emails", detail="1,500 emails of about 9,000"),
        Display(headline="Contacts up to date", detail="1 contact imported"),
        Display(headline="Import of events failed", detail="7 events imported before it stopped"),
    ]


def test_a_cancelled_calendar_event_says_cancelled_with_its_title_and_time() -> None:
    item = factories.calendar_event(status=EventStatus.cancelled)
    event = CalendarUpdateEvent(metadata=factories.metadata("CalendarUpdateEvent"), change_type=ChangeType.updated,
                                calendar_event_id=item.id, calendar_event=item)
    notification = notification_for(event)
    assert notification is not None and notification.display == Display(
        headline="Event cancelled", detail="Weekly sync", when=T0.isoformat())


def test_odd_payloads_of_other_services_still_get_words_not_errors() -> None:
    odd = {"tracking_number": "X1", "carrier": 7, "status": ["x"], "status_history": ["bad", {"status": "shipped"}], "merchant": 3}
    notification = notification_from_update("ada", "shipment.created", odd, source_id="s", occurred_at=T0)
    assert notification.display == Display(headline="Tracking number found", detail="X1")
    assert display_for("meeting.synced", {"count": "many"}).headline == "Calendar synced: 0 events"
    assert display_for("weird.kind_of_thing", {}).headline == "Weird kind of thing"


def test_the_same_event_gets_the_same_words_wherever_it_is_read() -> None:
    event = factories.shipment_update(user_id="ada")
    assert notification_for(event) == notification_for(event.model_copy(deep=True))


def _calendar_batch(items: list) -> CalendarBatchEvent:
    return CalendarBatchEvent(metadata=factories.metadata("CalendarBatchEvent", occurred_at=T0), batch_index=0, calendar_events=items)


def test_a_calendar_batch_names_the_meetings_ahead_of_it_by_start_without_cancelled_or_past_ones() -> None:
    at = lambda hours: EventTime(at=T0 + dt.timedelta(hours=hours), time_zone="UTC")  # noqa: E731
    single = dict(kind=EventKind.single, recurrence=[])
    items = [
        factories.calendar_event("later", start=at(48), end=at(49), title="Later", **single),
        factories.calendar_event("past", start=at(-3), end=at(-2), title="Past", **single),
        factories.calendar_event("running", start=at(-1), end=at(1), title="Running", **single),
        factories.calendar_event("off", start=at(2), end=at(3), status=EventStatus.cancelled, **single),
        factories.all_day_event("holiday"),
    ]
    notification = notification_for(_calendar_batch(items))
    assert notification is not None and notification.kind == "calendar.backfill"
    upcoming = notification.payload["upcoming"]
    assert [m["calendar_event_id"] for m in upcoming] == ["running", "later", "holiday"]  # type: ignore[index]
    assert upcoming[0] == {  # type: ignore[index]
        "calendar_event_id": "running", "title": "Running", "location": None,
        "start": (T0 - dt.timedelta(hours=1)).isoformat(), "end": (T0 + dt.timedelta(hours=1)).isoformat(), "is_all_day": False,
    }
    assert notification.payload["count"] == 5


def test_a_calendar_batch_names_at_most_a_few_meetings() -> None:
    items = [
        factories.calendar_event(f"e{i}", start=EventTime(at=T0 + dt.timedelta(hours=i + 1)), end=EventTime(at=T0 + dt.timedelta(hours=i + 2)),
                                 kind=EventKind.single, recurrence=[])
        for i in range(UPCOMING_PER_BATCH + 5)
    ]
    notification = notification_for(_calendar_batch(items))
    assert notification is not None
    assert [m["calendar_event_id"] for m in notification.payload["upcoming"]] == [f"e{i}" for i in range(UPCOMING_PER_BATCH)]  # type: ignore[index, union-attr]
