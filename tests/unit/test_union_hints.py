"""Naming the branch of optional records for fastavro (``schemas/union_hints.py``): the bytes
written are exactly those of an unhinted write, for every event type, and the caller's datum is
left as it was."""

from __future__ import annotations

import copy
import io
from typing import Any

import fastavro
import pytest

from schemas.avsc import project_schema
from schemas.models import ChangeType
from schemas.union_hints import UnionHints
from tests import factories


def written(schema: Any, datum: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, datum)
    return buffer.getvalue()


EVENTS = [*factories.one_of_each_event(), factories.email_update(ChangeType.deleted),
          factories.email_update().model_copy(update={"email": None, "email_ref": factories.payload_ref()})]


@pytest.mark.parametrize("event", EVENTS, ids=lambda event: type(event).__name__)
def test_every_event_is_written_byte_for_byte_as_without_hints(event):
    schema_json = project_schema(event.avro_name)
    parsed, hints = fastavro.parse_schema(schema_json), UnionHints(schema_json)
    datum = event.to_avro()
    before = copy.deepcopy(datum)
    assert written(parsed, hints(datum)) == written(parsed, datum)
    assert datum == before  # the caller's datum is not rewritten in place


def test_an_optional_record_is_named_and_so_are_optional_records_inside_it():
    schema_json = project_schema("io.officestream.EmailUpdateEvent")
    hinted = UnionHints(schema_json)(factories.email_update().to_avro())
    name, email = hinted["email"]
    assert name == "io.officestream.Email"
    assert email["from_address"][0] == "io.officestream.Address"
    assert isinstance(email["to"][0], dict)  # an array's records are no union: left as they are
    assert hinted["email_ref"] is None and isinstance(hinted["metadata"], dict)


def test_unions_with_a_choice_to_make_are_left_to_fastavro():
    schema = {
        "type": "record", "name": "test.Holder",
        "fields": [
            {"name": "either", "type": ["null", {"type": "record", "name": "test.A", "fields": [{"name": "a", "type": "int"}]},
                                        {"type": "record", "name": "test.B", "fields": [{"name": "b", "type": "string"}]}]},
            {"name": "text", "type": ["null", "string"]},
            {"name": "record_or_text", "type": ["null", "test.A", "string"]},
        ],
    }
    hints = UnionHints(schema)
    datum = {"either": {"b": "x"}, "text": "t", "record_or_text": {"a": 1}}
    assert hints(datum) is datum  # nothing to rewrite: the same object back
    assert written(fastavro.parse_schema(schema), hints(datum)) == written(fastavro.parse_schema(schema), datum)


def test_a_recursive_record_is_named_at_every_depth():
    schema = {
        "type": "record", "name": "test.Node", "namespace": "test",
        "fields": [{"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"]},
                   {"name": "children", "type": {"type": "map", "values": "Node"}}],
    }
    chain = {"value": 1, "children": {}, "next": {"value": 2, "children": {"c": {"value": 4, "next": None, "children": {}}},
                                                  "next": {"value": 3, "next": None, "children": {}}}}
    hinted = UnionHints(schema)(chain)
    assert hinted["next"][0] == "test.Node" and hinted["next"][1]["next"][0] == "test.Node"
    assert hinted["next"][1]["children"]["c"]["next"] is None
    parsed = fastavro.parse_schema(schema)
    assert written(parsed, hinted) == written(parsed, chain)
