"""Registering event schemas and checking schema changes against the registry.

Compatibility level: FULL_TRANSITIVE on every subject. FULL because producers and the four
consumer services deploy independently, in any order: a consumer on the old schema must read
new messages (forward) and a consumer on the new schema must read old ones (backward). TRANSITIVE
because replaying from old offsets makes a consumer read messages written with any earlier
version, not only the previous one. In practice: add fields only with defaults, remove only
fields that have defaults, never change a field's type, add enum symbols (the enum default
covers old readers).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from schemas.compatibility import incompatibilities
from schemas.exceptions import RegistryError
from schemas.registry_client import NOT_FOUND_CODES, call_registry

COMPATIBILITY_LEVEL = "FULL_TRANSITIVE"

Status = Literal["new", "unchanged", "compatible", "incompatible", "registered"]


@dataclass(frozen=True)
class SubjectSchema:
    """A schema as it should be registered under one subject."""

    subject: str
    record_name: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class SubjectReport:
    subject: str
    status: Status
    schema_id: int | None = None
    version: int | None = None
    reasons: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = f" (id {self.schema_id}, version {self.version})" if self.schema_id is not None else ""
        lines = [f"{self.status:<12} {self.subject}{where}"]
        lines += [f"    - {reason}" for reason in self.reasons]
        return "\n".join(lines)


class SchemaRegistrar:
    """Checks and registers subjects; every call goes to the registry (nothing cached)."""

    def __init__(self, client: SchemaRegistryClient, *, compatibility: str = COMPATIBILITY_LEVEL) -> None:
        self._client = client
        self._compatibility = compatibility

    def check(self, item: SubjectSchema) -> SubjectReport:
        """Would ``item`` register? Changes nothing."""
        schema = Schema(json.dumps(item.schema), "AVRO")
        versions = self._versions(item.subject)
        if not versions:
            return SubjectReport(item.subject, "new")
        existing = self._lookup(item.subject, schema)
        if existing is not None:
            return SubjectReport(item.subject, "unchanged", existing[0], existing[1])
        # Judged by officestream's level, not whatever the subject has: a subject registered by
        # hand with NONE (or none at all) must not let an incompatible change through.
        level = self._compatibility
        registered = [
            (v, call_registry(f"{item.subject} v{v}", self._client.get_version, item.subject, v).schema.schema_str)
            for v in versions
        ]
        reasons = incompatibilities(item.schema, registered, level)
        registry_ok = call_registry(
            f"check {item.subject}", self._client.test_compatibility_all_versions, item.subject, schema
        )
        if not registry_ok and not reasons:
            reasons = [f"the registry reports it incompatible under {level} (it gave no details)"]
        return SubjectReport(item.subject, "incompatible" if reasons else "compatible", reasons=reasons)

    def register(self, item: SubjectSchema) -> SubjectReport:
        """Set the subject's compatibility level, check, and register unless incompatible."""
        self._ensure_level(item.subject)
        report = self.check(item)
        if report.status in ("unchanged", "incompatible"):
            return report
        schema = Schema(json.dumps(item.schema), "AVRO")
        schema_id = call_registry(f"register {item.subject}", self._client.register_schema, item.subject, schema)
        version = self._lookup(item.subject, schema)
        return SubjectReport(item.subject, "registered", schema_id, version[1] if version else None)

    def _versions(self, subject: str) -> list[int]:
        try:
            return sorted(call_registry(f"versions of {subject}", self._client.get_versions, subject))
        except RegistryError as exc:
            if exc.error_code in NOT_FOUND_CODES:
                return []
            raise

    def _lookup(self, subject: str, schema: Schema) -> tuple[int, int] | None:
        try:
            found = call_registry(f"look up {subject}", self._client.lookup_schema, subject, schema)
        except RegistryError as exc:
            if exc.error_code in NOT_FOUND_CODES:
                return None
            raise
        return found.schema_id, found.version

    def _level(self, subject: str) -> str:
        try:
            return call_registry(f"config of {subject}", self._client.get_compatibility, subject)
        except RegistryError as exc:
            if exc.error_code in NOT_FOUND_CODES or exc.error_code == 40408:
                return self._compatibility
            raise

    def _ensure_level(self, subject: str) -> None:
        if self._level(subject) != self._compatibility:
            call_registry(f"set {subject} to {self._compatibility}", self._client.set_compatibility, subject, self._compatibility)


def register_all(registrar: SchemaRegistrar, items: Iterable[SubjectSchema]) -> list[SubjectReport]:
    """Register every subject, or none: if any is incompatible, nothing is registered."""
    items = list(items)
    checks = [registrar.check(item) for item in items]
    if any(report.status == "incompatible" for report in checks):
        return checks
    return [registrar.register(item) for item in items]
