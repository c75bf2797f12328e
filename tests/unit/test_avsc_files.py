"""The .avsc files follow the house rules that keep evolution safe and the contract readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.avsc import AVRO_DIR, load_avsc, load_event_schemas

FILES = sorted(AVRO_DIR.glob("*.avsc"))
RAW = {path.name: json.loads(path.read_text()) for path in FILES}


def test_there_is_a_schema_for_every_event_of_the_design():
    names = {name.rsplit(".", 1)[1] for name in load_event_schemas()}
    assert {
        "EmailBackfillEvent", "EmailUpdateEvent", "CalendarUpdateEvent", "CalendarBatchEvent", "ContactUpdateEvent",
        "ContactBatchEvent", "IntegrationConnectedEvent", "IntegrationNeedsReauthEvent", "BackfillProgressEvent",
        "BackfillCompletedEvent",
    } <= names


@pytest.mark.parametrize("name", list(RAW))
def test_file_is_named_by_the_full_name_it_defines(name):
    raw = RAW[name]
    assert name == f"{raw['namespace']}.{raw['name']}.avsc"
    assert raw["doc"].strip()


@pytest.mark.parametrize("name", list(RAW))
def test_every_field_has_a_doc_and_optional_fields_default_to_null(name):
    for field in RAW[name].get("fields", []):
        assert field.get("doc", "").strip(), f"{name}: field {field['name']} has no doc"
        if isinstance(field["type"], list):
            assert field["type"][0] == "null" and field.get("default", "missing") is None, (
                f"{name}: optional field {field['name']} must be ['null', ...] with default null"
            )


@pytest.mark.parametrize("name", [n for n, raw in RAW.items() if raw["type"] == "enum"])
def test_enums_have_a_default_symbol_for_readers_that_do_not_know_a_new_one(name):
    raw = RAW[name]
    assert raw.get("default") in raw["symbols"]


@pytest.mark.parametrize("record", ["Email", "CalendarEvent", "Contact"])
def test_canonical_records_carry_a_provider_version_marker(record):
    fields = {f["name"] for f in RAW[f"io.officestream.{record}.avsc"]["fields"]}
    assert "version_marker" in fields


def test_attachments_never_carry_bytes():
    def types(schema):
        if isinstance(schema, dict):
            for value in schema.values():
                yield from types(value)
        elif isinstance(schema, list):
            for value in schema:
                yield from types(value)
        elif isinstance(schema, str):
            yield schema

    assert "bytes" not in set(types(load_avsc(Path(AVRO_DIR / "io.officestream.Email.avsc"))))


def test_event_schemas_are_standalone_for_registration():
    # Each named type is defined once, then referred to by name: no schema references needed.
    schema = load_event_schemas()["io.officestream.CalendarBatchEvent"]
    text = json.dumps(schema)
    assert text.count('"name": "io.officestream.EventTime"') == 1
    assert '"io.officestream.EventTime"' in text.replace('"name": "io.officestream.EventTime"', "")
