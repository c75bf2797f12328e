"""A schema file that does not parse is refused with a message naming the file and the fault."""

from __future__ import annotations

import json
import shutil

import pytest

from schemas.avsc import AVRO_DIR, load_avsc, load_event_schemas
from schemas.exceptions import SchemaFileError


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_invalid_json_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "x.A.avsc", '{"type": "record",\n "name": }')
    with pytest.raises(SchemaFileError, match=r"x.A.avsc: not valid JSON \(line 2, column 10\)"):
        load_avsc(path)


def test_reference_to_a_missing_type_names_it(tmp_path):
    path = write(tmp_path, "x.A.avsc", {"type": "record", "name": "A", "namespace": "x", "fields": [{"name": "b", "type": "x.Missing"}]})
    with pytest.raises(SchemaFileError, match=r"x.A.avsc: refers to unknown type x.Missing"):
        load_avsc(path)


def test_invalid_avro_is_refused(tmp_path):
    path = write(tmp_path, "x.E.avsc", {"type": "enum", "name": "E", "namespace": "x", "symbols": ["a", "a"]})
    with pytest.raises(SchemaFileError, match=r"x.E.avsc: not a valid Avro schema: .*unique"):
        load_avsc(path)


def test_default_of_the_wrong_type_is_refused(tmp_path):
    schema = {"type": "record", "name": "A", "namespace": "x", "fields": [{"name": "n", "type": "int", "default": "one"}]}
    with pytest.raises(SchemaFileError, match=r"x.A.avsc: not a valid Avro schema: Default value <one>"):
        load_avsc(write(tmp_path, "x.A.avsc", schema))


def test_record_without_fields_is_refused(tmp_path):
    with pytest.raises(SchemaFileError, match=r"record A has no 'fields' list"):
        load_avsc(write(tmp_path, "x.A.avsc", {"type": "record", "name": "A", "namespace": "x"}))


def test_a_directory_without_events_or_missing_is_refused(tmp_path):
    with pytest.raises(SchemaFileError, match="no such schema directory"):
        load_event_schemas(tmp_path / "nope")
    shutil.copy(AVRO_DIR / "io.officestream.Address.avsc", tmp_path)
    with pytest.raises(SchemaFileError, match="no event schemas"):
        load_event_schemas(tmp_path)
