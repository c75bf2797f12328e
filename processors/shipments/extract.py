"""Tracking numbers in one canonical ``Email``: the pure core of the shipments service.

Each number must pass its carrier's structure and check digit (``formats``) and be vouched for
by its surroundings (``context``); the e-mail's status words and merchant go with every number
found in it. Nothing here does I/O, so the faust agent and the CLI share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from processors.shipments.carriers import (
    Carrier,
    carrier_for_host,
    is_notice_host,
    mail_domain,
)
from processors.shipments.context import (
    Label,
    LinkIndex,
    LocalContext,
    judge_link,
    looks_like_phone,
    looks_like_timestamp,
    mentions_shipping,
    read_labels,
)
from processors.shipments.formats import NumberReading
from processors.shipments.html_text import html_may_hold_numbers, html_to_text, normalize_whitespace, text_may_hold_numbers
from processors.shipments.merchant import detect_merchant
from processors.shipments.number_scan import NumberOccurrence, find_numbers
from processors.shipments.status import ShipmentStatus, detect_status
from schemas.models import Email

#: Longer bodies are cut: tracking numbers sit near the top, and the scan stays bounded.
MAX_TEXT_CHARS = 200_000
_EVIDENCE_BEFORE, _EVIDENCE_AFTER = 60, 40

Segment = Literal["subject", "text", "html", "snippet"]


class TrackingFinding(BaseModel):
    """A tracking number found in one e-mail, with what the e-mail says about it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    carrier: Carrier
    tracking_number: str
    product: str
    check_digit_verified: bool
    status: ShipmentStatus | None = None
    merchant: str | None = None
    #: The words around the number (part of the mail's text: never log it).
    evidence: str
    found_in: Segment


@dataclass(frozen=True, kw_only=True)
class _MailFacts:
    """What holds for the whole e-mail, computed once."""

    sender_carrier: Carrier | None
    about_shipping: bool


def extract_findings(email: Email) -> list[TrackingFinding]:
    """Every tracking number the e-mail states, once each, in reading order."""
    html_may_hold = bool(email.body_html) and html_may_hold_numbers(email.body_html[:MAX_TEXT_CHARS])  # type: ignore[index]
    if not html_may_hold and not any(map(text_may_hold_numbers, _plain_parts(email))):
        return []  # no segment can hold a number: nothing is normalized or converted
    deferred = bool(email.body_html) and not html_may_hold
    segments = _segments(email, convert_html=not deferred)
    scans = [(name, text, find_numbers(text)) for name, text in segments]
    # Most mail holds no candidate at all: the mail-wide facts, status and merchant (the bulk of
    # the work) are read only once there is a number for them to go with. An HTML body is
    # converted only when it may hold a number, or when a number elsewhere needs its words.
    if not any(occurrences for _, _, occurrences in scans):
        return []
    if deferred:
        html = ("html", html_to_text(email.body_html[:MAX_TEXT_CHARS]))  # type: ignore[index]
        segments = [*segments, html]
        scans = [*scans, (*html, [])]  # the gate found no number in it
    body = "\n".join(text for name, text in segments if name != "subject")
    facts = _mail_facts(email, body)
    findings: dict[str, TrackingFinding] = {}
    described: tuple[ShipmentStatus | None, str | None] | None = None
    for name, text, occurrences in scans:
        if not occurrences:
            continue
        links = LinkIndex(text)
        for occurrence in occurrences:
            reading = _accept(occurrence, text, links, facts)
            if reading is None or reading.tracking_number in findings:
                continue
            if described is None:  # the first number kept: now its words are worth reading
                described = _describe(email, body)
            status, merchant = described
            findings[reading.tracking_number] = TrackingFinding(
                carrier=reading.carrier,
                tracking_number=reading.tracking_number,
                product=reading.product,
                check_digit_verified=reading.check_digit,
                status=status,
                merchant=merchant,
                evidence=_evidence(text, occurrence),
                found_in=name,
            )
    return list(findings.values())


def email_time(email: Email, fallback: datetime) -> datetime:
    """When the e-mail happened, for ordering package updates: received, else sent, else ``fallback``."""
    return email.received_at or email.sent_at or fallback


def _segments(email: Email, *, convert_html: bool = True) -> list[tuple[Segment, str]]:
    segments: list[tuple[Segment, str]] = []
    if email.subject:
        segments.append(("subject", normalize_whitespace(email.subject)))
    if email.body_text:
        segments.append(("text", normalize_whitespace(email.body_text[:MAX_TEXT_CHARS])))
    if email.body_html and convert_html:
        segments.append(("html", html_to_text(email.body_html[:MAX_TEXT_CHARS])))
    if not (email.body_text or email.body_html) and email.snippet:
        segments.append(("snippet", normalize_whitespace(email.snippet)))
    return segments


def _plain_parts(email: Email) -> list[str]:
    """The raw texts ``_segments`` normalizes: subject, text body, or the snippet of an e-mail
    without bodies."""
    parts = [email.subject or "", (email.body_text or "")[:MAX_TEXT_CHARS]]
    if not (email.body_text or email.body_html):
        parts.append(email.snippet or "")
    return parts


def _describe(email: Email, body: str) -> tuple[ShipmentStatus | None, str | None]:
    """What the e-mail says about every number in it: the shipment's status and the merchant."""
    sender = email.from_address
    merchant = detect_merchant(
        subject=email.subject,
        body=body,
        sender_name=sender.name if sender else None,
        sender_email=sender.email if sender else None,
    )
    return detect_status(email.subject, body), merchant


def _mail_facts(email: Email, body: str) -> _MailFacts:
    domain = mail_domain(email.from_address.email if email.from_address else None)
    sender_carrier = carrier_for_host(domain)
    about_shipping = sender_carrier is not None or is_notice_host(domain) or mentions_shipping(email.subject, body)
    return _MailFacts(sender_carrier=sender_carrier, about_shipping=about_shipping)


def _local_context(occurrence: NumberOccurrence, text: str, links: LinkIndex) -> LocalContext:
    url = links.around(occurrence.start, occurrence.end)
    if url is not None:
        return judge_link(url, re.sub(r"[ \-]", "", occurrence.raw).upper())
    if looks_like_phone(occurrence.raw) or looks_like_timestamp(occurrence.readings[0].tracking_number):
        return LocalContext(label=Label.negative)
    return read_labels(text, occurrence.start, occurrence.end)


def _choose(readings: tuple[NumberReading, ...], hints: tuple[Carrier, ...]) -> NumberReading:
    """The reading whose carrier the context names first; else the format's most likely one."""
    for hint in hints:
        for reading in readings:
            if reading.carrier is hint:
                return reading
    return readings[0]


def _accept(occurrence: NumberOccurrence, text: str, links: LinkIndex, facts: _MailFacts) -> NumberReading | None:
    """The reading to keep, or None when the context does not vouch for a tracking number.

    Plain digits need a tracking label or a carrier's link right there; self-describing shapes
    (1Z..., TBA..., S10, JJD..., 420 + ZIP + IMpb) need only an e-mail about shipping without a
    contrary label; the weak DHL mod 7 also needs DHL named nearby or as the sender."""
    local = _local_context(occurrence, text, links)
    if local.label is Label.negative:
        return None
    hints = local.carriers + ((facts.sender_carrier,) if facts.sender_carrier else ())
    reading = _choose(occurrence.readings, hints)
    vouched = local.label is Label.positive
    if reading.needs_carrier_named:
        return reading if vouched and reading.carrier in hints else None
    if reading.self_describing:
        return reading if vouched or facts.about_shipping else None
    return reading if vouched else None


def _evidence(text: str, occurrence: NumberOccurrence) -> str:
    start = max(0, occurrence.start - _EVIDENCE_BEFORE)
    end = min(len(text), occurrence.end + _EVIDENCE_AFTER)
    snippet = " ".join(text[start:end].split())
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")
