"""Gmail messages (format=full and format=raw) → canonical Email."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from connectors.google.exceptions import NormalizationError
from connectors.google.normalize import normalize
from schemas.models import Address, Attachment, Email, Provider
from tests.unit.google.payloads import HTML, PLAIN, b64url, gmail_full_message, gmail_latin1_full_message, gmail_raw_message


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
