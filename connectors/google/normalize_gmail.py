"""A Gmail ``users.messages`` resource (``format=full`` or ``format=raw``) → canonical ``Email``.

Headers come from the payload (full) or the parsed message (raw), as written in both cases;
bodies are the first text/plain and text/html parts that are not attachments, decoded in their
charset as mail clients do (``connectors.google.charsets``); an HTML-only message also gets
its text (``connectors.plain_text``). Attachments and inline images are metadata only;
``has_attachments`` counts the attachments that are not inline images (as Graph's
``hasAttachments`` does). ``labelIds`` give the labels, the read state (no ``UNREAD``) and a
folder; ``historyId`` is the version marker (it grows with every change to the message).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import ValidationError

from connectors.google.addresses import parse_addresses
from connectors.google.charsets import decode_words
from connectors.google.exceptions import NormalizationError
from connectors.google.fields import FIELDS, model_error
from connectors.google.mime import (
    Leaf,
    body_leaves,
    header_map,
    leaves_of_message,
    leaves_of_payload,
    parse_raw,
    raw_headers,
)
from connectors.payload_fields import nesting_guard
from connectors.plain_text import html_to_text
from schemas.models import Email, Provider

#: System labels that say where a message lives; anything else is archived ("All Mail").
_FOLDERS = (("TRASH", "trash"), ("SPAM", "spam"), ("DRAFT", "drafts"), ("SENT", "sent"), ("INBOX", "inbox"))
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_RFC5322_DATE = re.compile(
    r"(?:[A-Z][a-z]{2}, ?)?(?P<day>\d{1,2}) (?P<month>[A-Z][a-z]{2}) (?P<year>\d{4}) "
    r"(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))? (?P<zone>[+-]\d{4})(?: \([^()]*\))?"
)
_HEADERS = ("from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "in-reply-to", "references")


def normalize_gmail_message(message: Mapping[str, Any]) -> Email:
    """The canonical ``Email`` for a Gmail message in ``full`` or ``raw`` format."""
    if not isinstance(message, Mapping):
        raise NormalizationError("a Gmail message must be a JSON object")
    message_id = message.get("id")
    if not isinstance(message_id, str) or not message_id:
        raise NormalizationError("Gmail message has no id")
    with nesting_guard(message, f"Gmail message {message_id}", NormalizationError):
        if "payload" in message:
            leaves = leaves_of_payload(message["payload"])  # checks the payload is an object
            headers = header_map(message["payload"].get("headers", []), "payload")
        elif "raw" in message:
            parsed = parse_raw(message["raw"])
            headers = raw_headers(parsed, _HEADERS)
            leaves = leaves_of_message(parsed)
        else:
            raise NormalizationError(f"Gmail message {message_id} has neither payload (format=full) nor raw (format=raw)")
        try:
            return _email(message, message_id, headers, leaves)
        except ValidationError as exc:
            raise model_error(f"Gmail message {message_id}", exc) from None


def _email(message: Mapping[str, Any], message_id: str, headers: dict[str, str], leaves: list[Leaf]) -> Email:
    labels = _labels(message.get("labelIds"), message_id)
    plain, rich = body_leaves(leaves)
    html = rich.text() if rich is not None else None
    # One dict validated in one pass: nested addresses and attachments stay plain dicts,
    # much cheaper than building each sub-model on its own (this is the sync's hot path).
    return Email.model_validate({
        "id": message_id,
        "provider": Provider.google,
        "thread_id": FIELDS.text(message, "threadId", f"Gmail message {message_id}"),
        "folder": _folder(labels),
        "labels": labels,
        "from_address": next(iter(parse_addresses(headers.get("from"))), None),
        "reply_to": parse_addresses(headers.get("reply-to")),
        "to": parse_addresses(headers.get("to")),
        "cc": parse_addresses(headers.get("cc")),
        "bcc": parse_addresses(headers.get("bcc")),
        "subject": decode_words(headers["subject"]) if "subject" in headers else None,
        "sent_at": _date(headers.get("date")),
        "received_at": _internal_date(message.get("internalDate"), message_id),
        "snippet": _snippet(message.get("snippet"), message_id),
        "body_text": plain.text() if plain is not None else (html_to_text(html) or None if html else None),
        "body_html": html,
        "attachments": [_attachment(leaf) for leaf in leaves if leaf.is_attachment],
        "has_attachments": any(leaf.is_attached_file for leaf in leaves),
        "is_read": "UNREAD" not in labels,
        "internet_message_id": headers.get("message-id", "").strip() or None,
        "in_reply_to": headers.get("in-reply-to", "").strip() or None,
        "references": headers.get("references", "").split(),
        "version_marker": _history_id(message.get("historyId"), message_id),
    })


def _labels(value: object, message_id: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(label, str) for label in value):
        raise NormalizationError(f"Gmail message {message_id}: labelIds must be a list of strings")
    return list(value)


def _folder(labels: list[str]) -> str:
    return next((folder for label, folder in _FOLDERS if label in labels), "archive")


def _date(value: str | None) -> datetime | None:
    """The Date header; a zone-less date is taken as UTC, an unreadable one as absent (mail in
    the wild has broken Date headers, and internalDate still dates the message)."""
    if not value:
        return None
    match = _RFC5322_DATE.fullmatch(value.strip())
    try:
        if match is not None and match["month"] in _MONTHS:  # the common shape, without the stdlib's tokenizer
            offset = int(match["zone"][1:3]) * 60 + int(match["zone"][3:])
            zone = timezone(timedelta(minutes=-offset if match["zone"][0] == "-" else offset))
            return datetime(int(match["year"]), _MONTHS[match["month"]], int(match["day"]), int(match["hour"]),
                            int(match["minute"]), int(match["second"] or 0), tzinfo=zone)
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):  # 30 Feb, hour 25, offset +9999...
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _internal_date(value: object, message_id: str) -> datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise NormalizationError(f"Gmail message {message_id}: internalDate must be epoch milliseconds") from None


def _history_id(value: object, message_id: str) -> str | None:
    """Gmail writes the uint64 ``historyId`` as a string; a number is read too."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise NormalizationError(f"Gmail message {message_id}: historyId must be a string of digits")
    return str(value)


def _snippet(value: object, message_id: str) -> str | None:
    """Gmail's snippet is HTML-escaped (``&#39;``)."""
    if not value:
        return None
    if not isinstance(value, str):
        raise NormalizationError(f"Gmail message {message_id}: snippet must be a string")
    return html.unescape(value) if "&" in value else value


def _attachment(leaf: Leaf) -> dict[str, Any]:
    """``Attachment`` fields, validated with the ``Email``."""
    return {
        "attachment_id": leaf.attachment_id or f"part:{leaf.part_id}",
        "filename": leaf.filename or None,
        "content_type": leaf.mime_type,
        "size_bytes": leaf.size,
        "is_inline": not leaf.is_attached_file,
        "content_id": leaf.content_id,
    }
