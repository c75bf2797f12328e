"""Read one e-mail from a file for ``officestream shipments extract FILE``.

Two kinds of file: an RFC 5322 message (``.eml``), parsed with the stdlib ``email`` package
(``policy.default``, which decodes headers, charsets and transfer encodings), and a canonical
``Email`` as JSON (what ``Email.model_dump_json()`` writes). Other suffixes are told apart by
their first character. Every failure names the file and what is wrong with it.
"""

from __future__ import annotations

import email
import os
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from processors.shipments.exceptions import EmailFileError
from processors.shipments.extract import extract_findings
from schemas.models import Address, Email

#: Mail providers cap messages near 25-35 MiB; anything larger is not an e-mail we expect.
MAX_FILE_BYTES = 40 * 1024 * 1024
_IDENTIFYING_HEADERS = ("From", "Subject", "Date", "Message-ID")


def extract_from_file(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The tracking findings of the e-mail in ``path``, as JSON-ready dicts."""
    return [finding.model_dump(mode="json") for finding in extract_findings(read_email_file(path))]


def read_email_file(path: str | os.PathLike[str]) -> Email:
    """The canonical ``Email`` in an ``.eml`` or JSON file; ``EmailFileError`` says why not."""
    data = _read_bytes(Path(path))
    if _is_json(Path(path), data):
        return _email_from_json(path, data)
    return _email_from_eml(path, data)


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise EmailFileError(path, "is a directory, not an e-mail file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise EmailFileError(
                path, f"is {size / 2**20:.1f} MiB, larger than the {MAX_FILE_BYTES // 2**20} MiB an e-mail may be"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise EmailFileError(path, "no such file") from None
    except PermissionError:
        raise EmailFileError(path, "permission denied") from None
    except OSError as exc:
        raise EmailFileError(path, f"cannot be read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise EmailFileError(path, "is empty")
    return data


def _is_json(path: Path, data: bytes) -> bool:
    suffix = path.suffix.lower()
    if suffix in {".eml", ".msg", ".mbox"}:
        return False
    return suffix == ".json" or data.lstrip()[:1] == b"{"


def _email_from_json(path: str | os.PathLike[str], data: bytes) -> Email:
    try:
        return Email.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'document'}: {error['msg']}" for error in exc.errors()[:3]
        )
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise EmailFileError(path, f"is not a canonical Email JSON document: {problems}{more}") from None


def _email_from_eml(path: str | os.PathLike[str], data: bytes) -> Email:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default builds EmailMessage
    if not any(message[header] for header in _IDENTIFYING_HEADERS):
        raise EmailFileError(
            path, "does not look like an e-mail message: it has no From, Subject, Date or Message-ID header"
        )
    message_id = str(message["Message-ID"] or "").strip() or None
    return Email(
        id=(message_id or Path(path).name).strip("<>") or Path(path).name,
        from_address=_sender(message),
        subject=str(message["Subject"]) if message["Subject"] is not None else None,
        sent_at=_date(message),
        body_text=_body(message, "plain"),
        body_html=_body(message, "html"),
        internet_message_id=message_id,
    )


def _sender(message: EmailMessage) -> Address | None:
    header = message["From"]
    for address in getattr(header, "addresses", ()):
        if address.addr_spec and address.addr_spec != "<>":
            return Address(email=address.addr_spec, name=address.display_name or None)
    return None


def _date(message: EmailMessage) -> datetime | None:
    """The Date header; a zone-less date (``-0000``) is taken as UTC, an unreadable one as absent."""
    moment = getattr(message["Date"], "datetime", None)
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what decodes
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) and content.strip() else None
