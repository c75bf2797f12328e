"""Derived events name the branch of their record unions for fastavro: the same bytes as
letting fastavro find the branch, without the search."""

from __future__ import annotations

import io

import fastavro
import pytest

from schemas.avsc import project_schema
from tests import factories


def written(event, datum) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(project_schema(event.avro_name)), datum)
    return buffer.getvalue()


@pytest.mark.parametrize("event", [
    factories.meeting_update(), factories.meeting_update(deleted=True), factories.meetings_synced(), factories.shipment_update(),
], ids=lambda e: type(e).__name__)
def test_named_branches_write_the_same_bytes(event):
    assert written(event, event.to_avro()) == written(event, event.model_dump())


def test_records_in_unions_are_named_at_every_depth():
    datum = factories.meeting_update().to_avro()
    name, context = datum["context"]
    assert name == "io.officestream.MeetingContext" and datum["tombstone"] is None
    assert context["applied"][0] == "io.officestream.AppliedChange"
    assert context["organizer"][0] == "io.officestream.Address"
    assert isinstance(context["start"], dict)  # not a union: as it is
