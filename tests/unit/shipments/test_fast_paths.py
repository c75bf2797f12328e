"""The fast paths of the extraction give exactly what the straightforward code gave.

The reference functions below are the implementations as they were before the performance
work (eager status and merchant, ``str.translate``, collapsing line by line, trying every
stretch of the text); each fast path is compared with its reference on seeded random inputs
that mix tracking numbers, near misses and the whitespace and markup mail is made of.
"""

from __future__ import annotations

import random
import re

import pytest

from processors.shipments import extract, html_text, number_scan
from processors.shipments.context import LinkIndex
from processors.shipments.extract import MAX_TEXT_CHARS, Segment, TrackingFinding
from processors.shipments.merchant import detect_merchant
from processors.shipments.number_scan import NumberOccurrence
from processors.shipments.status import detect_status
from schemas.models import Email
from tests.unit.shipments import numbers
from tests.unit.shipments.mails import mail

# -- the reference implementations ---------------------------------------------------------------

_OLD_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u034f"), None)


def old_normalize_whitespace(text: str) -> str:
    text = text.translate(_OLD_INVISIBLE).replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = (re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def old_html_to_text(html: str) -> str:
    collector = html_text._TextCollector()
    collector.feed(html)
    collector.close()
    return re.sub(r"\n{2,}", "\n", old_normalize_whitespace("".join(collector.parts)))


def old_find_numbers(text: str) -> list[NumberOccurrence]:
    found: list[NumberOccurrence] = []
    for stretch in number_scan._STRETCH.finditer(text):
        offset = stretch.start()
        blocks = [
            number_scan._Block(m.group(), offset + m.start(), offset + m.end())
            for m in number_scan._BLOCK.finditer(stretch.group())
        ]
        found += number_scan._read_stretch(text, blocks)
    return found


def old_segments(email: Email) -> list[tuple[Segment, str]]:
    segments: list[tuple[Segment, str]] = []
    if email.subject:
        segments.append(("subject", old_normalize_whitespace(email.subject)))
    if email.body_text:
        segments.append(("text", old_normalize_whitespace(email.body_text[:MAX_TEXT_CHARS])))
    if email.body_html:
        segments.append(("html", old_html_to_text(email.body_html[:MAX_TEXT_CHARS])))
    if not (email.body_text or email.body_html) and email.snippet:
        segments.append(("snippet", old_normalize_whitespace(email.snippet)))
    return segments


def old_extract_findings(email: Email) -> list[TrackingFinding]:
    segments = old_segments(email)
    body = "\n".join(text for name, text in segments if name != "subject")
    facts = extract._mail_facts(email, body)
    status = detect_status(email.subject, body)
    sender = email.from_address
    merchant = detect_merchant(
        subject=email.subject,
        body=body,
        sender_name=sender.name if sender else None,
        sender_email=sender.email if sender else None,
    )
    findings: dict[str, TrackingFinding] = {}
    for name, text in segments:
        links = LinkIndex(text)
        for occurrence in old_find_numbers(text):
            reading = extract._accept(occurrence, text, links, facts)
            if reading is None or reading.tracking_number in findings:
                continue
            findings[reading.tracking_number] = TrackingFinding(
                carrier=reading.carrier,
                tracking_number=reading.tracking_number,
                product=reading.product,
                check_digit_verified=reading.check_digit,
                status=status,
                merchant=merchant,
                evidence=extract._evidence(text, occurrence),
                found_in=name,
            )
    return list(findings.values())


# -- random inputs ---------------------------------------------------------------------------------

_NUMBERS = [
    numbers.UPS,
    numbers.UPS.lower(),
    numbers.UPS_LETTERS,
    numbers.ups("4W5RXYAB03KLMNP"),  # 6 digits: only its length lets it through the pre-check
    numbers.FEDEX_EXPRESS,
    numbers.FEDEX_GROUND,
    numbers.USPS_IMPB,
    numbers.grouped(numbers.USPS_IMPB),
    numbers.grouped(numbers.FEDEX_GROUND, 3),
    numbers.DHL_EXPRESS,
    numbers.DHL_JJD,
    numbers.AMAZON,
    "TBA " + numbers.AMAZON[3:],
    numbers.s10("EA", "12345678", "US"),
    "EA 12345678" + numbers.s10("EA", "12345678", "US")[10] + " US",
    numbers.wrong_check(numbers.UPS),
    numbers.wrong_check(numbers.FEDEX_GROUND),
    "420" + "606612345" + numbers.USPS_IMPB,
]
_NOISE = [
    "2024", "Q3", "12px", "$19.99", "1-800-742-5877", "+1 415 555 0100", "20240601123045", "12345678",
    "123456789", "A1B2C3D4E5F6", "ORDER-99812-77", "4111 1111 1111 1111", "10:45", "3-4", "ab1-cd2-ef3-gh4",
]
_WORDS = [
    "tracking", "number", "Tracking number:", "UPS", "FedEx", "USPS", "DHL", "shipped", "has shipped",
    "was delivered", "out for delivery", "order", "Thanks for your order", "package", "shipment", "from",
    "Blue Bottle Coffee", "the", "ref", "invoice", "your", "café", "naïve", "Sendungsnummer",
]
_SPACES = [" ", " ", " ", " ", "  ", "\t", " \t ", "\u00a0", "\u200b", "\u00ad", "\u2003", "\x1c", "\x85", "-", "\n",
           "\r\n", "\n\n\n", " \n ", "\f", "\v", "\r"]
_TAGS = ["<p>", "</p>", "<br>", "<td>", "</td>", "<b>", "</b>", "<span>", "</span>", "<div>", "</div>", "&nbsp;",
         "&amp;", "<style>p{margin:0}</style>", "<!-- 1Z -->", '<a href="https://www.ups.com/track?tracknum=',
         '">track</a>', "</a>", "&#8203;", "<title>x</title>"]


def _text(rng: random.Random, parts: int) -> str:
    pieces: list[str] = []
    for _ in range(parts):
        pool = rng.choices([_NUMBERS, _NOISE, _WORDS], weights=[1, 3, 8])[0]
        pieces += [rng.choice(pool), rng.choice(_SPACES)]
    return "".join(pieces)


def _html(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_TAGS) + _text(rng, rng.randint(1, 4)) for _ in range(parts))


def _mails(count: int) -> list[Email]:
    rng = random.Random(20240601)
    senders = ["mcinfo@ups.com", "TrackingUpdates@fedex.com", "store@shop.example", "ada@example.org", "no-reply@shopify.com"]
    return [
        mail(
            sender=rng.choice(senders),
            subject=_text(rng, rng.randint(1, 6)),
            text=_text(rng, rng.randint(0, 60)) or None,
            html=_html(rng, rng.randint(0, 25)) or None,
            email_id=f"msg-{index}",
        )
        for index in range(count)
    ]


# -- the comparisons -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_normalize_whitespace_matches_the_line_by_line_reference(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        text = _text(rng, rng.randint(0, 30))
        assert html_text.normalize_whitespace(text) == old_normalize_whitespace(text)


def test_html_to_text_matches_the_reference() -> None:
    rng = random.Random(7)
    for _ in range(300):
        html = _html(rng, rng.randint(0, 20))
        assert html_text.html_to_text(html) == old_html_to_text(html)


def test_find_numbers_matches_trying_every_stretch() -> None:
    rng = random.Random(11)
    found = 0
    for _ in range(1000):
        text = old_normalize_whitespace(_text(rng, rng.randint(1, 40)))
        expected = old_find_numbers(text)
        assert number_scan.find_numbers(text) == expected
        found += len(expected)
    assert found > 300  # the inputs do exercise the reading path, not only the rejections


def test_find_numbers_matches_on_raw_text_with_stretches_at_both_ends() -> None:
    for text in ["", "7", "1Z", "Q3 2024", numbers.UPS, f"x{numbers.UPS}", f"{numbers.FEDEX_GROUND}-", "TBA-" + numbers.AMAZON[3:]]:
        assert number_scan.find_numbers(text) == old_find_numbers(text)


def test_extract_findings_matches_the_eager_reference() -> None:
    total = 0
    for email in _mails(400):
        expected = old_extract_findings(email)
        assert extract.extract_findings(email) == expected
        total += len(expected)
    assert total > 100  # many mails hold numbers, so the slow path after the early return is compared too


def test_html_gate_never_hides_a_number_the_converter_would_find() -> None:
    """``html_may_hold_numbers`` lets the extractor skip converting HTML; it may say yes in
    vain, never no where the converted text holds a number."""
    rng = random.Random(23)
    said_no = held = 0
    for _ in range(3000):
        html = _html(rng, rng.randint(0, 25))
        found = number_scan.find_numbers(html_text.html_to_text(html))
        if not html_text.html_may_hold_numbers(html):
            said_no += 1
            assert found == [], html
        held += bool(found)
    assert said_no > 300 and held > 300  # both sides of the gate are exercised


@pytest.mark.parametrize(
    ("html", "may_hold"),
    [
        ("<p>Invoice 2024 Q3, total $19.99, call 10:45</p>", False),
        (f"<p>Your parcel <b>{numbers.UPS[:9]}</b>{numbers.UPS[9:]} ships</p>", True),  # split by inline markup
        (f'<a href="https://www.ups.com/track?tracknum={numbers.UPS}">Track</a>', True),  # only in the link
        ("<p>" + "".join(f"&#{ord(c)};" for c in numbers.UPS) + "</p>", True),  # as character references
        (f"<style>p{{margin:0}}</style><p>{numbers.USPS_IMPB}</p>", True),
        (f"<style>.x{{content:'{numbers.USPS_IMPB}'}}</style><p>hello</p>", False),  # dropped with the style
    ],
)
def test_html_gate_examples(html: str, may_hold: bool) -> None:
    assert html_text.html_may_hold_numbers(html) is may_hold
    if not may_hold:
        assert number_scan.find_numbers(html_text.html_to_text(html)) == []


def test_text_gate_never_hides_a_number_normalizing_would_reveal() -> None:
    rng = random.Random(29)
    said_no = held = 0
    for _ in range(3000):
        text = _text(rng, rng.randint(0, 30))
        found = number_scan.find_numbers(html_text.normalize_whitespace(text))
        if not html_text.text_may_hold_numbers(text):
            said_no += 1
            assert found == [], text
        held += bool(found)
    assert said_no > 300 and held > 300
