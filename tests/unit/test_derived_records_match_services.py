"""The derived events' records say what the services store, field for field: a field a service
adds to its state must be added to the schema (with a default) or it is silently not announced."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from processors.meetings import context
from processors.meetings.changes import MeetingChangeKind
from processors.shipments import package
from processors.shipments.carriers import Carrier
from processors.shipments.status import ShipmentStatus
from schemas import models

PAIRS = [
    (context.MeetingContext, models.MeetingContext),
    (context.MeetingTombstone, models.MeetingTombstone),
    (context.AppliedChange, models.AppliedChange),
    (package.Package, models.Package),
    (package.StatusChange, models.StatusChange),
]


@pytest.mark.parametrize(("stored", "announced"), PAIRS, ids=lambda m: m.__module__.split(".")[0] + "." + m.__name__)
def test_announced_records_have_the_stored_records_fields(stored: type[BaseModel], announced: type[BaseModel]):
    # ``record_type`` tells the table's two kinds of meeting record apart; the event has a field for each.
    assert [name for name in stored.model_fields if name != "record_type"] == list(announced.model_fields)


@pytest.mark.parametrize(("values", "symbols"), [
    (MeetingChangeKind, models.MeetingUpdateKind),
    (Carrier, models.Carrier),
    (ShipmentStatus, models.ShipmentStatus),
], ids=lambda e: e.__name__)
def test_every_value_a_service_stores_is_a_symbol_of_the_schema(values, symbols):
    assert {v.value for v in values} <= {s.value for s in symbols}


def test_every_kind_a_service_announces_is_a_symbol_of_the_schema():
    """Shipments announce ``created``, ``found`` or the package's status."""
    assert {"created", "found", *(s.value for s in ShipmentStatus)} <= {k.value for k in models.ShipmentUpdateKind}
