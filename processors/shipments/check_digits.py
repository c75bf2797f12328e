"""Check-digit algorithms of the parcel carriers, as pure functions over digit strings.

Each function takes the payload (the characters before the check digit) and returns the check
digit the carrier would print, so callers compare it with the printed one. Keeping them apart
from the number formats lets the tests pin each algorithm against published sample numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import cycle

CheckDigitFunction = Callable[[str], int]

#: UPU S10 weights for the eight serial digits (UPU standard S10).
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
#: FedEx Express 12-digit weights, repeated from the left over the eleven payload digits.
_FEDEX_EXPRESS_WEIGHTS = (3, 1, 7)


def gs1_mod10(payload: str) -> int:
    """GS1 mod 10 (USPS IMpb, FedEx Ground, SSCC): weights 3,1,3,1... from the rightmost digit."""
    total = sum(int(digit) * weight for digit, weight in zip(reversed(payload), cycle((3, 1))))
    return (10 - total % 10) % 10


def ups_mod10(payload: str) -> int:
    """UPS 1Z: the 15 characters after ``1Z``; letters count as (ord - 63) % 10 (A=2 ... Z=7),
    and every second character from the left (index 1, 3, ...) is doubled."""
    total = 0
    for index, char in enumerate(payload):
        value = int(char) if char.isdigit() else (ord(char) - 63) % 10
        total += value * 2 if index % 2 else value
    return (10 - total % 10) % 10


def fedex_express_mod11(payload: str) -> int:
    """FedEx Express 12-digit: weights 3,1,7 from the left, then the sum mod 11 mod 10."""
    total = sum(int(digit) * weight for digit, weight in zip(payload, cycle(_FEDEX_EXPRESS_WEIGHTS)))
    return total % 11 % 10


def s10_mod11(serial: str) -> int:
    """UPU S10: weights 8,6,4,2,3,5,9,7 over eight digits; 11 - sum mod 11, with 10 -> 0, 11 -> 5."""
    if len(serial) != len(_S10_WEIGHTS):
        raise ValueError(f"an S10 serial has 8 digits, got {len(serial)}")
    check = 11 - sum(int(digit) * weight for digit, weight in zip(serial, _S10_WEIGHTS)) % 11
    return {10: 0, 11: 5}.get(check, check)


def dhl_mod7(payload: str) -> int:
    """DHL Express waybill: the payload read as one number, mod 7."""
    return int(payload) % 7


def ends_with_check_digit(number: str, algorithm: CheckDigitFunction) -> bool:
    """Whether the last character of ``number`` is the digit ``algorithm`` computes from the rest."""
    last = number[-1:]
    return last.isdigit() and algorithm(number[:-1]) == int(last)
