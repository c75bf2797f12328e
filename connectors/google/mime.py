"""Gmail message payloads as a flat list of leaf parts, from either format.

``format=full``: Gmail has already parsed the MIME tree into ``payload`` (``partId``,
``mimeType``, ``filename``, ``headers``, ``body {size, data | attachmentId}``, ``parts``). The
content-transfer-encoding (base64, quoted-printable) is already undone: ``body.data`` is the
base64url of the part's *decoded bytes*, still in the charset its Content-Type names.

``format=raw``: ``raw`` is the base64url of the whole RFC 5322 message; the stdlib ``email``
package (``policy.default``) parses it and undoes the transfer encodings. Its headers are read
as written (``raw_headers``), as ``format=full`` gives them, so both formats decode header
values (RFC 2047 encoded words) and charsets (``connectors.google.charsets``) the same way.

Both end as ``Leaf`` records, so body selection and attachment metadata are one code path.
The full-format walk avoids ``email`` altogether: it is the hot path of every sync.
"""

from __future__ import annotations

import binascii
import email
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

import pybase64

from connectors.google.charsets import decode_text
from connectors.google.exceptions import NormalizationError

_PARAM = re.compile(r';\s*([A-Za-z0-9*_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
_LEAF_HEADERS = frozenset({"content-type", "content-disposition", "content-id"})
#: How deep multiparts may nest: real mail nests a handful of levels; a deeper tree is broken
#: or hostile, and would otherwise be walked (and parsed) by recursion.
MAX_DEPTH = 32


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ is markedly slower on this hot path
class Leaf:
    """One non-multipart part: what the body and attachment rules need to know about it."""

    part_id: str
    mime_type: str
    filename: str
    disposition: str | None
    content_id: str | None
    charset: str | None
    size: int
    attachment_id: str | None
    content: bytes | None  # transfer-decoded bytes, when the payload carries them

    @property
    def is_attachment(self) -> bool:
        """Attachments and inline images: anything named, marked attachment, or not text."""
        return bool(self.filename) or self.disposition == "attachment" or not self.mime_type.startswith("text/")

    @property
    def is_attached_file(self) -> bool:
        """An attachment a reader counts as one: not an inline image of the body."""
        inline = self.disposition == "inline" or (self.disposition is None and self.content_id is not None)
        return self.is_attachment and not inline

    def text(self) -> str:
        """The content as text, decoded with the part's charset as mail clients read it."""
        return decode_text(self.content or b"", self.charset)


def b64url_decode(value: object, what: str) -> bytes:
    """Decode Gmail's base64url (padded or not; the standard alphabet is accepted too).

    pybase64 (SIMD) rather than the stdlib: decoding the bodies was a fifth of a message's
    normalization with ``binascii``, ten times less with pybase64, same validation."""
    if not isinstance(value, str):
        raise NormalizationError(f"{what} must be a base64url string, got {type(value).__name__}")
    altchars = None if "+" in value or "/" in value else "-_"
    try:
        return pybase64.b64decode(value + "=" * (-len(value) % 4), altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        raise NormalizationError(f"{what} is not valid base64url") from None


def header_map(headers: object, what: str) -> dict[str, str]:
    """Gmail's ``[{name, value}]`` as a lower-cased dict; the first occurrence wins."""
    if not isinstance(headers, list):
        raise NormalizationError(f"{what}.headers must be a list of {{name, value}}")
    found: dict[str, str] = {}
    try:
        for header in reversed(headers):  # reversed: the first occurrence is written last
            value = header.get("value", "")
            if type(value) is not str:
                raise TypeError
            found[header["name"].lower()] = value
    except (AttributeError, KeyError, TypeError):
        raise NormalizationError(f"{what}.headers has an entry that is not {{name, value}} strings") from None
    return found


def header_param(value: str, name: str) -> str | None:
    """A parameter of a structured header value (``charset`` of Content-Type...)."""
    for key, raw in _PARAM.findall(value):
        if key.lower() == name:
            return raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
    return None


def leaves_of_payload(payload: object) -> list[Leaf]:
    """The leaf parts of a ``format=full`` payload, depth first (document order)."""
    if not isinstance(payload, dict):
        raise NormalizationError("payload must be an object (the message's MIME part tree)")
    leaves: list[Leaf] = []
    _walk_payload(payload, (), leaves)
    return leaves


def _where(path: tuple[int, ...]) -> str:
    """Where a part sits, for error messages only (formatting it per part costs time)."""
    return "payload" + "".join(f".parts[{index}]" for index in path)


def _walk_payload(part: dict[str, Any], path: tuple[int, ...], leaves: list[Leaf]) -> None:
    if len(path) > MAX_DEPTH:
        raise NormalizationError(f"{_where(path)} nests deeper than {MAX_DEPTH} levels")
    mime_type = part.get("mimeType")
    if not isinstance(mime_type, str):
        raise NormalizationError(f"{_where(path)}.mimeType is missing")
    mime_type = mime_type.lower()
    if not mime_type.startswith("multipart/"):
        leaves.append(_payload_leaf(part, mime_type, path))
        return
    children = part.get("parts") or []
    if not isinstance(children, list):
        raise NormalizationError(f"{_where(path)}.parts must be a list")
    for index, child in enumerate(children):
        if not isinstance(child, dict):
            raise NormalizationError(f"{_where((*path, index))} must be an object")
        _walk_payload(child, (*path, index), leaves)


def _payload_leaf(part: dict[str, Any], mime_type: str, path: tuple[int, ...]) -> Leaf:
    content_type, disposition, content_id = _leaf_headers(part.get("headers", []), path)
    body = part.get("body") or {}
    if not isinstance(body, dict):
        raise NormalizationError(f"{_where(path)}.body must be an object")
    data = body.get("data")
    attachment_id = body.get("attachmentId")
    part_id, filename = part.get("partId") or "", part.get("filename") or ""
    if type(part_id) is not str or type(filename) is not str:
        raise NormalizationError(f"{_where(path)}: partId and filename must be strings")
    return Leaf(
        part_id=part_id,
        mime_type=mime_type,
        filename=filename,
        disposition=disposition.split(";", 1)[0].strip().lower() or None if disposition else None,
        content_id=_content_id(content_id),
        charset=header_param(content_type, "charset") if content_type and mime_type.startswith("text/") else None,
        size=_size(body.get("size", 0), path),
        attachment_id=attachment_id if isinstance(attachment_id, str) else None,
        content=b64url_decode(data, f"{_where(path)}.body.data") if data is not None else None,
    )


def _leaf_headers(headers: object, path: tuple[int, ...]) -> tuple[str | None, str | None, str | None]:
    """Content-Type, Content-Disposition and Content-ID of a part (first occurrence each)."""
    found: dict[str, str] = {}
    try:
        for header in headers:  # type: ignore[attr-defined]
            name = header["name"].lower()
            if name in _LEAF_HEADERS and name not in found:
                value = header.get("value", "")
                if type(value) is not str:
                    raise TypeError
                found[name] = value
    except (AttributeError, KeyError, TypeError):
        raise NormalizationError(f"{_where(path)}.headers must be a list of {{name, value}}") from None
    return found.get("content-type"), found.get("content-disposition"), found.get("content-id")


def _size(value: object, path: tuple[int, ...]) -> int:
    if type(value) is int and value >= 0:  # the usual case, checked first
        return value
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise NormalizationError(f"{_where(path)}.body.size must be a non-negative integer")
    return int(value)


def _content_id(value: str | None) -> str | None:
    return value.strip().strip("<>") or None if value else None


def parse_raw(raw: object) -> EmailMessage:
    """The RFC 5322 message in a ``format=raw`` ``raw`` field."""
    data = b64url_decode(raw, "raw")
    if not data.strip():
        raise NormalizationError("raw is empty")
    try:
        message = email.message_from_bytes(data, policy=policy.default)
    except RecursionError:  # the stdlib parser recurses once per level of multipart nesting
        raise NormalizationError(f"raw: multiparts nest deeper than the MIME parser can follow (over {MAX_DEPTH} levels)") from None
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    if not message.keys():
        raise NormalizationError("raw does not start with RFC 5322 headers")
    return message


def raw_headers(message: EmailMessage, names: Iterable[str]) -> dict[str, str]:
    """The message's headers among ``names`` (lower-case) as written, unfolded, first occurrence
    each, the way ``format=full`` gives them. Bytes outside ASCII (RFC 6532 allows UTF-8 in
    headers; older mail has other charsets unlabelled) are read as UTF-8, else windows-1252."""
    wanted, found = set(names), {}
    for name, value in message.raw_items():
        key = name.lower()
        if key in wanted and key not in found:
            found[key] = _header_text(value.replace("\r", "").replace("\n", ""))
    return found


def _header_text(value: str) -> str:
    if value.isascii():
        return value
    raw = value.encode("utf-8", "surrogateescape")  # the parser keeps 8-bit bytes as surrogates
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return decode_text(raw, "windows-1252")


def leaves_of_message(message: EmailMessage) -> list[Leaf]:
    """The leaf parts of a parsed message, numbered the way Gmail numbers ``partId``."""
    return list(_walk_message(message, ""))


def _walk_message(part: EmailMessage, part_id: str) -> Iterator[Leaf]:
    if part_id.count(".") >= MAX_DEPTH:
        raise NormalizationError(f"raw: part {part_id} nests deeper than {MAX_DEPTH} levels")
    if part.is_multipart():
        for index, child in enumerate(part.iter_parts()):
            yield from _walk_message(child, f"{part_id}.{index}" if part_id else str(index))  # type: ignore[arg-type]
        return
    content = part.get_payload(decode=True)
    content = content if isinstance(content, bytes) else b""
    yield Leaf(
        part_id=part_id,
        mime_type=part.get_content_type(),
        filename=part.get_filename() or "",
        disposition=part.get_content_disposition(),
        content_id=_content_id(str(part["Content-ID"])) if part["Content-ID"] else None,
        charset=part.get_content_charset(),
        size=len(content),
        attachment_id=None,
        content=content,
    )


def body_leaves(leaves: list[Leaf]) -> tuple[Leaf | None, Leaf | None]:
    """The text/plain and text/html parts that are the message's body: the first of each that
    is not an attachment. Depth-first order makes this the preferred part of a
    multipart/alternative, including one nested in multipart/mixed or multipart/related."""
    plain = html = None
    for leaf in leaves:
        if leaf.is_attachment:
            continue
        if plain is None and leaf.mime_type == "text/plain":
            plain = leaf
        elif html is None and leaf.mime_type == "text/html":
            html = leaf
    return plain, html
