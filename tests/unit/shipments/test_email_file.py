"""``extract_from_file``: .eml and canonical JSON in, JSON-ready findings out, clear errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from processors.shipments import email_file
from processors.shipments.email_file import extract_from_file, read_email_file
from processors.shipments.exceptions import EmailFileError
from schemas.models import Address
from tests import factories
from tests.unit.shipments import numbers

# A multipart/alternative notice as a store sends it: the HTML part is quoted-printable with a
# soft line break inside the tracking link, the text part is base64 in ISO-8859-1.
EML = f"""\
Return-Path: <bounce@acme.example>
From: "Acme Outdoor" <orders@acme.example>
To: Ada Lovelace <ada@example.com>
Subject: =?utf-8?q?Your_order_from_Acme_Outdoor_has_shipped_=F0=9F=93=A6?=
Date: Mon, 02 Nov 2026 10:15:00 +0100
Message-ID: <20261102091500.1234@mail.acme.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: base64

{{text_b64}}
--BOUNDARY
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

<p>Your order has shipped.</p>
<p><a href=3D"https://www.fedex.com/fedextrack/?trknbr=3D{numbers.FEDEX_EXPRESS[:6]}=
{numbers.FEDEX_EXPRESS[6:]}">Track your package</a></p>
--BOUNDARY--
"""


def write_eml(tmp_path: Path, text: str) -> Path:
    import base64

    encoded = base64.encodebytes(text.encode("iso-8859-1")).decode("ascii").strip()
    path = tmp_path / "notice.eml"
    path.write_bytes(EML.replace("{text_b64}", encoded).replace("\n", "\r\n").encode("ascii"))
    return path


def test_an_eml_is_read_with_sender_subject_date_and_both_parts(tmp_path: Path) -> None:
    email = read_email_file(write_eml(tmp_path, f"Grüße! UPS tracking: {numbers.UPS}"))
    assert email.from_address == Address(email="orders@acme.example", name="Acme Outdoor")
    assert email.subject == "Your order from Acme Outdoor has shipped 📦"
    assert email.sent_at == dt.datetime(2026, 11, 2, 9, 15, tzinfo=dt.UTC)
    assert email.id == "20261102091500.1234@mail.acme.example"
    assert email.body_text is not None and email.body_text.startswith("Grüße!")
    assert email.body_html is not None and numbers.FEDEX_EXPRESS in email.body_html


def test_findings_from_an_eml_are_json_ready(tmp_path: Path) -> None:
    found = extract_from_file(write_eml(tmp_path, f"UPS tracking: {numbers.UPS}"))
    json.dumps(found)  # must not raise
    assert [(f["carrier"], f["tracking_number"], f["status"], f["merchant"]) for f in found] == [
        ("ups", numbers.UPS, "shipped", "Acme Outdoor"),
        ("fedex", numbers.FEDEX_EXPRESS, "shipped", "Acme Outdoor"),
    ]
    assert numbers.UPS in found[0]["evidence"]


def test_canonical_email_json_is_read(tmp_path: Path) -> None:
    email = factories.email(body_text=f"Your DHL Express waybill {numbers.DHL_EXPRESS} is on its way.", body_html=None)
    path = tmp_path / "email.json"
    path.write_text(email.model_dump_json())
    assert read_email_file(path) == email
    assert [f["tracking_number"] for f in extract_from_file(path)] == [numbers.DHL_EXPRESS]


def test_json_is_recognised_without_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "email.txt"
    path.write_text(factories.email().model_dump_json())
    assert read_email_file(path).id == "msg-1"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(EmailFileError, match=r"nope\.eml: no such file"):
        extract_from_file(tmp_path / "nope.eml")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmailFileError, match="is a directory"):
        extract_from_file(tmp_path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.eml"
    path.write_text("  \n")
    with pytest.raises(EmailFileError, match=r"empty\.eml: is empty"):
        extract_from_file(path)


def test_broken_json_says_so(tmp_path: Path) -> None:
    path = tmp_path / "email.json"
    path.write_text('{"id": "m1", "subject": ')
    with pytest.raises(EmailFileError, match="is not a canonical Email JSON document: .*Invalid JSON") as info:
        extract_from_file(path)
    assert info.value.path == str(path)


def test_json_of_another_shape_names_the_fields(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"subject": "hi", "colour": "blue"}))
    with pytest.raises(EmailFileError, match=r"id: Field required.*colour: Extra inputs are not permitted"):
        extract_from_file(path)


def test_a_text_file_that_is_not_a_message_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.eml"
    path.write_text("just some notes\nwithout any headers\n")
    with pytest.raises(EmailFileError, match="no From, Subject, Date or Message-ID header"):
        extract_from_file(path)


def test_an_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(email_file, "MAX_FILE_BYTES", 1024)
    path = tmp_path / "big.eml"
    path.write_bytes(b"Subject: x\r\n\r\n" + b"a" * 4096)
    with pytest.raises(EmailFileError, match="larger than"):
        extract_from_file(path)


def test_an_eml_without_message_id_uses_the_file_name_and_a_zoneless_date_is_utc(tmp_path: Path) -> None:
    path = tmp_path / "bare.eml"
    path.write_text("From: shop@acme.example\nSubject: Shipped\nDate: Mon, 02 Nov 2026 09:15:00 -0000\n\nhello\n")
    email = read_email_file(path)
    assert (email.id, email.sent_at, email.body_text) == (
        "bare.eml",
        dt.datetime(2026, 11, 2, 9, 15, tzinfo=dt.UTC),
        "hello\n",
    )
