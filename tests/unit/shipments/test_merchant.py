"""The merchant: named in the words, else the sender; never the carrier itself."""

from __future__ import annotations

import pytest

from processors.shipments.merchant import detect_merchant


@pytest.mark.parametrize(
    ("subject", "body", "merchant"),
    [
        ("Your order from Acme Outdoor has shipped", "", "Acme Outdoor"),
        ("UPS Update", "Your package from Blue Bottle Coffee is scheduled for delivery today.", "Blue Bottle Coffee"),
        ("Shipped", "Thanks for shopping with Nordic Knits! Your order is on its way.", "Nordic Knits"),
        ("Shipped", "Your shipment from H&M.", "H&M"),
    ],
)
def test_phrases_name_the_merchant(subject: str, body: str, merchant: str) -> None:
    assert detect_merchant(subject=subject, body=body, sender_name="UPS", sender_email="mcinfo@ups.com") == merchant


def test_a_lower_case_phrase_is_not_a_name() -> None:
    assert (
        detect_merchant(
            subject="Your package from the warehouse is on its way",
            body="",
            sender_name=None,
            sender_email="mcinfo@ups.com",
        )
        is None
    )


@pytest.mark.parametrize(
    ("name", "email", "merchant"),
    [
        ("Acme Orders", "orders@acme.example", "Acme"),
        ("Nordic Knits Customer Service", "store+1@t.shopifyemail.com", "Nordic Knits"),
        ("Shop", "orders@shop.example", "Shop"),
        (None, "orders@acme.example", "acme.example"),
        ("Amazon.com", "shipment-tracking@amazon.com", "Amazon"),
        ("UPS Quantum View", "mcinfo@ups.com", None),
        (None, "store+1@t.shopifyemail.com", None),
    ],
)
def test_the_sender_names_the_merchant_when_the_words_do_not(
    name: str | None, email: str, merchant: str | None
) -> None:
    assert (
        detect_merchant(subject="Shipped", body="Your order is on its way.", sender_name=name, sender_email=email)
        == merchant
    )
