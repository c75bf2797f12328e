"""Graph ``message`` JSON to the canonical ``Email``.

Read what ``graph_fields.MESSAGE_SELECT`` asks for: body (html or text), from / to / cc / bcc /
replyTo, conversationId (the thread), parentFolderId (the folder), categories (labels), isRead,
internetMessageId, internetMessageHeaders (In-Reply-To, References; Graph returns them only
when selected, and only for received mail), attachments (when expanded), changeKey, times (lastModifiedDateTime is the provider clock consumers order versions by).

An HTML body also fills ``body_text`` (converted by ``connectors.plain_text``), so a consumer
that reads text finds it whatever the sender wrote. ``hasAttachments`` becomes
``has_attachments``: Graph lists attachments only when they are expanded, so an empty
``attachments`` alone cannot tell "none" from "not fetched".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.microsoft.exceptions import NormalizationError
from connectors.microsoft.payload import (
    building,
    email_address,
    flag,
    instant,
    objects,
    recipients,
    require_object,
    required_text,
    strings,
    text,
)
from connectors.payload_fields import shown
from connectors.plain_text import html_to_text
from schemas.models import Attachment, Email, Provider

WHAT = "message"


def normalize_message(payload: object, *, folder_names: Mapping[str, str] | None = None) -> Email:
    """The Email for a Graph message; ``folder_names`` maps parentFolderId to a folder's name
    (from the mail folder tree), otherwise the folder is the opaque id."""
    message = require_object(payload, WHAT)
    body_text, body_html = _bodies(message)
    headers = _headers(message)
    folder_id = text(message, "parentFolderId", WHAT)
    attachments = _attachments(message)
    with building(WHAT):
        return Email(
            id=required_text(message, "id", WHAT),
            provider=Provider.microsoft,
            thread_id=text(message, "conversationId", WHAT),
            folder=(folder_names or {}).get(folder_id, folder_id) if folder_id else None,
            labels=strings(message, "categories", WHAT),
            from_address=_sender(message),
            reply_to=recipients(message, "replyTo", WHAT),
            to=recipients(message, "toRecipients", WHAT),
            cc=recipients(message, "ccRecipients", WHAT),
            bcc=recipients(message, "bccRecipients", WHAT),
            subject=text(message, "subject", WHAT),
            sent_at=instant(message, "sentDateTime", WHAT),
            received_at=instant(message, "receivedDateTime", WHAT),
            snippet=text(message, "bodyPreview", WHAT),
            body_text=body_text,
            body_html=body_html,
            attachments=attachments,
            has_attachments=_has_attachments(message, attachments),
            is_read=flag(message, "isRead", WHAT),
            internet_message_id=text(message, "internetMessageId", WHAT),
            in_reply_to=headers.get("in-reply-to"),
            references=headers.get("references", "").split(),
            version_marker=text(message, "changeKey", WHAT) or _etag(message),
            updated_at=instant(message, "lastModifiedDateTime", WHAT),
        )


def _bodies(message: Mapping[str, Any]) -> tuple[str | None, str | None]:
    body = message.get("body")
    if body is None:
        return None, None
    body = require_object(body, f"{WHAT}.body")
    content = text(body, "content", f"{WHAT}.body")
    kind = (text(body, "contentType", f"{WHAT}.body") or "text").lower()
    if kind not in ("html", "text"):
        raise NormalizationError(f"{WHAT}.body: contentType must be 'html' or 'text', got {shown(kind)}")
    if kind == "text":
        return content, None
    plain = html_to_text(content) if content else ""
    return plain or None, content


def _sender(message: Mapping[str, Any]) -> Any:
    for key in ("from", "sender"):
        if message.get(key):
            return email_address(require_object(message[key], f"{WHAT}.{key}"), f"{WHAT}.{key}")
    return None


def _headers(message: Mapping[str, Any]) -> dict[str, str]:
    """The threading headers we keep, by lower-case name (Graph keeps the sender's casing)."""
    wanted = {"in-reply-to", "references"}
    found: dict[str, str] = {}
    for index, header in enumerate(objects(message, "internetMessageHeaders", WHAT)):
        name = (text(header, "name", f"{WHAT}.internetMessageHeaders[{index}]") or "").lower()
        if name in wanted:
            found[name] = " ".join((text(header, "value", f"{WHAT}.internetMessageHeaders[{index}]") or "").split())
    return found


def _attachments(message: Mapping[str, Any]) -> list[Attachment]:
    found = []
    for index, item in enumerate(objects(message, "attachments", WHAT)):
        what = f"{WHAT}.attachments[{index}]"
        size = item.get("size") or 0
        if not isinstance(size, int) or size < 0:
            raise NormalizationError(f"{what}: size must be a non-negative integer, got {shown(size)}")
        found.append(Attachment(
            attachment_id=text(item, "id", what, required=True) or "",
            filename=text(item, "name", what),
            content_type=text(item, "contentType", what),
            size_bytes=size,
            is_inline=flag(item, "isInline", what),
            content_id=text(item, "contentId", what),
        ))
    return found


def _has_attachments(message: Mapping[str, Any], attachments: list[Attachment]) -> bool | None:
    """Graph's ``hasAttachments`` (it leaves inline images out); without it, what the expanded
    attachments show; None when neither was sent."""
    if message.get("hasAttachments") is not None:
        return flag(message, "hasAttachments", WHAT)
    if message.get("attachments") is not None:
        return any(not attachment.is_inline for attachment in attachments)
    return None


def _etag(message: Mapping[str, Any]) -> str | None:
    """``W/"CQAAABYAAAD..."``: Outlook's etag is the change key, quoted and weak."""
    etag = text(message, "@odata.etag", WHAT)
    if etag is None:
        return None
    return etag.removeprefix("W/").strip('"') or None
