"""A service reading a slice of a record (``schemas.avsc.projected_schema``): messages written
with the full schema decode on the real registry, the kept fields intact and the skipped ones
at their defaults; a projection naming what the schema lacks is refused."""

from __future__ import annotations

import pytest

from schemas.avsc import projected_schema
from schemas.exceptions import SchemaFileError
from schemas.models import Email, EmailBackfillEvent, EmailUpdateEvent
from schemas.serde import AvroEventSerde
from tests import factories

KEEP = {Email.avro_name: ["id", "subject", "body_text", "from_address", "version_marker"]}


def test_projected_reader_decodes_full_messages_into_the_slice(serde, registry, unique):
    topic = f"t-{unique}-email-backfill"
    email = factories.email("m-1")
    assert email.to and email.attachments  # there is something to skip
    event = EmailBackfillEvent(metadata=factories.metadata("EmailBackfillEvent"), batch_index=3, emails=[email])
    written = serde.encode(topic, event)
    slim = AvroEventSerde(registry, reader_schemas={
        EmailBackfillEvent.avro_name: projected_schema(EmailBackfillEvent.avro_name, KEEP),
    })

    decoded = slim.decode(written)

    assert isinstance(decoded, EmailBackfillEvent)
    assert decoded.metadata == event.metadata and decoded.batch_index == 3
    [read] = decoded.emails
    assert (read.id, read.subject, read.body_text, read.from_address, read.version_marker) == (
        email.id, email.subject, email.body_text, email.from_address, email.version_marker
    )
    assert read.to == [] and read.attachments == [] and read.body_html is None
    assert serde.decode(written) == event  # the full reader still reads everything


def test_projection_of_a_nullable_record_and_refusals():
    schema = projected_schema(EmailUpdateEvent.avro_name, KEEP)
    email_branch = next(b for b in next(f for f in schema["fields"] if f["name"] == "email")["type"] if isinstance(b, dict))
    assert sorted(f["name"] for f in email_branch["fields"]) == sorted(KEEP[Email.avro_name])
    with pytest.raises(SchemaFileError, match="no field"):
        projected_schema(EmailUpdateEvent.avro_name, {Email.avro_name: ["id", "recipients"]})
    with pytest.raises(SchemaFileError, match="does not contain"):
        projected_schema(EmailUpdateEvent.avro_name, {"io.officestream.Contact": ["id"]})
