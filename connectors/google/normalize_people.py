"""A People API ``Person`` → canonical ``Contact`` (or a ``Deletion`` for ``metadata.deleted``).

The resource name (``people/c123...``) is the id: it is what sync tokens report changes under.
The primary name and organization win; every email address and phone number is kept, with its
type as the label.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from connectors.google.changes import Deletion
from connectors.google.exceptions import NormalizationError
from schemas.models import Contact, ContactEmail, ContactPhone, Provider


def normalize_person(person: Mapping[str, Any]) -> Contact | Deletion:
    """The canonical record for one connection (or its deletion)."""
    if not isinstance(person, Mapping):
        raise NormalizationError("a People person must be a JSON object")
    resource_name = person.get("resourceName")
    if not isinstance(resource_name, str) or not resource_name.startswith("people/"):
        raise NormalizationError("People person has no resourceName of the form people/<id>")
    if (person.get("metadata") or {}).get("deleted"):
        return Deletion(kind="contact", id=resource_name, version_marker=person.get("etag"))
    try:
        return _contact(person, resource_name)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"])) or "person"
        raise NormalizationError(f"People person {resource_name}: {where}: {problem['msg']}") from None
    except (AttributeError, TypeError):
        raise NormalizationError(f"People person {resource_name}: a field has the wrong shape") from None


def _contact(person: Mapping[str, Any], resource_name: str) -> Contact:
    name = _primary(person.get("names"))
    organization = _primary(person.get("organizations"))
    return Contact(
        id=resource_name,
        provider=Provider.google,
        display_name=name.get("displayName"),
        given_name=name.get("givenName"),
        family_name=name.get("familyName"),
        emails=[
            ContactEmail(address=entry["value"], label=entry.get("type"), is_primary=_is_primary(entry))
            for entry in person.get("emailAddresses") or []
            if entry.get("value")
        ],
        phones=[
            ContactPhone(number=entry["value"], label=entry.get("type"))
            for entry in person.get("phoneNumbers") or []
            if entry.get("value")
        ],
        organization=organization.get("name"),
        job_title=organization.get("title"),
        version_marker=person.get("etag"),
        updated_at=_update_time(person, resource_name),
    )


def _update_time(person: Mapping[str, Any], resource_name: str) -> datetime | None:
    """When the contact last changed: its ``CONTACT`` source's ``updateTime`` (a linked profile
    source changes on its own), else the latest of the sources'. Needs ``personFields=metadata``."""
    sources = [source for source in (person.get("metadata") or {}).get("sources") or [] if isinstance(source, Mapping)]
    chosen = [source for source in sources if source.get("type") == "CONTACT"] or sources
    times = []
    for source in chosen:
        if source.get("updateTime"):
            try:
                times.append(datetime.fromisoformat(source["updateTime"]).astimezone(UTC))
            except (TypeError, ValueError):
                raise NormalizationError(f"People person {resource_name}: metadata.sources[].updateTime is not RFC 3339") from None
    return max(times, default=None)


def _primary(entries: Sequence[Mapping[str, Any]] | None) -> Mapping[str, Any]:
    """The entry marked primary, else the first, else nothing."""
    if not entries:
        return {}
    return next((entry for entry in entries if _is_primary(entry)), entries[0])


def _is_primary(entry: Mapping[str, Any]) -> bool:
    return bool((entry.get("metadata") or {}).get("primary"))
