"""Reading typed fields out of Graph JSON, with errors that say which field is wrong (the
generic readers come from ``connectors.payload_fields``; the Graph shapes are here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from connectors.microsoft.exceptions import NormalizationError
from connectors.payload_fields import FieldReader, shown
from schemas.models import Address


_FIELDS = FieldReader(NormalizationError)
require_object = _FIELDS.require_object
text = _FIELDS.text
flag = _FIELDS.flag
objects = _FIELDS.objects
strings = _FIELDS.strings


def required_text(payload: Mapping[str, Any], key: str, what: str) -> str:
    value = text(payload, key, what)
    if value is None:
        raise NormalizationError(f"{what}: field {key!r} is missing or empty")
    return value


def instant(payload: Mapping[str, Any], key: str, what: str) -> dt.datetime | None:
    """An ``Edm.DateTimeOffset`` (``2019-02-04T19:58:32Z``) as an aware UTC datetime."""
    raw = text(payload, key, what)
    if raw is None:
        return None
    parsed = parse_iso(raw, f"{what}.{key}")
    if parsed.tzinfo is None:
        raise NormalizationError(f"{what}: field {key!r} has no UTC offset: {shown(raw)}")
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # "0001-01-01T00:00:00+01:00" is before the first representable UTC instant
        raise NormalizationError(f"{what}: field {key!r} is out of range: {shown(raw)}") from None


def parse_iso(raw: str, what: str) -> dt.datetime:
    # Graph writes up to 7 fractional digits ("2017-04-15T12:00:00.0000000"); Python reads 6.
    head, dot, tail = raw.partition(".")
    if dot:
        digits = len(tail) - len(tail.lstrip("0123456789"))
        tail = tail[:min(digits, 6)] + tail[digits:]
        raw = f"{head}.{tail}" if tail[:1].isdigit() else head + tail
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise NormalizationError(f"{what}: not an ISO 8601 date-time: {shown(raw)}") from exc


def email_address(recipient: Mapping[str, Any], what: str) -> Address | None:
    """A Graph ``recipient`` (``{"emailAddress": {"name", "address"}}``); None without an address
    (Exchange sometimes sends a display name only, e.g. for a deleted distribution list)."""
    inner = require_object(recipient.get("emailAddress") or {}, f"{what}.emailAddress")
    address = text(inner, "address", f"{what}.emailAddress")
    if address is None:
        return None
    return Address(email=address, name=text(inner, "name", f"{what}.emailAddress"))


def recipients(payload: Mapping[str, Any], key: str, what: str) -> list[Address]:
    found = (email_address(item, f"{what}.{key}[{index}]") for index, item in enumerate(objects(payload, key, what)))
    return [address for address in found if address is not None]


@contextmanager
def building(what: str) -> Iterator[None]:
    """Turn a canonical model's ValidationError into a NormalizationError naming the fields."""
    try:
        yield
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in error['loc']) or what}: {error['msg']}" for error in exc.errors())
        raise NormalizationError(f"{what}: {problems}") from exc
