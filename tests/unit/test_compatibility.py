"""Local compatibility explanations follow Avro's reader/writer rules for each level."""

from __future__ import annotations

import json

from schemas.compatibility import field_path, incompatibilities


def record(*fields):
    return {"type": "record", "name": "A", "namespace": "x", "fields": list(fields)}


V1 = record({"name": "a", "type": "string"}, {"name": "n", "type": "int"})
REGISTERED = [(1, json.dumps(V1))]


def test_adding_an_optional_field_with_a_default_is_fully_compatible():
    v2 = record(*V1["fields"], {"name": "c", "type": ["null", "string"], "default": None})
    assert incompatibilities(v2, REGISTERED, "FULL_TRANSITIVE") == []


def test_adding_a_field_without_default_breaks_backward():
    v2 = record(*V1["fields"], {"name": "c", "type": "string"})
    [reason] = incompatibilities(v2, REGISTERED, "FULL_TRANSITIVE")
    assert reason.startswith("new schema cannot read data written with version 1")
    assert "reader_field_missing_default_value at c (c)" in reason


def test_removing_a_field_without_default_breaks_forward():
    v2 = record(V1["fields"][0])
    [reason] = incompatibilities(v2, REGISTERED, "FULL_TRANSITIVE")
    assert reason.startswith("readers on version 1 cannot read data written with the new schema")
    assert "(n)" in reason


def test_changing_a_type_breaks_both_directions():
    v2 = record(V1["fields"][0], {"name": "n", "type": "string"})
    reasons = incompatibilities(v2, REGISTERED, "FULL_TRANSITIVE")
    assert len(reasons) == 2 and all("type_mismatch at n (" in r for r in reasons)


def test_transitive_levels_check_every_version_and_plain_levels_only_the_latest():
    v2 = record(V1["fields"][0], {"name": "n", "type": "int", "default": 0})
    v3 = record(V1["fields"][0])  # drops n: fine against v2 (it had a default), not against v1
    history = [*REGISTERED, (2, json.dumps(v2))]
    assert incompatibilities(v3, history, "FULL") == []
    assert [r.split(":")[0] for r in incompatibilities(v3, history, "FULL_TRANSITIVE")] == [
        "readers on version 1 cannot read data written with the new schema"
    ]


def test_locations_are_translated_to_field_paths_through_named_types():
    inner = {"type": "record", "name": "Inner", "namespace": "x", "fields": [{"name": "s", "type": ["null", "string"]}]}
    schema = record({"name": "first", "type": inner}, {"name": "many", "type": {"type": "array", "items": "x.Inner"}})
    assert field_path(schema, "/fields/1/type/items/fields/0/type/1") == "many[].s"
    assert field_path(schema, "/fields/9") == "/fields/9"
