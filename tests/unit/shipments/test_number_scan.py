"""Finding number shapes in running text: blocks, affixes, neighbours, boundaries."""

from __future__ import annotations

from processors.shipments.number_scan import find_numbers
from tests.unit.shipments import numbers


def found(text: str) -> list[str]:
    return [occurrence.readings[0].tracking_number for occurrence in find_numbers(text)]


def test_a_number_printed_in_blocks_is_read_whole() -> None:
    assert found(f"Tracking: {numbers.grouped(numbers.USPS_IMPB)}.") == [numbers.USPS_IMPB]


def test_hyphenated_blocks_are_read_whole() -> None:
    assert found(f"No. {numbers.FEDEX_EXPRESS[:4]}-{numbers.FEDEX_EXPRESS[4:8]}-{numbers.FEDEX_EXPRESS[8:]}") == [
        numbers.FEDEX_EXPRESS
    ]


def test_letter_prefix_and_suffix_blocks_join_the_digits() -> None:
    text = (
        f"Amazon {numbers.AMAZON[:3]} {numbers.AMAZON[3:]} and post {numbers.USPS_S10[:2]} {numbers.USPS_S10[2:11]} US"
    )
    assert found(text) == [numbers.AMAZON, numbers.USPS_S10]


def test_two_numbers_side_by_side_are_both_found() -> None:
    assert found(f"{numbers.FEDEX_EXPRESS} {numbers.fedex12('47717908123')}") == [numbers.FEDEX_EXPRESS, "477179081230"]


def test_a_number_followed_by_a_count_is_found() -> None:
    assert found(f"{numbers.UPS} 2 packages") == [numbers.UPS]


def test_lower_case_ups_numbers_are_read_in_capitals() -> None:
    assert found(numbers.UPS.lower()) == [numbers.UPS]


def test_a_number_glued_to_letters_is_not_read() -> None:
    assert found(f"ref{numbers.FEDEX_EXPRESS}x") == []


def test_a_valid_slice_of_a_longer_digit_run_is_not_read() -> None:
    # 4111 + a valid 12-digit FedEx number: a card-like run must not yield its tail.
    assert found(f"Card 4111 {numbers.grouped(numbers.FEDEX_EXPRESS)} 77") == []


def test_routed_usps_number_reports_the_stripped_number_and_the_printed_span() -> None:
    text = f"Label: 420 62704 {numbers.USPS_IMPB} end"
    (occurrence,) = find_numbers(text)
    assert occurrence.readings[0].tracking_number == numbers.USPS_IMPB
    assert text[occurrence.start : occurrence.end] == f"420 62704 {numbers.USPS_IMPB}"
