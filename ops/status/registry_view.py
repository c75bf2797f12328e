"""Registry subjects with their latest version and compatibility level."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from confluent_kafka.schema_registry import SchemaRegistryClient

from schemas.exceptions import RegistryError
from schemas.registry_client import NOT_FOUND_CODES, call_registry, list_subjects

#: Registry error code: the subject has no compatibility level of its own (the global one applies).
SUBJECT_LEVEL_NOT_CONFIGURED = 40408
#: Subjects read at once: one registry call each, so a registry with many stays quick to list.
PARALLEL_READS = 8


@dataclass(frozen=True)
class SubjectStatus:
    subject: str
    version: int
    schema_id: int
    #: The level that applies, and whether it is the subject's own or the registry's default.
    compatibility: str
    compatibility_source: str


def subject_statuses(client: SchemaRegistryClient, prefix: str) -> list[SubjectStatus]:
    """Every subject under ``prefix`` (a topic prefix: subjects are ``{topic}-{record}``)."""
    subjects = list_subjects(client, prefix)
    if not subjects:
        return []
    default = call_registry("global compatibility", client.get_compatibility)
    with ThreadPoolExecutor(PARALLEL_READS) as pool:
        found = pool.map(lambda subject: _subject_status(client, subject, default), subjects)
        return [status for status in found if status is not None]


def _subject_status(client: SchemaRegistryClient, subject: str, default: str) -> SubjectStatus | None:
    """None when the subject was deleted since it was listed."""
    try:
        latest = call_registry(f"latest version of {subject}", client.get_latest_version, subject)
    except RegistryError as exc:
        if exc.error_code in NOT_FOUND_CODES:
            return None
        raise
    try:
        level, source = call_registry(f"compatibility of {subject}", client.get_compatibility, subject), "subject"
    except RegistryError as exc:
        if exc.error_code not in (SUBJECT_LEVEL_NOT_CONFIGURED, *NOT_FOUND_CODES):
            raise
        level, source = default, "global"
    return SubjectStatus(subject, latest.version, latest.schema_id, level, source)
