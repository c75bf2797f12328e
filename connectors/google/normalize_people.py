"""A People API ``Person`` → canonical ``Contact`` (or a ``Deletion`` for ``metadata.deleted``).

The resource name (``people/c123...``) is the id: it is what sync tokens report changes under.
The primary name and organization win. A person merges several sources (the saved contact, the
person's Google profile, a domain profile), and each source lists its own copy of an address or
a phone number: each address (compared without case) and each number (compared by its digits,
``canonicalForm`` first) is kept once, as the primary entry has it when one of the copies is
the primary, with its type as the label.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import ValidationError

from connectors.google.changes import Deletion
from connectors.google.exceptions import NormalizationError
from connectors.google.fields import FIELDS, model_error
from connectors.payload_fields import nesting_guard
from schemas.models import Contact, ContactEmail, ContactPhone, Provider

Entry = TypeVar("Entry", ContactEmail, ContactPhone)


def normalize_person(person: Mapping[str, Any]) -> Contact | Deletion:
    """The canonical record for one connection (or its deletion)."""
    if not isinstance(person, Mapping):
        raise NormalizationError("a People person must be a JSON object")
    resource_name = person.get("resourceName")
    if not isinstance(resource_name, str) or not resource_name.startswith("people/"):
        raise NormalizationError("People person has no resourceName of the form people/<id>")
    what = f"People person {resource_name}"
    with nesting_guard(person, what, NormalizationError):
        metadata = FIELDS.child(person, "metadata", what)
        if FIELDS.flag(metadata, "deleted", f"{what}.metadata"):
            return Deletion(kind="contact", id=resource_name, version_marker=FIELDS.text(person, "etag", what))
        try:
            return _contact(person, resource_name, metadata, what)
        except ValidationError as exc:
            raise model_error(what, exc) from None


def _contact(person: Mapping[str, Any], resource_name: str, metadata: Mapping[str, Any], what: str) -> Contact:
    name = _primary(person, "names", what)
    organization = _primary(person, "organizations", what)
    return Contact(
        id=resource_name,
        provider=Provider.google,
        display_name=FIELDS.text(name, "displayName", f"{what}.names"),
        given_name=FIELDS.text(name, "givenName", f"{what}.names"),
        family_name=FIELDS.text(name, "familyName", f"{what}.names"),
        emails=_emails(person, what),
        phones=_phones(person, what),
        organization=FIELDS.text(organization, "name", f"{what}.organizations"),
        job_title=FIELDS.text(organization, "title", f"{what}.organizations"),
        version_marker=FIELDS.text(person, "etag", what),
        updated_at=_update_time(metadata, what),
    )


def _emails(person: Mapping[str, Any], what: str) -> list[ContactEmail]:
    found = []
    for where, address, entry in _listed(person, "emailAddresses", what):
        primary = _is_primary(entry, where)
        email = ContactEmail(address=address, label=FIELDS.text(entry, "type", where), is_primary=primary)
        found.append((address.strip().casefold(), primary, email))
    return _once_each(found)


def _phones(person: Mapping[str, Any], what: str) -> list[ContactPhone]:
    found = []
    for where, number, entry in _listed(person, "phoneNumbers", what):
        digits = "".join(filter(str.isdigit, FIELDS.text(entry, "canonicalForm", where) or number))
        phone = ContactPhone(number=number, label=FIELDS.text(entry, "type", where))
        found.append((digits or number.strip().casefold(), _is_primary(entry, where), phone))
    return _once_each(found)


def _listed(person: Mapping[str, Any], key: str, what: str) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(where, value, entry) for each entry of ``key`` that has a value."""
    for index, entry in enumerate(FIELDS.objects(person, key, what)):
        where = f"{what}.{key}[{index}]"
        value = FIELDS.text(entry, "value", where)
        if value:
            yield where, value, entry


def _once_each(entries: list[tuple[str, bool, Entry]]) -> list[Entry]:
    """One entry per key, where the key first appears: the primary copy when there is one,
    else the first; a copy without a label takes the label of another."""
    kept: dict[str, tuple[bool, Entry]] = {}
    for key, primary, entry in entries:
        if key not in kept:
            kept[key] = (primary, entry)
            continue
        kept_primary, kept_entry = kept[key]
        winner, other = (entry, kept_entry) if primary and not kept_primary else (kept_entry, entry)
        if not winner.label and other.label:
            winner = winner.model_copy(update={"label": other.label})
        kept[key] = (primary or kept_primary, winner)
    return [entry for _, entry in kept.values()]


def _update_time(metadata: Mapping[str, Any], what: str) -> datetime | None:
    """When the contact last changed: its ``CONTACT`` source's ``updateTime`` (a linked profile
    source changes on its own), else the latest of the sources'. Needs ``personFields=metadata``."""
    sources = FIELDS.objects(metadata, "sources", f"{what}.metadata")
    chosen = [source for source in sources if source.get("type") == "CONTACT"] or sources
    times = []
    for source in chosen:
        raw = FIELDS.text(source, "updateTime", f"{what}.metadata.sources[]")
        if raw:
            try:
                times.append(datetime.fromisoformat(raw).astimezone(UTC))
            except (ValueError, OverflowError):
                raise NormalizationError(f"{what}.metadata.sources[].updateTime is not RFC 3339") from None
    return max(times, default=None)


def _primary(person: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    """The entry of ``key`` marked primary, else the first, else nothing."""
    entries = FIELDS.objects(person, key, what)
    if not entries:
        return {}
    return next((entry for index, entry in enumerate(entries) if _is_primary(entry, f"{what}.{key}[{index}]")), entries[0])


def _is_primary(entry: Mapping[str, Any], where: str) -> bool:
    return FIELDS.flag(FIELDS.child(entry, "metadata", where), "primary", f"{where}.metadata")
