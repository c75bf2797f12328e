"""Numbers that pass a check digit but are not tracking numbers stay out.

Every case first asserts that the number does read as some carrier's format, so the test
shows the context (not the check digit) keeps it out.
"""

from __future__ import annotations

from processors.shipments.formats import identify
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail, numbers_found

ORDER_NUMBER = "123456789012"  # passes the FedEx Express check digit


def test_preconditions_the_numbers_used_here_pass_a_check_digit() -> None:
    for number in (ORDER_NUMBER, "8005551212", numbers.FEDEX_EXPRESS):
        assert identify(number), number


def test_an_order_number_is_not_a_tracking_number() -> None:
    text = f"Thanks for your order!\nOrder #{ORDER_NUMBER}\nWe'll let you know when it ships."
    assert numbers_found(mail(sender="orders@acme.example", subject="Order confirmation", text=text)) == []


def test_the_nearest_label_wins_over_an_earlier_tracking_word() -> None:
    text = f"Tracking details for order number {ORDER_NUMBER}: your FedEx tracking number is {numbers.FEDEX_EXPRESS}."
    assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", text=text)) == [numbers.FEDEX_EXPRESS]


def test_phone_numbers_are_not_dhl_waybills_even_from_dhl() -> None:
    text = "Questions about your DHL shipment? Call 800-555-1212 or +1 800 555 1212, or text 8005551212."
    assert numbers_found(mail(sender="noreply@dhl.com", subject="Your DHL shipment", text=text)) == []


def test_a_ten_digit_number_needs_dhl_named_even_with_a_tracking_label() -> None:
    text = "Tracking: 8005551212"
    assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", text=text)) == []
    assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", text="DHL tracking: 8005551212")) == [
        "8005551212"
    ]


def test_invoice_ids_are_not_tracking_numbers() -> None:
    text = f"Invoice INV-{numbers.FEDEX_EXPRESS} for your FedEx account is attached."
    assert numbers_found(mail(sender="billing@fedex.com", subject="Your FedEx invoice", text=text)) == []


def test_a_twelve_digit_number_in_a_newsletter_without_carrier_context_is_ignored() -> None:
    # The mail talks about shipping, but nothing next to the number calls it a tracking number.
    text = (
        "This week's picks! Free shipping on all orders over $50.\n"
        f"Spring catalogue {numbers.FEDEX_EXPRESS} is out now."
    )
    assert (
        numbers_found(mail(sender="news@outdoor.example", name="Outdoor News", subject="Spring sale", text=text)) == []
    )


def test_long_ids_in_links_of_unrelated_sites_are_ignored_even_near_tracking_words() -> None:
    html = (
        "<p>Read our guide to package tracking: "
        f'<a href="https://blog.example/articles/{numbers.FEDEX_EXPRESS}?utm_source=tracking">guide</a></p>'
    )
    assert numbers_found(mail(sender="news@blog.example", subject="Shipping tips", html=html)) == []


def test_the_same_number_in_a_carrier_link_is_found() -> None:
    html = f'<p>Your order has shipped.</p><a href="https://www.fedex.com/fedextrack/?trknbr={numbers.FEDEX_EXPRESS}">Track</a>'
    assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", html=html)) == [numbers.FEDEX_EXPRESS]


def test_a_store_link_with_a_tracking_parameter_counts() -> None:
    html = f'<a href="https://acme.example/apps/track?tracking_number={numbers.FEDEX_EXPRESS}">Where is my order?</a>'
    assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", html=html)) == [numbers.FEDEX_EXPRESS]


def test_compact_timestamps_are_not_tracking_numbers() -> None:
    stamp = next(s for s in (f"2026110215{m:02d}" for m in range(60)) if identify(s))
    text = f"Shipment report generated {stamp}. Shipment {stamp} summary below."
    assert numbers_found(mail(sender="reports@warehouse.example", subject="Daily shipment report", text=text)) == []


def test_dates_written_with_separators_are_not_numbers() -> None:
    text = "Tracking history: 2026-11-02 10:15 Arrived at facility; 11/02/2026 departed."
    assert numbers_found(mail(sender="orders@acme.example", subject="Update", text=text)) == []


def test_a_self_describing_number_in_mail_not_about_shipping_is_ignored() -> None:
    text = f"Meeting notes: the code word for the quiz was {numbers.UPS}."
    assert numbers_found(mail(sender="ada@example.com", subject="Notes from Monday", text=text)) == []


def test_a_self_describing_number_in_mail_about_shipping_needs_no_label() -> None:
    text = f"Your parcel is on its way: {numbers.UPS}"
    assert numbers_found(mail(sender="ada@example.com", subject="Sent you the book", text=text)) == [numbers.UPS]


def test_pickups_and_signups_are_not_ups() -> None:
    text = f"Store pick-ups and sign-ups open today. {numbers.FEDEX_EXPRESS}"
    assert numbers_found(mail(sender="news@acme.example", subject="News", text=text)) == []


def test_ids_in_a_carriers_non_tracking_links_are_ignored() -> None:
    html = (
        "<p>Your order has shipped. Customers also bought:</p>"
        f'<a href="https://www.amazon.com/dp/B0C1234567/ref=pd_{numbers.FEDEX_EXPRESS}">Desk lamp</a>'
    )
    assert numbers_found(mail(sender="shipment-tracking@amazon.com", subject="Shipped", html=html)) == []


def test_a_usps_label_barcode_in_mail_not_about_shipping_is_ignored() -> None:
    text = f"Meeting notes: the lottery ticket read {numbers.USPS_LABEL_30}, no luck."
    assert identify(numbers.USPS_LABEL_30)[0].self_describing
    assert numbers_found(mail(sender="ada@example.com", subject="Notes from Monday", text=text)) == []


def test_a_usps_label_shaped_order_or_account_number_is_not_a_tracking_number() -> None:
    for text in (f"Order #{numbers.USPS_LABEL_34} has shipped.", f"Your account {numbers.USPS_LABEL_30} was charged for shipping."):
        assert numbers_found(mail(sender="orders@acme.example", subject="Shipped", text=text)) == [], text


def test_long_digit_runs_starting_with_420_that_fail_the_impb_rules_stay_out() -> None:
    wrong_check = "42062704" + numbers.wrong_check(numbers.USPS_IMPB)
    not_a_channel = "42062704" + numbers.gs1("970011120108080548301")  # 97 is no IMpb channel identifier
    card_like = "420" + "62704" + "4111111111111111111111"  # 30 digits of another kind
    for number in (wrong_check, not_a_channel, card_like):
        assert identify(number) == [], number
        text = f"Your package is on its way! {number}"  # even with a word that vouches for it
        assert numbers_found(mail(sender="hello@shop.example", subject="Shipped", text=text)) == [], number
