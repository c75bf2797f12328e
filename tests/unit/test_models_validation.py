"""Models refuse what the schema cannot express: missing ids, naive datetimes, inconsistent events."""

from __future__ import annotations

import datetime as dt
import io

import fastavro
import pytest
from pydantic import ValidationError

from schemas.avsc import project_schema
from schemas.models import BackfillProgressEvent, ChangeType, EmailUpdateEvent, EventMetadata, EventTime, Provider
from tests import factories


@pytest.mark.parametrize("event", factories.one_of_each_event(), ids=lambda e: type(e).__name__)
def test_every_event_survives_an_avro_round_trip_unchanged(event):
    schema = fastavro.parse_schema(project_schema(event.avro_name))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, event.to_avro())
    buffer.seek(0)
    assert type(event).from_avro(fastavro.schemaless_reader(buffer, schema)) == event


def test_missing_user_id_is_refused():
    fields = factories.metadata("EmailUpdateEvent").model_dump()
    del fields["user_id"]
    with pytest.raises(ValidationError, match="user_id\n  Field required"):
        EventMetadata(**fields)


def test_empty_user_id_is_refused():
    with pytest.raises(ValidationError, match="user_id"):
        factories.metadata("EmailUpdateEvent", user_id="")


def test_naive_datetime_is_refused():
    with pytest.raises(ValidationError, match="occurred_at\n  Input should have timezone info"):
        factories.metadata("EmailUpdateEvent", occurred_at=dt.datetime(2026, 1, 1, 12, 0))


def test_timestamps_are_normalized_to_utc_milliseconds():
    berlin = dt.timezone(dt.timedelta(hours=1))
    md = factories.metadata("EmailUpdateEvent", occurred_at=dt.datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=berlin))
    assert md.occurred_at == dt.datetime(2026, 1, 1, 11, 0, 0, 123000, tzinfo=dt.UTC)
    assert md.occurred_at.tzinfo == dt.UTC


def test_wrong_field_type_is_refused():
    progress = next(e for e in factories.one_of_each_event() if isinstance(e, BackfillProgressEvent))
    with pytest.raises(ValidationError, match="batches_published\n  Input should be a valid integer"):
        BackfillProgressEvent.model_validate({**progress.model_dump(), "batches_published": "many"})


def test_unknown_field_is_refused():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        EventTime(at=factories.T0, tz="UTC")


def test_malformed_trace_ids_are_refused():
    with pytest.raises(ValidationError, match="trace_id"):
        factories.metadata("EmailUpdateEvent", trace_id="xyz")
    with pytest.raises(ValidationError, match="all-zero"):
        factories.metadata("EmailUpdateEvent", trace_id="0" * 32)


def test_traceparent_header_is_w3c():
    md = factories.metadata("EmailUpdateEvent")
    assert md.traceparent() == f"00-{md.trace_id}-{md.span_id}-01"


def test_event_type_must_name_the_event():
    with pytest.raises(ValidationError, match="metadata.event_type is 'ContactUpdateEvent' but the event is EmailUpdateEvent"):
        EmailUpdateEvent(metadata=factories.metadata("ContactUpdateEvent"), change_type=ChangeType.deleted, email_id="m")


def test_a_delete_carries_the_id_only():
    with pytest.raises(ValidationError, match="a delete carries email_id only"):
        EmailUpdateEvent(
            metadata=factories.metadata("EmailUpdateEvent"), change_type=ChangeType.deleted, email_id="m", email=factories.email("m")
        )


@pytest.mark.parametrize("carried", [{}, {"email": factories.email("m"), "email_ref": factories.payload_ref("m")}])
def test_an_update_carries_exactly_one_of_item_and_ref(carried):
    with pytest.raises(ValidationError, match="exactly one of email and email_ref"):
        EmailUpdateEvent(metadata=factories.metadata("EmailUpdateEvent"), change_type=ChangeType.updated, email_id="m", **carried)


def test_the_carried_item_must_be_the_one_named():
    with pytest.raises(ValidationError, match="email_id is 'm1' but the carried item is 'm2'"):
        EmailUpdateEvent(
            metadata=factories.metadata("EmailUpdateEvent"), change_type=ChangeType.created, email_id="m1", email=factories.email("m2")
        )


def test_event_time_is_an_instant_or_a_date():
    with pytest.raises(ValidationError, match="either an instant"):
        EventTime()
    with pytest.raises(ValidationError, match="either an instant"):
        EventTime(at=factories.T0, date=dt.date(2026, 1, 1))


def test_all_day_flag_must_agree_with_dates():
    with pytest.raises(ValidationError, match="is_all_day must be true exactly when"):
        factories.all_day_event(is_all_day=False)


def test_an_occurrence_needs_its_series():
    with pytest.raises(ValidationError, match="occurrence needs series_master_id"):
        factories.calendar_event(kind="occurrence")


def test_unknown_enum_symbol_is_refused_by_the_model():
    with pytest.raises(ValidationError, match="provider"):
        factories.email(provider="yahoo")
    assert factories.email(provider="microsoft").provider is Provider.microsoft
