"""What a person reads about a notification: a headline, a detail line, and for packages the
carrier's name, its tracking page and the status history in words.

Computed from a notification's kind and payload alone (no clock, no state), so the same event
reads the same on every instance and every replay, like its id. Times stay ISO strings here:
only the browser knows its user's time zone and locale, so the page formats them
(``Display.when``, ``Step.at``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

#: The carriers' public tracking pages; ``{}`` is the URL-quoted tracking number. Carriers
#: without one (``postal``: any national post, ``unknown``) get no link.
TRACKING_URLS = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={}",
    "amazon": "https://track.amazon.com/tracking/{}",
}
CARRIER_NAMES = {
    "ups": "UPS", "fedex": "FedEx", "usps": "USPS", "dhl": "DHL", "amazon": "Amazon", "postal": "Postal service",
}
SHIPMENT_STATUSES = {
    "ordered": "Ordered",
    "shipped": "Shipped",
    "in_transit": "In transit",
    "out_for_delivery": "Out for delivery",
    "exception": "Delivery problem",
    "delivered": "Delivered",
    "found": "Tracking number found",
    "created": "Tracking number found",
}
#: Doc types as the payloads name them (``DocType``), singular and plural.
DOC_NOUNS = {"email": ("email", "emails"), "calendar_event": ("event", "events"), "contact": ("contact", "contacts")}
_CHANGES = {"created": "New {}", "updated": "{} changed", "deleted": "{} deleted"}


class Step(BaseModel):
    """One entry of a package's status history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    at: str


class Display(BaseModel):
    """The words of one notification (module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    headline: str
    detail: str | None = None
    #: When the thing described happens (a meeting's start), ISO datetime or date.
    when: str | None = None
    all_day: bool = False
    #: Packages: the carrier's name and tracking page, the status history oldest first.
    carrier: str | None = None
    url: str | None = None
    history: tuple[Step, ...] = ()


def tracking_url(carrier: str | None, tracking_number: str) -> str | None:
    """The carrier's public tracking page for ``tracking_number``, if the carrier has one."""
    template = TRACKING_URLS.get(carrier or "")
    return template.format(quote(tracking_number, safe="")) if template else None


def status_label(status: str | None) -> str:
    if not status:
        return "Tracking number found"
    return SHIPMENT_STATUSES.get(status, status.replace("_", " ").capitalize())


def _int(value: Any) -> int:
    # Another service's payload is only checked to be JSON: a count may be missing or odd.
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def count_of(n: int, doc_type: str) -> str:
    """``1 email``, ``1,200 emails``; an unknown doc type counts ``items``."""
    singular, plural = DOC_NOUNS.get(doc_type, ("item", "items"))
    return f"{n:,} {singular if n == 1 else plural}"


def display_for(kind: str, payload: Mapping[str, Any]) -> Display:
    """The words for a notification of ``kind`` with ``payload`` (the notifier's payloads)."""
    family, _, change = kind.partition(".")
    describe = _BY_FAMILY.get(family)
    if describe is not None:
        shown = describe(change, payload)
        if shown is not None:
            return shown
    return Display(headline=kind.replace(".", " ").replace("_", " ").capitalize())


def _change_headline(change: str, noun: str) -> str:
    return _CHANGES.get(change, "{} changed").format(noun).capitalize()


def _joined(*parts: object) -> str | None:
    text = " · ".join(str(part) for part in parts if part)
    return text or None


def _email(change: str, payload: Mapping[str, Any]) -> Display | None:
    if change == "backfill":
        return _batch(payload, "email")
    sender = payload.get("from") or {}
    who = sender.get("name") or sender.get("email") if isinstance(sender, Mapping) else None
    return Display(headline=_change_headline(change, "email"), detail=_joined(payload.get("subject"), who and f"from {who}"))


def _calendar(change: str, payload: Mapping[str, Any]) -> Display | None:
    if change == "backfill":
        return _batch(payload, "calendar_event")
    headline = "Event cancelled" if payload.get("status") == "cancelled" else _change_headline(change, "event")
    return Display(headline=headline, detail=payload.get("title"), when=payload.get("start"),
                   all_day=bool(payload.get("is_all_day")))


def _contact(change: str, payload: Mapping[str, Any]) -> Display | None:
    if change == "backfill":
        return _batch(payload, "contact")
    return Display(headline=_change_headline(change, "contact"), detail=payload.get("display_name"))


def _batch(payload: Mapping[str, Any], doc_type: str) -> Display:
    return Display(headline=f"Imported {count_of(_int(payload.get('count')), doc_type)}")


def _meeting(change: str, payload: Mapping[str, Any]) -> Display | None:
    if change == "synced":
        return Display(headline=f"Calendar synced: {count_of(_int(payload.get('count')), 'calendar_event')}")
    if payload.get("record_type") == "tombstone":
        return Display(headline="Meeting removed")
    start = payload.get("start") or {}
    when = (start.get("at") or start.get("date")) if isinstance(start, Mapping) else None
    cancelled = change == "cancelled" or bool(payload.get("is_cancelled"))
    headline = {"created": "Meeting scheduled", "deleted": "Meeting removed"}.get(change, "Meeting changed")
    return Display(
        headline="Meeting cancelled" if cancelled else headline,
        detail=_joined(_text(payload.get("title")), _text(payload.get("location"))),
        when=_text(when), all_day=bool(payload.get("is_all_day")),
    )


def _shipment(change: str, payload: Mapping[str, Any]) -> Display | None:
    number = payload.get("tracking_number")
    if not isinstance(number, str) or not number:
        return None
    carrier = _text(payload.get("carrier"))
    name = CARRIER_NAMES.get(carrier or "")
    history = tuple(
        Step(label=status_label(_text(step.get("status"))), at=str(step.get("at")))
        for step in payload.get("status_history") or () if isinstance(step, Mapping) and step.get("at")
    )
    merchant = _text(payload.get("merchant"))
    return Display(
        headline=status_label(_text(payload.get("status")) or change),
        detail=_joined(name, number, merchant and f"from {merchant}"),
        carrier=name, url=tracking_url(carrier, number), history=history,
    )


def _backfill(change: str, payload: Mapping[str, Any]) -> Display | None:
    doc_type = str(payload.get("doc_type") or "")
    plural = DOC_NOUNS.get(doc_type, ("item", "items"))[1]
    items = count_of(_int(payload.get("items_published")), doc_type)
    if change == "progress":
        estimated = payload.get("items_estimated")
        detail = f"{items} of about {_int(estimated):,}" if _int(estimated) else items
        return Display(headline=f"Importing {plural}", detail=detail)
    status = payload.get("status")
    if status == "succeeded":
        return Display(headline=f"{plural.capitalize()} up to date", detail=f"{items} imported")
    if status == "cancelled":
        return Display(headline=f"Import of {plural} cancelled", detail=f"{items} imported")
    return Display(headline=f"Import of {plural} failed", detail=f"{items} imported before it stopped")


_BY_FAMILY: dict[str, Callable[[str, Mapping[str, Any]], Display | None]] = {
    "email": _email,
    "calendar": _calendar,
    "contact": _contact,
    "meeting": _meeting,
    "shipment": _shipment,
    "backfill": _backfill,
}
