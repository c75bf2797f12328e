"""Carrier tracking-number formats: which carriers a bare candidate string can belong to.

We write these ourselves instead of using the PyPI package ``tracking-numbers`` (0.1.8): its
last release is from November 2022 and embeds a snapshot of the shared tracking_number_data
definitions that upstream has since rebuilt (USPS IMpb per Publication 199, 2026) and partly
withdrawn as "not always correct" (similar FedEx and DHL definitions); it also only tests one
already-isolated string and picks the first definition that validates, so it can neither scan
text nor let context choose between carriers that share a shape (20/22 digits). The formats and
check digits below follow the current tracking_number_data definitions and the carriers' own
specifications; the tests pin them against published sample numbers.

A candidate is an upper-case string without separators. ``identify`` returns every reading that
passes the format's structure and check digit, most likely first; context picks among them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from processors.shipments.carriers import Carrier
from processors.shipments.check_digits import (
    dhl_mod7,
    ends_with_check_digit,
    fedex_express_mod11,
    gs1_mod10,
    s10_mod11,
    ups_mod10,
)


@dataclass(frozen=True, kw_only=True)
class NumberReading:
    """One way to read a candidate as a carrier's tracking number."""

    carrier: Carrier
    #: The number as the carrier tracks it (USPS routing prefix ``420`` + ZIP removed).
    tracking_number: str
    product: str
    #: Whether a check digit was verified (False for formats that have none).
    check_digit: bool
    #: The shape alone says "parcel" (1Z..., TBA..., S10, JJD..., a USPS label's routed IMpb):
    #: plain digits otherwise never do.
    self_describing: bool = False
    #: So weak (1 in 7 random numbers pass) that the carrier must be named nearby.
    needs_carrier_named: bool = False


_UPS = re.compile(r"1Z[0-9A-Z]{16}")
_AMAZON = re.compile(r"TB[ACM]\d{12}")
_S10 = re.compile(r"(?P<service>[A-Z]{2})(?P<serial>\d{8})(?P<check>\d)(?P<country>[A-Z]{2})")
#: UPU S10 service indicators in use for tracked items: C parcels, E EMS, H e-commerce,
#: L tracked letters, R registered, U unregistered items, V insured.
_S10_SERVICE_LETTERS = frozenset("CEHLRUV")
_DHL_ECOMMERCE = re.compile(r"JJD\d{9,21}")
_ROUTING = re.compile(r"420(?P<rest>\d{25,35})")


def _ups(candidate: str) -> list[NumberReading]:
    if _UPS.fullmatch(candidate) and ends_with_check_digit(candidate[2:], ups_mod10):
        return [
            NumberReading(
                carrier=Carrier.ups, tracking_number=candidate, product="UPS 1Z", check_digit=True, self_describing=True
            )
        ]
    return []


def _amazon(candidate: str) -> list[NumberReading]:
    if _AMAZON.fullmatch(candidate):
        return [
            NumberReading(
                carrier=Carrier.amazon,
                tracking_number=candidate,
                product="Amazon Logistics",
                check_digit=False,
                self_describing=True,
            )
        ]
    return []


def _s10(candidate: str) -> list[NumberReading]:
    match = _S10.fullmatch(candidate)
    if not match or match["service"][0] not in _S10_SERVICE_LETTERS:
        return []
    if s10_mod11(match["serial"]) != int(match["check"]):
        return []
    carrier = Carrier.usps if match["country"] == "US" else Carrier.postal
    return [
        NumberReading(
            carrier=carrier,
            tracking_number=candidate,
            product=f"UPU S10 ({match['country']})",
            check_digit=True,
            self_describing=True,
        )
    ]


def _dhl_ecommerce(candidate: str) -> list[NumberReading]:
    if _DHL_ECOMMERCE.fullmatch(candidate):
        return [
            NumberReading(
                carrier=Carrier.dhl,
                tracking_number=candidate,
                product="DHL eCommerce JJD",
                check_digit=False,
                self_describing=True,
            )
        ]
    return []


def _impb_structure_ok(digits: str) -> bool:
    """IMpb application identifiers: 92 carries a 9-digit mailer id (first digit 9), 93 a 6-digit
    one (first digit 0-8); 91, 94 and 95 either. The mailer id starts after the 3-digit service code."""
    identifier, mailer_first = digits[:2], digits[5]
    if identifier not in {"91", "92", "93", "94", "95"}:
        return False
    if identifier == "92":
        return mailer_first == "9"
    if identifier == "93":
        return mailer_first != "9"
    return True


def _usps_impb(digits: str) -> list[NumberReading]:
    """USPS IMpb: 22 or 26 digits starting 91-95, GS1 mod 10. FedEx Ground Economy (SmartPost)
    labels carry the same 92... numbers, so FedEx is the second reading of those."""
    if len(digits) not in (22, 26) or not _impb_structure_ok(digits):
        return []
    if not ends_with_check_digit(digits, gs1_mod10):
        return []
    readings = [NumberReading(carrier=Carrier.usps, tracking_number=digits, product="USPS IMpb", check_digit=True)]
    if digits.startswith("92") and len(digits) == 22:
        readings.append(
            NumberReading(
                carrier=Carrier.fedex, tracking_number=digits, product="FedEx Ground Economy", check_digit=True
            )
        )
    return readings


def _twenty_digits(digits: str) -> list[NumberReading]:
    """20 digits: USPS (GS1 over the 19 digits, or over them with the implied ``91`` of the
    older Certified Mail labels) or FedEx Ground Economy without its ``92`` (GS1 over 19)."""
    if len(digits) != 20:
        return []
    plain = ends_with_check_digit(digits, gs1_mod10)
    if not plain and not ends_with_check_digit("91" + digits, gs1_mod10):
        return []
    readings = [NumberReading(carrier=Carrier.usps, tracking_number=digits, product="USPS 20", check_digit=True)]
    if plain:
        readings.append(
            NumberReading(
                carrier=Carrier.fedex, tracking_number=digits, product="FedEx Ground Economy", check_digit=True
            )
        )
    return readings


def _usps_routed(digits: str) -> list[NumberReading]:
    """``420`` + a 5- or 9-digit ZIP routes the label; the tracking number is what follows.

    A 22-digit IMpb behind the routing code (the 30- or 34-digit string under a label's barcode)
    is self-describing, as a 1Z number is: the GS1 postal-code identifier, a ZIP, a channel
    identifier with its mailer-id structure and a check digit over the 22 digits (the routing
    code is outside it) do not come together by chance, so no "tracking" label is needed beside
    it. Every reading of it is (FedEx Ground Economy labels carry the same barcode)."""
    match = _ROUTING.fullmatch(digits)
    if not match:
        return []
    readings: list[NumberReading] = []
    for zip_length in (9, 5):
        rest = match["rest"][zip_length:]
        impb = _usps_impb(rest)
        if len(rest) == 22:
            impb = [replace(reading, self_describing=True) for reading in impb]
        readings += [r for r in impb + _twenty_digits(rest) if r not in readings]
    return readings


def _fedex(digits: str) -> list[NumberReading]:
    """FedEx Express 12 (mod 11), Ground 15 and Ground 96 (22; GS1 over the 14 digits of
    shipper and package id before the check digit)."""
    if len(digits) == 12 and ends_with_check_digit(digits, fedex_express_mod11):
        product = "FedEx Express"
    elif len(digits) == 15 and ends_with_check_digit(digits, gs1_mod10):
        product = "FedEx Ground"
    elif len(digits) == 22 and digits.startswith("96") and ends_with_check_digit(digits[7:], gs1_mod10):
        product = "FedEx Ground 96"
    else:
        return []
    return [NumberReading(carrier=Carrier.fedex, tracking_number=digits, product=product, check_digit=True)]


def _dhl_express(digits: str) -> list[NumberReading]:
    if len(digits) == 10 and ends_with_check_digit(digits, dhl_mod7):
        return [
            NumberReading(
                carrier=Carrier.dhl,
                tracking_number=digits,
                product="DHL Express",
                check_digit=True,
                needs_carrier_named=True,
            )
        ]
    return []


def identify(candidate: str) -> list[NumberReading]:
    """Every carrier reading of ``candidate`` that passes structure and check digit, best first."""
    if not candidate.isdigit():
        return _ups(candidate) + _amazon(candidate) + _s10(candidate) + _dhl_ecommerce(candidate)
    return (
        _usps_routed(candidate)
        + _usps_impb(candidate)
        + _twenty_digits(candidate)
        + _fedex(candidate)
        + _dhl_express(candidate)
    )
