"""Graph ``contact`` JSON (a personal contact) to the canonical ``Contact``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.microsoft.payload import (
    building,
    instant,
    objects,
    require_object,
    required_text,
    strings,
    text,
)
from schemas.models import Contact, ContactEmail, ContactPhone, Provider

WHAT = "contact"


def normalize_contact(payload: object) -> Contact:
    contact = require_object(payload, WHAT)
    with building(WHAT):
        return Contact(
            id=required_text(contact, "id", WHAT),
            provider=Provider.microsoft,
            display_name=text(contact, "displayName", WHAT),
            given_name=text(contact, "givenName", WHAT),
            family_name=text(contact, "surname", WHAT),
            emails=_emails(contact),
            phones=_phones(contact),
            organization=text(contact, "companyName", WHAT),
            job_title=text(contact, "jobTitle", WHAT),
            version_marker=text(contact, "changeKey", WHAT),
            updated_at=instant(contact, "lastModifiedDateTime", WHAT),
        )


def _emails(contact: Mapping[str, Any]) -> list[ContactEmail]:
    """Graph lists a contact's addresses in the order Outlook shows them (Email, Email 2,
    Email 3): the first is the primary. v1.0 carries no type; a ``type`` (beta) becomes the label."""
    found: list[ContactEmail] = []
    for index, item in enumerate(objects(contact, "emailAddresses", WHAT)):
        what = f"{WHAT}.emailAddresses[{index}]"
        address = text(item, "address", what)
        if address:
            found.append(ContactEmail(address=address, label=text(item, "type", what), is_primary=not found))
    return found


def _phones(contact: Mapping[str, Any]) -> list[ContactPhone]:
    phones = [ContactPhone(number=number, label="mobile") for number in [text(contact, "mobilePhone", WHAT)] if number]
    phones += [ContactPhone(number=number, label="business") for number in strings(contact, "businessPhones", WHAT)]
    phones += [ContactPhone(number=number, label="home") for number in strings(contact, "homePhones", WHAT)]
    return phones


__all__ = ["normalize_contact"]
