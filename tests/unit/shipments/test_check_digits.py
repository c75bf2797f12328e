"""The check-digit algorithms against numbers the carriers (and tracking_number_data) publish."""

from __future__ import annotations

import pytest

from processors.shipments.check_digits import (
    dhl_mod7,
    ends_with_check_digit,
    fedex_express_mod11,
    gs1_mod10,
    s10_mod11,
    ups_mod10,
)
from tests.unit.shipments import numbers


@pytest.mark.parametrize(
    "number", ["1Z999AA10123456784", "1Z5R89390357567127", "1Z410E7W0392751591", numbers.UPS_LETTERS]
)
def test_ups_published_numbers_pass(number: str) -> None:
    assert ends_with_check_digit(number[2:], ups_mod10)


def test_ups_letters_count_by_their_table_value() -> None:
    # "A" counts 2 and "K" counts 2 as well (A=2 ... I=0, J=1, K=2): swapping them keeps the check.
    assert ups_mod10("999AA1012345678") == ups_mod10("999KK1012345678")
    assert ups_mod10("999AA1012345678") != ups_mod10("999BA1012345678")


@pytest.mark.parametrize("number", ["986578788855", "477179081230", "799531274483"])
def test_fedex_express_published_numbers_pass(number: str) -> None:
    assert ends_with_check_digit(number, fedex_express_mod11)


@pytest.mark.parametrize(
    "number",
    ["9400111206206406260787", "9505511069605048600624", "041441760228964", "000123450000000027"],
)
def test_gs1_published_numbers_pass(number: str) -> None:
    assert ends_with_check_digit(number, gs1_mod10)


def test_gs1_weights_start_with_three_at_the_right() -> None:
    assert gs1_mod10("1") == 7  # 1 x 3 = 3 -> 7
    assert gs1_mod10("10") == 9  # 1 x 1 + 0 x 3 = 1 -> 9


@pytest.mark.parametrize(("serial", "check"), [("12345678", 5), ("00000000", 5), ("00000001", 4)])
def test_s10_check_digit(serial: str, check: int) -> None:
    # 12345678: 8+12+12+8+15+30+63+56 = 204, 204 mod 11 = 6, 11-6 = 5; all zeros: 11 -> 5; 0..01: 7 -> 4.
    assert s10_mod11(serial) == check


def test_s10_remainder_one_gives_zero() -> None:
    serial = next(
        f"{n:08d}"
        for n in range(1000)
        if sum(int(d) * w for d, w in zip(f"{n:08d}", (8, 6, 4, 2, 3, 5, 9, 7))) % 11 == 1
    )
    assert s10_mod11(serial) == 0


def test_s10_refuses_a_serial_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="8 digits"):
        s10_mod11("1234567")


@pytest.mark.parametrize("number", ["3318810025", "8487135506", "1099255990"])
def test_dhl_published_numbers_pass(number: str) -> None:
    assert ends_with_check_digit(number, dhl_mod7)


@pytest.mark.parametrize(
    ("number", "algorithm"),
    [
        (numbers.UPS[2:], ups_mod10),
        (numbers.FEDEX_EXPRESS, fedex_express_mod11),
        (numbers.USPS_IMPB, gs1_mod10),
        (numbers.DHL_EXPRESS, dhl_mod7),
    ],
)
def test_a_changed_check_digit_fails(number: str, algorithm) -> None:
    assert ends_with_check_digit(number, algorithm)
    assert not ends_with_check_digit(numbers.wrong_check(number), algorithm)


def test_a_letter_in_the_check_position_fails() -> None:
    assert not ends_with_check_digit("98657878885X", fedex_express_mod11)
