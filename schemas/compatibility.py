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
_DIRECTIONS = {
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
                reasons.append(_describe(direction, version, result))
    return reasons


def _describe(direction: str, version: int, result: Any) -> str:
    who = (
        f"new schema cannot read data written with version {version}"
        if direction == "backward"
        else f"readers on version {version} cannot read data written with the new schema"
    )
    kinds = ", ".join(sorted(kind.value for kind in result.incompatibilities))
    details = "; ".join(sorted(result.messages))
    where = ", ".join(sorted(result.locations))
    return f"{who}: {kinds} at {where} ({details})"
