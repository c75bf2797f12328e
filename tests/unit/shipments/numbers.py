"""Tracking numbers for tests, with check digits computed here from the carriers' published rules.

Written independently of ``processors.shipments.check_digits`` (tables and loops spelled out the
way the carriers document them) so a misreading in the code cannot make its own tests pass.
"""

from __future__ import annotations

#: UPS: letters map to digits as A=2, B=3 ... H=9, I=0, J=1 ... (the value of (position + 2) mod 10).
_UPS_LETTER_VALUES = {letter: (index + 2) % 10 for index, letter in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}


def ups(body15: str) -> str:
    """``1Z`` + 15 characters + check: odd positions (1st, 3rd ...) once, even positions doubled."""
    assert len(body15) == 15
    values = [int(c) if c.isdigit() else _UPS_LETTER_VALUES[c] for c in body15]
    odd_positions = sum(values[0::2])
    even_positions = sum(values[1::2]) * 2
    return f"1Z{body15}{(10 - (odd_positions + even_positions) % 10) % 10}"


def fedex12(body11: str) -> str:
    """FedEx Express: weights 3,1,7,3,1,7,... from the left; check = sum mod 11, 10 becomes 0."""
    weights = [3, 1, 7] * 4
    total = sum(int(d) * w for d, w in zip(body11, weights))
    return f"{body11}{total % 11 % 10}"


def gs1(body: str) -> str:
    """GS1 mod 10: from the right, digits in odd positions x3, even positions x1."""
    odd = sum(int(d) for d in body[::-1][0::2])
    even = sum(int(d) for d in body[::-1][1::2])
    return f"{body}{(10 - (odd * 3 + even) % 10) % 10}"


def fedex96(body21: str) -> str:
    """FedEx Ground 96 (22 digits): the check covers only the 14 digits before it (shipper + package)."""
    assert body21.startswith("96") and len(body21) == 21
    return body21 + gs1(body21[7:])[-1]


def s10(service: str, serial8: str, country: str) -> str:
    """UPU S10: weights 8 6 4 2 3 5 9 7; check = 11 - sum mod 11, where 10 -> 0 and 11 -> 5."""
    total = sum(int(d) * w for d, w in zip(serial8, [8, 6, 4, 2, 3, 5, 9, 7]))
    check = 11 - total % 11
    check = 0 if check == 10 else 5 if check == 11 else check
    return f"{service}{serial8}{check}{country}"


def dhl10(body9: str) -> str:
    """DHL Express: the nine digits as a number, mod 7."""
    return f"{body9}{int(body9) % 7}"


def wrong_check(number: str, *, position: int = -1) -> str:
    """The same number with its check digit (at ``position``) changed."""
    index = position % len(number)
    digit = (int(number[index]) + 1) % 10
    return number[:index] + str(digit) + number[index + 1 :]


def usps_label(zip_code: str, impb: str) -> str:
    """The string a USPS label's IMpb barcode carries: ``420`` (the GS1 postal-code identifier),
    the 5- or 9-digit destination ZIP, then the tracking number, whose check digit covers only
    itself (USPS Publication 199)."""
    assert len(zip_code) in (5, 9)
    return f"420{zip_code}{impb}"


def grouped(number: str, size: int = 4) -> str:
    """The number in blocks of ``size`` separated by spaces, as carriers print long numbers."""
    return " ".join(number[i : i + size] for i in range(0, len(number), size))


# Numbers used across the tests, each computed above.
UPS = ups("999AA1012345678")  # == 1Z999AA10123456784, UPS's own documentation sample
UPS_LETTERS = ups("4W5R89035756712")  # shipper 4W5R89, service 03 (Ground)
FEDEX_EXPRESS = fedex12("98657878885")  # == 986578788855
FEDEX_GROUND = gs1("04144176022896")
FEDEX_96 = fedex96("961102098765431234567")
USPS_IMPB = gs1("940011120108080548301")  # 22 digits, AI 94
USPS_IMPB_92 = gs1("926129270076871194802")  # AI 92 with a 9-digit mailer id (starts with 9)
USPS_IMPB_26 = gs1("9274893150770851301805006")
USPS_LABEL_30 = usps_label("62704", USPS_IMPB)  # ZIP 62704: 30 digits
USPS_LABEL_34 = usps_label("627041234", USPS_IMPB_92)  # ZIP+4 62704-1234: 34 digits
USPS_S10 = s10("EA", "12345678", "US")  # == EA123456785US, the UPU S10 example
ROYAL_MAIL_S10 = s10("RB", "12345678", "GB")
DHL_EXPRESS = dhl10("331881002")
DHL_JJD = "JJD000390007880001234"
AMAZON = "TBA301234567890"
