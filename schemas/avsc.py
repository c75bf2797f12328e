"""Loading the ``.avsc`` files, the source of truth, into standalone schemas.

Each named type lives in its own file named by its full name (``io.officestream.Email.avsc``);
fastavro's ``load_schema`` resolves references between them, defining each named type at its
first use and referring to it by name afterwards. The result is one self-contained schema per
event, which is what gets registered: any Confluent-ecosystem client can then read officestream's
events with nothing but the registry URL, without schema references.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from fastavro._schema_common import SchemaParseException
from fastavro.schema import UnknownType, load_schema

from schemas.exceptions import SchemaFileError

AVRO_DIR = Path(__file__).parent / "avro"


def load_avsc(path: Path) -> dict[str, Any]:
    """One ``.avsc`` file with its references inlined; SchemaFileError names what is wrong."""
    try:
        raw = json.loads(path.read_text())
        _require_fields(path, raw)
        schema = load_schema(str(path), _write_hint=False)
    except json.JSONDecodeError as exc:
        raise SchemaFileError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    except UnknownType as exc:
        raise SchemaFileError(f"{path.name}: refers to unknown type {exc.name} (no {exc.name}.avsc beside it)") from exc
    except (SchemaParseException, KeyError, TypeError, ValueError) as exc:
        raise SchemaFileError(f"{path.name}: not a valid Avro schema: {exc}") from exc
    if not isinstance(schema, dict):
        raise SchemaFileError(f"{path.name}: a top-level schema must be a named type, got {type(schema).__name__}")
    return schema


def _require_fields(path: Path, raw: Any) -> None:
    # fastavro accepts a record without "fields"; the Avro specification does not.
    if isinstance(raw, dict) and raw.get("type") == "record" and not isinstance(raw.get("fields"), list):
        raise SchemaFileError(f"{path.name}: record {raw.get('name')} has no 'fields' list")


def is_event(schema: dict[str, Any]) -> bool:
    """Events are the records with a ``metadata`` field; they are what topics carry."""
    return schema.get("type") == "record" and any(f["name"] == "metadata" for f in schema.get("fields", []))


def load_event_schemas(directory: Path = AVRO_DIR) -> dict[str, dict[str, Any]]:
    """Every event schema in ``directory`` by full name."""
    if not directory.is_dir():
        raise SchemaFileError(f"{directory}: no such schema directory")
    schemas = {}
    for path in sorted(directory.glob("*.avsc")):
        schema = load_avsc(path)
        if is_event(schema):
            schemas[schema["name"]] = schema
    if not schemas:
        raise SchemaFileError(f"{directory}: no event schemas (*.avsc records with a metadata field)")
    return schemas


@cache
def project_schema(full_name: str) -> dict[str, Any]:
    """The project's own schema for one named type (cached: read once per process)."""
    path = AVRO_DIR / f"{full_name}.avsc"
    if not path.is_file():
        raise SchemaFileError(f"no schema file for {full_name} in {AVRO_DIR}")
    return load_avsc(path)
