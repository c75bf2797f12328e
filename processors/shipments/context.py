"""What the words and links around a number say about it.

A valid check digit is weak evidence on its own (one random number in ten passes mod 10), so
a number counts only when its surroundings call it a tracking number: a label such as
"Tracking #" or a carrier's name just before it, or a carrier's tracking link holding it. The
nearest label wins, so in "Tracking for order #123456789012" the number is an order number.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from enum import Enum
from urllib.parse import parse_qsl, urlsplit

from processors.shipments.carriers import Carrier, carrier_for_host, is_notice_host

#: How far before a number a label may stand, and how far after (e.g. "986578788855 (FedEx)").
WINDOW_BEFORE = 80
WINDOW_AFTER = 40

_CARRIER_NAMES = {
    # UPS only in capitals: "pick-ups", "sign-ups" and "ups and downs" are not the carrier.
    Carrier.ups: r"(?-i:UPS)|united parcel service",
    Carrier.fedex: r"fed ?ex",
    Carrier.usps: r"usps|u\.s\. postal service|postal service|u\.s\. mail",
    Carrier.dhl: r"dhl",
    Carrier.amazon: r"amazon logistics|amazon",
    Carrier.postal: r"royal mail|canada post|la poste|australia post|postnl|deutsche post|ems",
}
_POSITIVE = (
    r"tracking(?: number| no\.?| code| id| #)?|track(?:ed)?|trk|waybill|air ?waybill|awb"
    r"|shipment(?: number| id)?|consignment|parcel(?: number)?|package(?: number| id)?|carrier|shipped (?:via|with)"
)
_NEGATIVE = (
    r"order(?: number| no\.?| id| #)?|invoice|inv|receipt|account|acct|customer|member(?:ship)?|reference|ref"
    r"|confirmation|booking|reservation|ticket|case|phone|tel|telephone|call|fax|mobile|cell|sms|text"
    r"|sku|upc|isbn|asin|model|serial|transaction|payment|card|po|purchase order|claim|rma|item|coupon|promo|gift"
)
_CARRIER_GROUPS = "|".join(f"(?P<{carrier.value}>{pattern})" for carrier, pattern in _CARRIER_NAMES.items())
_LABEL = re.compile(
    rf"(?<![A-Za-z])(?:(?P<positive>{_POSITIVE})|{_CARRIER_GROUPS}|(?P<negative>{_NEGATIVE}))(?![A-Za-z])",
    re.IGNORECASE,
)
#: What the carriers' tracking links have in their path or parameters (ups.com/track?tracknum=,
#: fedex.com/fedextrack/?trknbr=, tools.usps.com/go/TrackConfirmAction?tLabels=, ...?AWB=).
_TRACKING_LINK = re.compile(r"track|trk|tlabels|awb|waybill|sendung", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"'()]+", re.IGNORECASE)
#: North American phone layouts: 800-555-1212, 800.555.1212, 1 800 555 1212, +1-800-555-1212.
_PHONE = re.compile(r"\+?(?:1[ .\-])?\d{3}[ .\-]\d{3}[ .\-]\d{4}")
#: Compact timestamps (YYYYMMDDhhmm[ss]) that a 12- or 14-digit check might accept.
_TIMESTAMP = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?")
#: Words that make an e-mail as a whole about a shipment.
_SHIPPING_WORDS = re.compile(
    r"\b(?:ship(?:ped|ping|ment)|deliver(?:y|ed|ing)|package|parcel|track(?:ing)?|out for delivery|in transit|"
    r"on (?:its|the) way|dispatched|courier|fed ?ex|usps|dhl)\b|(?-i:\bUPS\b)",
    re.IGNORECASE,
)


class Label(Enum):
    positive = "positive"
    negative = "negative"
    none = "none"


@dataclass(frozen=True, kw_only=True)
class LocalContext:
    """The verdict of a number's surroundings."""

    label: Label
    #: Carriers named near the number or owning the link it sits in, nearest first.
    carriers: tuple[Carrier, ...] = ()


def _label_of(match: re.Match[str]) -> tuple[Label, Carrier | None]:
    if match["positive"]:
        return Label.positive, None
    if match["negative"]:
        return Label.negative, None
    return Label.positive, next(carrier for carrier in Carrier if match[carrier.value])


def _preceding_text(text: str, start: int) -> str:
    """Up to WINDOW_BEFORE characters before ``start``: the number's line and the closest
    non-blank line above it (a label in a table header or on its own line sits there, rarely further)."""
    lines = text[max(0, start - WINDOW_BEFORE) : start].split("\n")
    kept = [lines[-1]]
    for line in reversed(lines[:-1]):
        kept.append(line)
        if line.strip():
            break
    return "\n".join(reversed(kept))


def read_labels(text: str, start: int, end: int) -> LocalContext:
    """The nearest label before the number decides; without one, the nearest after it."""
    before = list(_LABEL.finditer(_preceding_text(text, start)))
    after_text = text[end : end + WINDOW_AFTER].split("\n", 1)[0]
    after = list(_LABEL.finditer(after_text))
    named = [_label_of(m)[1] for m in reversed(before)] + [_label_of(m)[1] for m in after]
    carriers = tuple(dict.fromkeys(c for c in named if c is not None))
    if before:
        return LocalContext(label=_label_of(before[-1])[0], carriers=carriers)
    if after:
        return LocalContext(label=_label_of(after[0])[0], carriers=carriers)
    return LocalContext(label=Label.none, carriers=carriers)


class LinkIndex:
    """The URLs of one text, found once, so each number's lookup is a binary search."""

    def __init__(self, text: str) -> None:
        self._links = [(m.start(), m.end(), m.group()) for m in _URL.finditer(text)]
        self._starts = [start for start, _, _ in self._links]

    def around(self, start: int, end: int) -> str | None:
        """The URL that contains text[start:end], if the number sits inside one."""
        index = bisect_right(self._starts, start) - 1
        if index >= 0:
            link_start, link_end, url = self._links[index]
            if link_start <= start and end <= link_end:
                return url
        return None


def judge_link(url: str, number: str) -> LocalContext:
    """A tracking link of a carrier or tracking service vouches for the number; any other link
    does not (its long ids are product, campaign, session or order ids), unless the number is
    the value of a ``track...`` parameter."""
    parts = urlsplit(url)
    is_tracking_link = _TRACKING_LINK.search(url) is not None
    carrier = carrier_for_host(parts.hostname)
    if carrier is not None and is_tracking_link:
        return LocalContext(label=Label.positive, carriers=(carrier,))
    in_tracking_parameter = any(
        _TRACKING_LINK.search(key) and number in value.upper().replace(" ", "") for key, value in parse_qsl(parts.query)
    )
    if in_tracking_parameter or (is_notice_host(parts.hostname) and is_tracking_link):
        return LocalContext(label=Label.positive, carriers=(carrier,) if carrier else ())
    return LocalContext(label=Label.negative)


def looks_like_phone(raw: str) -> bool:
    """Whether the number is printed the way phone numbers are."""
    return _PHONE.fullmatch(raw) is not None


def looks_like_timestamp(digits: str) -> bool:
    """Whether a digit string reads as a date and time (log stamps, report ids)."""
    return _TIMESTAMP.fullmatch(digits) is not None


def mentions_shipping(*texts: str | None) -> bool:
    """Whether any of the texts talks about shipping at all."""
    return any(text and _SHIPPING_WORDS.search(text) for text in texts)
