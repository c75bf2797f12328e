"""Explaining why a schema change is incompatible, with Apache Avro's own checker.

The registry gives the verdict, but Apicurio's Confluent-compatible API answers only
``is_compatible: false`` without saying why, and Apicurio does not enforce compatibility on
registration unless a rule is configured. So the verdict is also computed locally with
``avro.compatibility`` (the reference implementation's reader/writer rules) against every
registered version, which both refuses an incompatible schema on any registry and tells the
author which field broke what.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

#: Confluent compatibility levels officestream may use, and the directions each one checks.
_DIRECTIONS: dict[str, tuple[str, ...]] = {
    "NONE": (),
    "BACKWARD": ("backward",),
    "BACKWARD_TRANSITIVE": ("backward",),
    "FORWARD": ("forward",),
    "FORWARD_TRANSITIVE": ("forward",),
    "FULL": ("backward", "forward"),
    "FULL_TRANSITIVE": ("backward", "forward"),
}


def incompatibilities(candidate: dict[str, Any], registered: Iterable[tuple[int, str]], level: str) -> list[str]:
    """Reasons ``candidate`` breaks ``level`` against ``registered`` (version, schema string)
    pairs, newest last; empty when it is compatible. Non-transitive levels check the newest only."""
    versions = list(registered)
    if not level.endswith("_TRANSITIVE"):
        versions = versions[-1:]
    new = avro.schema.parse(json.dumps(candidate))
    checker = ReaderWriterCompatibilityChecker()
    reasons = []
    for version, schema_str in versions:
        old = avro.schema.parse(schema_str)
        for direction in _DIRECTIONS[level]:
            reader, writer = (new, old) if direction == "backward" else (old, new)
            result = checker.get_compatibility(reader, writer)
            if result.compatibility is not SchemaCompatibilityType.compatible:
                reader_json = candidate if direction == "backward" else json.loads(schema_str)
                reasons.append(_describe(direction, version, result, reader_json))
    return reasons


def _describe(direction: str, version: int, result: Any, reader_json: Any) -> str:
    who = (
        f"new schema cannot read data written with version {version}"
        if direction == "backward"
        else f"readers on version {version} cannot read data written with the new schema"
    )
    kinds = ", ".join(sorted(kind.value for kind in result.incompatibilities))
    details = "; ".join(sorted(result.messages))
    where = ", ".join(sorted(field_path(reader_json, loc) for loc in result.locations if loc != "/"))
    return f"{who}: {kinds} at {where or 'the top level'} ({details})"


def field_path(schema: Any, location: str) -> str:
    """Turn the checker's location (``/fields/4/type/items/fields/10/type/1``) into the field
    path a schema author reads (``emails[].subject``); the raw location when it cannot."""
    named = _named_types(schema, {})
    node, path = schema, []
    parts = [p for p in location.split("/") if p]
    try:
        i = 0
        while i < len(parts):
            node = named.get(node, node) if isinstance(node, str) else node
            part = parts[i]
            if part == "fields":
                node = node["fields"][int(parts[i + 1])]
                path.append(node["name"])
                i += 2
                continue
            if part in ("type", "items", "values"):
                node = node[part]
                if part == "items":
                    path[-1] += "[]"
            elif part.isdigit() and isinstance(node, list):
                node = node[int(part)]
            i += 1
    except (KeyError, IndexError, TypeError, ValueError):
        return location
    return ".".join(path) or location


def _named_types(schema: Any, found: dict[str, Any], namespace: str = "") -> dict[str, Any]:
    if isinstance(schema, list):
        for branch in schema:
            _named_types(branch, found, namespace)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "enum", "fixed") and "name" in schema:
            namespace = schema.get("namespace", namespace)
            name = schema["name"]
            full = name if "." in name or not namespace else f"{namespace}.{name}"
            found[full] = found[name] = schema
        for field in schema.get("fields", []):
            _named_types(field.get("type"), found, namespace)
        for key in ("type", "items", "values"):
            if isinstance(schema.get(key), (dict, list)):
                _named_types(schema[key], found, namespace)
    return found
