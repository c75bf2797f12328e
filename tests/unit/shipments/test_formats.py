"""Which carriers a bare candidate string can belong to."""

from __future__ import annotations

import pytest

from processors.shipments.carriers import Carrier
from processors.shipments.formats import identify
from tests.unit.shipments import numbers


def carriers(candidate: str) -> list[tuple[Carrier, str]]:
    return [(reading.carrier, reading.tracking_number) for reading in identify(candidate)]


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        (numbers.UPS, Carrier.ups),
        (numbers.UPS_LETTERS, Carrier.ups),
        (numbers.FEDEX_EXPRESS, Carrier.fedex),
        (numbers.FEDEX_GROUND, Carrier.fedex),
        (numbers.FEDEX_96, Carrier.fedex),
        (numbers.USPS_IMPB, Carrier.usps),
        (numbers.USPS_IMPB_26, Carrier.usps),
        (numbers.USPS_S10, Carrier.usps),
        (numbers.ROYAL_MAIL_S10, Carrier.postal),
        (numbers.DHL_EXPRESS, Carrier.dhl),
        (numbers.DHL_JJD, Carrier.dhl),
        (numbers.AMAZON, Carrier.amazon),
    ],
)
def test_valid_numbers_read_as_their_carrier_first(number: str, carrier: Carrier) -> None:
    assert carriers(number)[0] == (carrier, number)


@pytest.mark.parametrize(
    "number",
    [
        numbers.UPS,
        numbers.FEDEX_EXPRESS,
        numbers.FEDEX_GROUND,
        numbers.FEDEX_96,
        numbers.USPS_IMPB,
        numbers.USPS_IMPB_26,
        numbers.DHL_EXPRESS,
    ],
)
def test_a_wrong_check_digit_is_rejected(number: str) -> None:
    assert carriers(numbers.wrong_check(number)) == []


@pytest.mark.parametrize("number", [numbers.USPS_S10, numbers.ROYAL_MAIL_S10])
def test_s10_with_a_wrong_check_digit_is_rejected(number: str) -> None:
    assert carriers(numbers.wrong_check(number, position=10)) == []


def test_s10_needs_a_tracked_service_indicator() -> None:
    assert carriers(numbers.s10("ZZ", "12345678", "US")) == []


def test_ups_needs_the_1z_prefix() -> None:
    assert carriers("2Z" + numbers.UPS[2:]) == []


@pytest.mark.parametrize("zip_code", ["62704", "627041234"])
def test_usps_routing_prefix_is_stripped_before_validating(zip_code: str) -> None:
    routed = "420" + zip_code + numbers.USPS_IMPB
    assert carriers(routed)[0] == (Carrier.usps, numbers.USPS_IMPB)


def test_usps_routing_prefix_before_a_26_digit_number_is_stripped() -> None:
    assert carriers("42062704" + numbers.USPS_IMPB_26)[0] == (Carrier.usps, numbers.USPS_IMPB_26)


@pytest.mark.parametrize(("label", "impb"), [
    (numbers.USPS_LABEL_30, numbers.USPS_IMPB), (numbers.USPS_LABEL_34, numbers.USPS_IMPB_92),
])
def test_a_usps_label_barcode_is_self_describing_and_reads_as_its_22_digit_number(label: str, impb: str) -> None:
    assert len(label) in (30, 34)
    readings = identify(label)
    assert (readings[0].carrier, readings[0].tracking_number, readings[0].check_digit) == (Carrier.usps, impb, True)
    assert all(r.self_describing for r in readings if r.tracking_number == impb)  # FedEx Ground Economy's too


@pytest.mark.parametrize("number", [
    numbers.USPS_IMPB,  # the 22 digits alone: plain digits, a label must vouch for them
    "42062704" + numbers.USPS_IMPB_26,  # routed, but not the 22-digit IMpb
    "42062704" + numbers.gs1("9400111201080805483"),  # routed 20 digits
])
def test_only_a_routed_22_digit_impb_is_self_describing(number: str) -> None:
    readings = identify(number)
    assert readings and not any(r.self_describing for r in readings)


def test_usps_routed_number_with_a_wrong_check_digit_is_rejected() -> None:
    assert carriers("42062704" + numbers.wrong_check(numbers.USPS_IMPB)) == []


def test_impb_92_needs_a_nine_digit_mailer_id() -> None:
    # After 92 and a 3-digit service code comes the mailer id: 9 digits starting with 9 for 92.
    six_digit_mailer = numbers.gs1("926120270076871194802")
    assert carriers(numbers.USPS_IMPB_92)[0][0] is Carrier.usps
    assert carriers(six_digit_mailer) == []


def test_impb_92_can_also_be_fedex_ground_economy() -> None:
    assert [carrier for carrier, _ in carriers(numbers.USPS_IMPB_92)] == [Carrier.usps, Carrier.fedex]


def test_twenty_digit_numbers_read_as_usps_or_fedex() -> None:
    number = numbers.gs1("0307179000052348374")
    assert [carrier for carrier, _ in carriers(number)] == [Carrier.usps, Carrier.fedex]


def test_twenty_digit_certified_mail_check_includes_the_implied_91() -> None:
    body = "7196901075600307738"
    number = body + numbers.gs1("91" + body)[-1]
    assert carriers(number) == [(Carrier.usps, number)]


def test_amazon_needs_twelve_digits() -> None:
    assert carriers("TBA12345678901") == []
    assert carriers("TBA1234567890123") == []


def test_ten_digit_dhl_must_be_named_to_count() -> None:
    (reading,) = identify(numbers.DHL_EXPRESS)
    assert reading.needs_carrier_named


def test_plain_digits_are_not_self_describing_but_1z_is() -> None:
    assert not identify(numbers.FEDEX_EXPRESS)[0].self_describing
    assert identify(numbers.UPS)[0].self_describing
