"""Who sold what is being shipped: from phrases such as "Your order from X", else the sender.

Carriers' own mail names the shipper only in its text, so for a carrier sender the display
name (e.g. "UPS Quantum View") is never taken for the merchant.
"""

from __future__ import annotations

import re

from processors.shipments.carriers import (
    Carrier,
    carrier_for_host,
    is_notice_host,
    mail_domain,
)

_NAME = r"[A-Z0-9][\w&'’.\-]*(?: [A-Z0-9&][\w&'’.\-]*){0,4}"
_PHRASES = re.compile(
    rf"(?:(?:order|package|purchase|shipment|parcel|delivery) from|thanks? (?:you )?for (?:shopping|ordering) (?:with|at))"
    rf" (?P<name>(?-i:{_NAME}))",
    re.IGNORECASE,
)
#: Words a sender's display name adds to the store's name.
_ROLE_SUFFIX = re.compile(
    r"(?:\s*[-|:,]?\s*(?:orders?|shipping|shipments?|customer (?:care|service|support)|support|team|store|shop|notifications?|no-?reply))+$",
    re.IGNORECASE,
)
#: Trailing words that end a phrase's capture: "Your order from Acme has shipped".
_TRAILING_WORDS = re.compile(r"(?:\s+(?:has|have|is|are|was|were|shipped|is on|will|and|to|for)\b.*)$", re.IGNORECASE)
_MAX_LENGTH = 60


def _from_phrase(texts: list[str]) -> str | None:
    for text in texts:
        match = _PHRASES.search(text)
        if match:
            name = _TRAILING_WORDS.sub("", match["name"]).rstrip(".’'-")
            if name and name.lower() not in {"us", "our", "the", "your"}:
                return name[:_MAX_LENGTH]
    return None


def _from_sender(sender_name: str | None, sender_email: str | None) -> str | None:
    domain = mail_domain(sender_email)
    carrier = carrier_for_host(domain)
    if carrier is Carrier.amazon:
        return "Amazon"
    if carrier is not None:
        return None
    display = (sender_name or "").strip().strip('"').strip()
    name = _ROLE_SUFFIX.sub("", display).strip() or display  # "Shop" alone is the name
    if name and "@" not in name:
        return name[:_MAX_LENGTH]
    if domain and not is_notice_host(domain):
        return domain
    return None


def detect_merchant(
    *, subject: str | None, body: str | None, sender_name: str | None, sender_email: str | None
) -> str | None:
    """The merchant named by the mail's words, else by its sender; None for a bare carrier notice."""
    return _from_phrase([subject or "", body or ""]) or _from_sender(sender_name, sender_email)
