"""Gmail messages (format=full and format=raw) → canonical Email."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from connectors.google.exceptions import NormalizationError
from connectors.google.normalize import normalize
from schemas.models import Address, Attachment, Email, Provider
from tests.unit.google.payloads import (
    HTML,
    PLAIN,
    WINDOWS_1252_TEXT,
    b64url,
    gmail_full_message,
    gmail_html_only_message,
    gmail_inline_image_only_message,
    gmail_latin1_full_message,
    gmail_raw_message,
    gmail_raw_windows_1252_message,
    gmail_windows_1252_full_message,
)


def test_full_format_reads_every_header_into_the_email() -> None:
    email = normalize("email", gmail_full_message())
    assert isinstance(email, Email)
    assert email.provider is Provider.google
    assert email.from_address == Address(email="grace@fabrikam.example", name="Grace Hopper")
    assert email.to == [Address(email="ada@contoso.example", name="Ada Lovelace"),
                        Address(email="alan@contoso.example", name="Turing, Alan")]
    assert email.cc == [Address(email="edsger@contoso.example")]
    assert email.reply_to == [Address(email="team@fabrikam.example", name="Team")]
    assert email.subject == "Agenda for Thursday"
    assert email.internet_message_id == "<CAF=abc123@mail.gmail.com>"
    assert email.in_reply_to == "<CAF=prev@mail.gmail.com>"
    assert email.references == ["<CAF=root@mail.gmail.com>", "<CAF=prev@mail.gmail.com>"]
    assert email.sent_at == datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    assert email.received_at == datetime.fromtimestamp(1793610000, UTC)


def test_full_format_takes_bodies_from_alternative_nested_in_mixed_and_related() -> None:
    email = normalize("email", gmail_full_message())
    assert email.body_text == PLAIN
    assert email.body_html == HTML


def test_attachments_and_inline_images_are_metadata_only() -> None:
    email = normalize("email", gmail_full_message())
    assert email.attachments == [
        Attachment(attachment_id="ANGjdJ8wQ1logo", filename="logo.png", content_type="image/png", size_bytes=2048,
                   is_inline=True, content_id="logo@contoso"),
        Attachment(attachment_id="ANGjdJ9pdf", filename="agenda.pdf", content_type="application/pdf", size_bytes=48213),
    ]


def test_labels_give_read_state_folder_thread_version_and_unescaped_snippet() -> None:
    email = normalize("email", gmail_full_message())
    assert email.labels == ["IMPORTANT", "CATEGORY_PERSONAL", "INBOX", "UNREAD"]
    assert email.is_read is False
    assert email.folder == "inbox"
    assert email.thread_id == "18c1f0a2b3d4e5f0"
    assert email.version_marker == "987654"
    assert email.snippet == "Hi Ada, here's the agenda for Thursday."


def test_a_message_without_unread_or_inbox_is_read_and_archived() -> None:
    message = gmail_full_message()
    message["labelIds"] = ["IMPORTANT"]
    email = normalize("email", message)
    assert email.is_read is True
    assert email.folder == "archive"


def test_full_format_decodes_a_latin1_part_with_its_charset_and_encoded_word_headers() -> None:
    email = normalize("email", gmail_latin1_full_message())
    assert email.body_text == "Le café est prêt, größer!\n"
    assert email.body_html is None
    assert email.from_address == Address(email="francois@fabrikam.example", name="François Dupont")
    assert email.subject == "Café menu"
    assert email.folder == "sent"


def test_raw_format_parses_quoted_printable_latin1_and_base64_parts() -> None:
    email = normalize("email", gmail_raw_message())
    # the CRLF before a boundary belongs to the boundary, not to the text
    assert email.body_text == "Le café est prêt. Une ligne très longue qui continue après un saut doux."
    assert email.body_html == "<p>Le café est prêt.</p>"
    assert email.subject == "Café menu"
    assert email.from_address == Address(email="francois@fabrikam.example", name="François Dupont")
    assert email.sent_at == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
    assert email.references == ["<menu-40@fabrikam.example>", "<menu-41@fabrikam.example>"]
    assert email.in_reply_to == "<menu-41@fabrikam.example>"


def test_raw_format_attachments_are_named_by_gmail_part_id() -> None:
    email = normalize("email", gmail_raw_message())
    assert email.attachments == [
        Attachment(attachment_id="part:1", filename="menu.pdf", content_type="application/pdf",
                   size_bytes=len(b"%PDF-1.4\nsynthetic\n")),
    ]


def test_padded_and_unpadded_base64url_decode_alike() -> None:
    message = gmail_latin1_full_message()
    padded = normalize("email", message)
    message["payload"]["body"]["data"] = message["payload"]["body"]["data"].rstrip("=")
    assert normalize("email", message).body_text == padded.body_text


@pytest.mark.parametrize(
    ("mutate", "says"),
    [
        (lambda m: m.pop("id"), "no id"),
        (lambda m: m.pop("payload"), "neither payload"),
        (lambda m: m["payload"].pop("mimeType"), "payload.mimeType is missing"),
        (lambda m: m["payload"]["parts"][1]["body"].update(size=-1), "payload.parts[1].body.size"),
        (lambda m: m["payload"]["parts"][0]["parts"][0]["body"].update(data="%%%not base64%%%"),
         "payload.parts[0].parts[0].body.data is not valid base64url"),
        (lambda m: m.update(labelIds="INBOX"), "labelIds must be a list"),
        (lambda m: m.update(internalDate="yesterday"), "internalDate must be epoch milliseconds"),
        (lambda m: m["payload"].update(headers={"From": "x"}), "payload.headers must be a list"),
    ],
)
def test_an_unreadable_message_raises_normalization_error_saying_what_is_wrong(mutate, says: str) -> None:
    message = copy.deepcopy(gmail_full_message())
    mutate(message)
    with pytest.raises(NormalizationError, match=says.replace("(", r"\(").replace("[", r"\[").replace("]", r"\]")):
        normalize("email", message)


def test_raw_that_is_not_a_message_is_refused() -> None:
    with pytest.raises(NormalizationError, match="raw is empty"):
        normalize("email", {"id": "x", "raw": b64url(b"   ")})
    with pytest.raises(NormalizationError, match="raw is not valid base64url"):
        normalize("email", {"id": "x", "raw": "***"})


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(NormalizationError, match="unknown kind 'memo'"):
        normalize("memo", {})  # type: ignore[arg-type]


def test_standard_base64_alphabet_is_accepted_too() -> None:
    import base64

    message = gmail_latin1_full_message()
    text = "ÿ>?" * 10 + "\n"  # bytes whose base64 needs '+' and '/'
    message["payload"]["body"]["data"] = base64.b64encode(text.encode("latin-1")).decode()
    assert "+" in message["payload"]["body"]["data"] or "/" in message["payload"]["body"]["data"]
    assert normalize("email", message).body_text == text


def _c1_controls(text: str | None) -> list[str]:
    return [char for char in text or "" if "\x80" <= char <= "\x9f"]


def test_iso_8859_1_and_us_ascii_labels_are_read_as_windows_1252_in_full_format() -> None:
    """The bytes 0x80-0x9F of mail labelled iso-8859-1 / us-ascii are windows-1252 punctuation
    (as mail clients and the WHATWG Encoding Standard read them), never C1 controls."""
    email = normalize("email", gmail_windows_1252_full_message())
    assert isinstance(email, Email)
    assert email.body_text == WINDOWS_1252_TEXT
    assert email.body_html == f"<p>{WINDOWS_1252_TEXT.strip()}</p>"
    assert email.subject == "\u201cBudget\u201d \u2013 Q3"
    assert not _c1_controls(email.body_text) and not _c1_controls(email.body_html) and not _c1_controls(email.subject)


def test_iso_8859_1_and_us_ascii_labels_are_read_as_windows_1252_in_raw_format() -> None:
    email = normalize("email", gmail_raw_windows_1252_message())
    assert isinstance(email, Email)
    assert email.body_text == WINDOWS_1252_TEXT.strip()
    assert email.body_html == "<p>\u201con\u201d \u2013 \u20ac100</p>"
    # encoded words folded over two lines are one text; UTF-8 written straight in a header is read as such
    assert email.subject == "Invoice \u2013 \u20ac100 due"
    assert email.from_address == Address(email="renee@fabrikam.example", name="Ren\u00e9e \u201cRJ\u201d Jones")
    assert email.to == [Address(email="zoe@contoso.example", name="Zo\u00eb Adams")]
    assert email.internet_message_id == "<invoice-7@fabrikam.example>"


def test_real_latin1_text_reads_the_same_as_before() -> None:
    """windows-1252 agrees with ISO-8859-1 outside 0x80-0x9F: honest latin-1 is unchanged."""
    email = normalize("email", gmail_latin1_full_message())
    assert email.body_text == "Le café est prêt, größer!\n"


def test_an_html_only_message_also_carries_its_text() -> None:
    email = normalize("email", gmail_html_only_message())
    assert isinstance(email, Email)
    assert email.body_html is not None and email.body_html.startswith("<html>")
    assert email.body_text == "Your order shipped\n\nTrack it: 1Z999AA10123456784"


def test_has_attachments_counts_attached_files_not_inline_images() -> None:
    assert normalize("email", gmail_full_message()).has_attachments is True  # a PDF besides the inline logo
    assert normalize("email", gmail_raw_message()).has_attachments is True
    inline_only = normalize("email", gmail_inline_image_only_message())
    assert inline_only.has_attachments is False and [a.is_inline for a in inline_only.attachments] == [True]
    assert normalize("email", gmail_latin1_full_message()).has_attachments is False
