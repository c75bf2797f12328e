"""Status words: statements count, promises and progress bars do not, the subject speaks first."""

from __future__ import annotations

import pytest

from processors.shipments.status import ShipmentStatus, detect_status


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("Thank you for your order! We have received your order.", ShipmentStatus.ordered),
        ("Good news: your order has shipped.", ShipmentStatus.shipped),
        ("Your items are on their way.", ShipmentStatus.shipped),
        ("Your package is in transit.", ShipmentStatus.in_transit),
        ("Arrived at USPS Regional Facility, CHICAGO IL.", ShipmentStatus.in_transit),
        ("Your package is out for delivery.", ShipmentStatus.out_for_delivery),
        ("Your package was delivered at 2:14 pm. It was left at the front door.", ShipmentStatus.delivered),
        ("Delivered, In/At Mailbox", ShipmentStatus.delivered),
        ("Your shipment is delayed due to weather.", ShipmentStatus.exception),
        ("We attempted delivery today but nobody was home.", ShipmentStatus.exception),
        ("Your package could not be delivered and will be returned to sender.", ShipmentStatus.exception),
    ],
)
def test_body_statements(body: str, status: ShipmentStatus) -> None:
    assert detect_status(None, body) is status


@pytest.mark.parametrize(
    "body",
    [
        "We'll e-mail you once your order has shipped.",
        "Your package will be delivered on Friday.",
        "Due to high volumes, some deliveries may be delayed.",
        "Your package was not delivered to the pickup point.",
        "Ordered\nShipped\nOut for delivery\nDelivered",
        "Questions about delivery? Visit our help centre.",
    ],
)
def test_promises_denials_and_progress_bars_state_nothing(body: str) -> None:
    assert detect_status(None, body) is None


def test_the_most_advanced_stage_in_a_body_wins() -> None:
    body = "Thanks for your order. Your order has shipped. It is now out for delivery."
    assert detect_status(None, body) is ShipmentStatus.out_for_delivery


def test_an_exception_outranks_earlier_stages_but_not_delivery() -> None:
    assert detect_status(None, "It has shipped. Your package is delayed.") is ShipmentStatus.exception
    assert detect_status(None, "It was delayed by a day, but it has been delivered.") is ShipmentStatus.delivered


@pytest.mark.parametrize(
    ("subject", "status"),
    [
        ('Delivered: "Ergonomic Chair"', ShipmentStatus.delivered),
        ('Shipped: "Ergonomic Chair" and 1 more item', ShipmentStatus.shipped),
        ("Out for delivery: your order", ShipmentStatus.out_for_delivery),
        ("UPS Update: Package Scheduled for Delivery Today", ShipmentStatus.out_for_delivery),
        ("Delivery exception for your FedEx package", ShipmentStatus.exception),
    ],
)
def test_headline_words_count_in_the_subject(subject: str, status: ShipmentStatus) -> None:
    assert detect_status(subject, "") is status


def test_the_subject_speaks_before_the_body() -> None:
    # The body repeats the whole journey (stage names as statements); the subject is the news.
    body = "Your order has shipped. Track it until it has been delivered."
    assert detect_status("Your package is out for delivery", body) is ShipmentStatus.out_for_delivery


def test_a_promise_in_the_subject_is_not_a_headline() -> None:
    assert detect_status("Your order will be delivered tomorrow", "") is None


def test_nothing_to_say_is_none() -> None:
    assert detect_status("Lunch on Friday?", "See you at noon.") is None
