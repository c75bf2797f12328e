"""Real-looking notices from each carrier and from stores: what is found, with which carrier."""

from __future__ import annotations

import pytest

from processors.shipments.carriers import Carrier
from processors.shipments.status import ShipmentStatus
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import findings, mail, numbers_found


def ups_notice(number: str) -> str:
    return f"""
<html><body>
<p>Hello Ada Lovelace,</p>
<p>Your package from Blue Bottle Coffee is scheduled for delivery today.</p>
<table>
  <tr><td>Tracking Number:</td><td><a href="https://www.ups.com/track?loc=en_US&amp;tracknum={number}&amp;requester=QVD">{number}</a></td></tr>
  <tr><td>Ship To:</td><td>ADA LOVELACE, SPRINGFIELD, IL, US</td></tr>
  <tr><td>Number of Packages:</td><td>1</td></tr>
  <tr><td>Reference Number 1:</td><td>{numbers.FEDEX_EXPRESS}</td></tr>
</table>
<p>Questions? Call 1-800-742-5877 or visit ups.com.</p>
</body></html>"""


def test_ups_notice_yields_the_1z_number_with_status_and_merchant() -> None:
    (finding,) = findings(
        mail(
            sender="mcinfo@ups.com",
            name="UPS",
            subject="UPS Update: Package Scheduled for Delivery Today",
            html=ups_notice(numbers.UPS),
        )
    )
    assert (finding.carrier, finding.tracking_number) == (Carrier.ups, numbers.UPS)
    assert finding.status is ShipmentStatus.out_for_delivery
    assert finding.merchant == "Blue Bottle Coffee"
    assert finding.check_digit_verified and numbers.UPS in finding.evidence


def test_ups_notice_with_a_wrong_check_digit_yields_nothing() -> None:
    assert (
        numbers_found(
            mail(sender="mcinfo@ups.com", subject="UPS Update", html=ups_notice(numbers.wrong_check(numbers.UPS)))
        )
        == []
    )


FEDEX_TEXT = """Hi Ada,

Your package is on its way. Shipped via FedEx Ground.

Tracking number: {ground}
Ship date: Mon 11/02/2026
Purchase order: {po}

Track your package: https://www.fedex.com/fedextrack/?trknbr={ground}

Need help? Call 1.800.463.3339
"""


def test_fedex_ground_notice_yields_the_15_digit_number_only() -> None:
    text = FEDEX_TEXT.format(ground=numbers.FEDEX_GROUND, po=numbers.fedex12("47717908123"))
    (finding,) = findings(
        mail(sender="TrackingUpdates@fedex.com", name="FedEx", subject="Your package is on its way", text=text)
    )
    assert (finding.carrier, finding.tracking_number, finding.product) == (
        Carrier.fedex,
        numbers.FEDEX_GROUND,
        "FedEx Ground",
    )
    assert finding.status is ShipmentStatus.shipped
    assert finding.merchant is None  # a carrier notice without "from X" names no merchant


def test_fedex_express_12_digit_number_next_to_its_label_is_found() -> None:
    text = f"FedEx Express shipment {numbers.FEDEX_EXPRESS} was delivered on Nov 2 at 10:12 am."
    (finding,) = findings(
        mail(sender="TrackingUpdates@fedex.com", subject="FedEx Shipment 986578788855 Delivered", text=text)
    )
    assert (finding.carrier, finding.tracking_number, finding.status) == (
        Carrier.fedex,
        numbers.FEDEX_EXPRESS,
        ShipmentStatus.delivered,
    )


def test_fedex_96_prefixed_22_digit_number_is_found() -> None:
    text = f"Your FedEx Ground tracking number is {numbers.FEDEX_96}."
    (finding,) = findings(mail(sender="orders@acme.example", name="Acme", subject="Shipped!", text=text))
    assert (finding.carrier, finding.tracking_number) == (Carrier.fedex, numbers.FEDEX_96)


def test_fedex_numbers_with_wrong_check_digits_yield_nothing() -> None:
    for number in (numbers.FEDEX_GROUND, numbers.FEDEX_EXPRESS, numbers.FEDEX_96):
        text = f"Your FedEx tracking number is {numbers.wrong_check(number)}."
        assert numbers_found(mail(sender="TrackingUpdates@fedex.com", subject="Shipped", text=text)) == []


def test_usps_delivered_notice_with_grouped_impb_number() -> None:
    text = (
        "Your item was delivered in or at the mailbox at 11:35 am on November 2, 2026 in SPRINGFIELD, IL 62704.\n"
        f"Tracking Number: {numbers.grouped(numbers.USPS_IMPB)}\n"
        "Reply STOP to unsubscribe. Customer service 1-800-275-8777."
    )
    (finding,) = findings(mail(sender="auto-reply@usps.com", name="USPS", subject="USPS® Item Delivered", text=text))
    assert (finding.carrier, finding.tracking_number, finding.status) == (
        Carrier.usps,
        numbers.USPS_IMPB,
        ShipmentStatus.delivered,
    )


def test_usps_barcode_with_420_zip9_routing_reports_the_stripped_number() -> None:
    text = f"USPS Priority Mail label created.\nUSPS tracking: 420627041234{numbers.USPS_IMPB_92}"
    (finding,) = findings(
        mail(sender="noreply@shipstation.com", name="Nordic Knits", subject="Your order has shipped", text=text)
    )
    assert (finding.carrier, finding.tracking_number) == (Carrier.usps, numbers.USPS_IMPB_92)
    assert finding.merchant == "Nordic Knits"


def test_usps_s10_international_number_is_found() -> None:
    text = f"Priority Mail Express International {numbers.USPS_S10} has departed from the USPS facility in CHICAGO IL."
    (finding,) = findings(mail(sender="auto-reply@usps.com", subject="USPS® Tracking Update", text=text))
    assert (finding.carrier, finding.tracking_number, finding.status) == (
        Carrier.usps,
        numbers.USPS_S10,
        ShipmentStatus.in_transit,
    )


def test_usps_s10_with_a_wrong_check_digit_yields_nothing() -> None:
    text = f"Priority Mail Express International {numbers.wrong_check(numbers.USPS_S10, position=10)} is in transit."
    assert numbers_found(mail(sender="auto-reply@usps.com", subject="USPS® Tracking Update", text=text)) == []


def test_dhl_express_waybill_is_found_when_dhl_sends_it() -> None:
    text = f"Your DHL Express shipment is on its way.\nWaybill: {numbers.DHL_EXPRESS}\nEstimated delivery: Thursday"
    (finding,) = findings(
        mail(sender="noreply@dhl.com", name="DHL Express", subject="DHL On Demand Delivery", text=text)
    )
    assert (finding.carrier, finding.tracking_number, finding.status) == (
        Carrier.dhl,
        numbers.DHL_EXPRESS,
        ShipmentStatus.shipped,
    )


def test_dhl_express_waybill_with_a_wrong_check_digit_yields_nothing() -> None:
    text = f"Your DHL Express shipment is on its way.\nWaybill: {numbers.wrong_check(numbers.DHL_EXPRESS)}"
    assert numbers_found(mail(sender="noreply@dhl.com", subject="DHL On Demand Delivery", text=text)) == []


def test_dhl_ecommerce_jjd_number_in_a_german_notice_is_found() -> None:
    text = f"Hallo Ada, Ihr Paket kommt heute.\nSendungsnummer: {numbers.DHL_JJD}\n"
    (finding,) = findings(
        mail(sender="noreply@dhl.de", name="DHL Paket", subject="Ihr DHL Paket kommt heute", text=text)
    )
    assert (finding.carrier, finding.tracking_number, finding.check_digit_verified) == (
        Carrier.dhl,
        numbers.DHL_JJD,
        False,
    )


def test_amazon_logistics_number_with_merchant_amazon() -> None:
    html = f"""<p>Hello Ada, your package has shipped.</p>
<p>Order #112-1234567-1234567</p>
<p>Your package is being delivered by Amazon Logistics. Tracking ID: {numbers.AMAZON}</p>
<p>Ordered</p><p>Shipped</p><p>Out for delivery</p><p>Delivered</p>"""
    (finding,) = findings(
        mail(
            sender="shipment-tracking@amazon.com", name="Amazon.com", subject='Shipped: "Ergonomic Chair"...', html=html
        )
    )
    assert (finding.carrier, finding.tracking_number) == (Carrier.amazon, numbers.AMAZON)
    assert finding.status is ShipmentStatus.shipped  # the progress bar below does not say "delivered"
    assert finding.merchant == "Amazon"


def test_shopify_store_notice_names_the_store_and_the_carrier_from_the_link() -> None:
    html = f"""<h2>Your order is on the way</h2>
<p>Your order is on the way. Track your shipment to see the delivery status.</p>
<p><a href="https://tools.usps.com/go/TrackConfirmAction?tLabels={numbers.USPS_IMPB_92}">Track your order</a></p>
<p>USPS tracking number: {numbers.grouped(numbers.USPS_IMPB_92)}</p>
<p>Order summary: order #1042</p>"""
    (finding,) = findings(
        mail(
            sender="store+12345@t.shopifyemail.com",
            name="Nordic Knits",
            subject="A shipment from order #1042 is on the way",
            html=html,
        )
    )
    assert (finding.carrier, finding.tracking_number, finding.status, finding.merchant) == (
        Carrier.usps,
        numbers.USPS_IMPB_92,
        ShipmentStatus.shipped,
        "Nordic Knits",
    )


def test_a_92_number_named_fedex_reads_as_fedex_ground_economy() -> None:
    text = f"Shipped with FedEx Ground Economy, tracking {numbers.USPS_IMPB_92}."
    (finding,) = findings(mail(sender="orders@acme.example", subject="Shipped", text=text))
    assert (finding.carrier, finding.product) == (Carrier.fedex, "FedEx Ground Economy")


def test_several_packages_in_one_mail_are_each_found_once() -> None:
    text = (
        f"Package 1 of 2: UPS {numbers.UPS}\nPackage 2 of 2: UPS {numbers.UPS_LETTERS}\n"
        f"Track: https://www.ups.com/track?tracknum={numbers.UPS}"
    )
    assert numbers_found(
        mail(sender="orders@acme.example", name="Acme", subject="Your order has shipped", text=text)
    ) == [numbers.UPS, numbers.UPS_LETTERS]


def test_a_number_in_the_subject_is_found() -> None:
    email = mail(
        sender="TrackingUpdates@fedex.com",
        subject=f"FedEx Shipment {numbers.FEDEX_EXPRESS}: Delivered",
        text="See details online.",
    )
    (finding,) = findings(email)
    assert (finding.found_in, finding.status) == ("subject", ShipmentStatus.delivered)


def test_the_snippet_is_read_when_there_is_no_body() -> None:
    from schemas.models import Address
    from tests import factories

    email = factories.email(
        from_address=Address(email="x@shop.example"),
        subject="Shipped",
        body_text=None,
        body_html=None,
        snippet=f"Your UPS tracking number is {numbers.UPS}",
    )
    assert numbers_found(email) == [numbers.UPS]


def test_a_label_on_its_own_line_above_a_blank_line_still_counts() -> None:
    text = f"Your order has shipped.\n\nTracking number:\n\n{numbers.FEDEX_EXPRESS}\n"
    assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", text=text)) == [numbers.FEDEX_EXPRESS]


def test_a_label_two_lines_up_does_not_count() -> None:
    text = f"Tracking number:\nEnjoy the photos of your new chair\nCatalogue {numbers.FEDEX_EXPRESS}\n"
    assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", text=text)) == []


def label_notice(barcode: str) -> str:
    """A seller's notice that pastes what the label's barcode scans to, and nothing beside it
    that calls it a tracking number."""
    return f"It's on the way!\n\nScan at any Post Office:\n{barcode}\n\nThanks for shopping with Nordic Knits."


@pytest.mark.parametrize(("barcode", "impb"), [
    (numbers.USPS_LABEL_30, numbers.USPS_IMPB),
    (numbers.USPS_LABEL_34, numbers.USPS_IMPB_92),
    (f"420 62704-1234 {numbers.grouped(numbers.USPS_IMPB_92)}", numbers.USPS_IMPB_92),  # as printed in blocks
])
def test_a_usps_label_barcode_needs_no_tracking_label_in_mail_about_shipping(barcode: str, impb: str) -> None:
    notice = lambda text: mail(sender="hello@nordicknits.example", name="Nordic Knits", subject="Shipped: 2 items", text=text)
    (finding,) = findings(notice(label_notice(barcode)))
    assert (finding.carrier, finding.tracking_number, finding.check_digit_verified) == (Carrier.usps, impb, True)
    # The 22 digits alone are plain digits: without the routing code they need a label.
    assert numbers_found(notice(label_notice(impb))) == []
