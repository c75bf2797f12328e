"""Graph personal contacts become canonical Contacts."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.normalize import RemovedItem, normalize
from schemas.models import Contact, ContactEmail, ContactPhone, Provider
from tests.unit.microsoft.graph_samples import CONTACT


def test_contact_with_several_emails_and_phones() -> None:
    expected = Contact(
        id="AAMkAGI2THk0AAA=",
        provider=Provider.microsoft,
        display_name="Pavel Bansky",
        given_name="Pavel",
        family_name="Bansky",
        emails=[
            ContactEmail(address="pavelb@contoso.onmicrosoft.com", is_primary=True),
            ContactEmail(address="pavel@home.example", is_primary=False),
        ],
        phones=[
            ContactPhone(number="+1 206 555 0110", label="mobile"),
            ContactPhone(number="+1 732 555 0102", label="business"),
            ContactPhone(number="+1 732 555 0103", label="business"),
            ContactPhone(number="+1 732 555 0199", label="home"),
        ],
        organization="Contoso",
        job_title="Product Manager",
        version_marker="EQAAABYAAACDjsx6v3Z6RJsAUjz5lgPTAAA4gPy+",
        updated_at=dt.datetime(2019, 8, 9, 23, 57, 3, tzinfo=dt.UTC),
    )
    assert normalize("contact", CONTACT) == expected


def test_removed_contact_becomes_a_delete_marker() -> None:
    assert normalize("contact", {"id": "c1", "@removed": {}}) == RemovedItem(kind="contact", id="c1", reason="deleted")


def test_malformed_removed_marker_is_refused() -> None:
    with pytest.raises(NormalizationError, match="'@removed' must be an object"):
        normalize("contact", {"id": "c1", "@removed": "yes"})


def test_phone_list_of_numbers_is_required() -> None:
    with pytest.raises(NormalizationError, match="'businessPhones' must be a list of strings"):
        normalize("contact", {**CONTACT, "businessPhones": "+1 732 555 0102"})


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(NormalizationError, match="unknown kind 'note'"):
        normalize("note", {"id": "x"})  # type: ignore[arg-type]
