"""A world ``MailItem`` rendered as Gmail's ``users.messages`` resource.

``format=full``: the MIME tree as ``payload`` parts (``partId`` "", "0", "0.1"...;
``mimeType``, ``filename``, ``headers``, ``body``). Transfer encodings are undone, charsets
are not: ``body.data`` is the base64url of the part's decoded bytes. Text parts carry their
data inline; attachments and inline images carry an ``attachmentId`` and a size instead.
``format=raw``: the base64url of the RFC 5322 bytes. ``minimal``: ids and labels only.
``metadata``: top-level headers only.
"""

from __future__ import annotations

import base64
import email
import html
import re
from email import policy
from email.message import EmailMessage
from typing import Any

from connectors.emulator.world import MailItem

_SNIPPET_CHARS = 200


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def render_message(item: MailItem, fmt: str, history_id: int) -> dict[str, Any]:
    resource: dict[str, Any] = {"id": item.id, "threadId": item.thread_id, "labelIds": list(item.labels)}
    if fmt == "minimal":
        return {**resource, "historyId": str(history_id)}
    parsed = email.message_from_bytes(item.mime, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    resource.update(
        snippet=_snippet(parsed),
        historyId=str(history_id),
        internalDate=str(int(item.received_at.timestamp() * 1000)),
        sizeEstimate=len(item.mime),
    )
    if fmt == "raw":
        resource["raw"] = b64url(item.mime)
    elif fmt == "metadata":
        resource["payload"] = {"partId": "", "mimeType": parsed.get_content_type(), "filename": "",
                               "headers": _headers(parsed), "body": {"size": 0}}
    else:
        resource["payload"] = _part(item.id, parsed, "")
    return resource


def _part(message_id: str, part: EmailMessage, part_id: str) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part),
    }
    if part.is_multipart():
        rendered["body"] = {"size": 0}
        rendered["parts"] = [
            _part(message_id, child, f"{part_id}.{index}" if part_id else str(index))  # type: ignore[arg-type]
            for index, child in enumerate(part.iter_parts())
        ]
        return rendered
    payload = part.get_payload(decode=True)
    content = payload if isinstance(payload, bytes) else b""
    if rendered["filename"] or part.get_content_maintype() != "text":
        attachment_id = "ANGjdJ" + b64url(f"{message_id}:{part_id}".encode()).rstrip("=")
        rendered["body"] = {"attachmentId": attachment_id, "size": len(content)}
    else:
        rendered["body"] = {"size": len(content), "data": b64url(content)}
    return rendered


def _headers(part: EmailMessage) -> list[dict[str, str]]:
    # Gmail hands headers back decoded (RFC 2047 words undone), unfolded.
    return [{"name": name, "value": re.sub(r"\r?\n[ \t]+", " ", str(value))} for name, value in part.items()]


def _snippet(message: EmailMessage) -> str:
    """About the first 200 characters of the text, HTML-escaped the way Gmail does (&#39;)."""
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    if body is not None and body.get_content_subtype() == "html":
        text = re.sub(r"<[^>]+>", " ", text)
    words = " ".join(text.split())[:_SNIPPET_CHARS]
    return html.escape(words).replace("&#x27;", "&#39;")
