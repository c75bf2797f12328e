"""Gmail's batch endpoint (``POST /batch/gmail/v1``, also ``/batch``): a multipart/mixed body
whose parts are ``application/http`` requests, answered with a multipart/mixed body whose parts
are ``application/http`` responses carrying ``Content-ID: <response-{the part's id}>``.

Each part is authenticated on its own (its own Authorization header) and goes through the
fault plan under its own path, so a test can make single parts of a batch answer 429.
"""

from __future__ import annotations

import json
import secrets
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import web

from connectors.emulator.google.errors import Answer, bad_request, error
from connectors.emulator.google.gmail import gmail_answer
from connectors.emulator.google.oauth import authenticate
from connectors.emulator.google.state import GOOGLE
from connectors.emulator.server import FAULTS, WORLD

#: Gmail refuses batches of more than 100 calls.
MAX_PARTS = 100


def add_batch_routes(app: web.Application) -> None:
    app.router.add_post("/batch/gmail/v1", _batch)
    app.router.add_post("/batch", _batch)


async def _batch(request: web.Request) -> web.Response:
    content_type = request.headers.get("Content-Type", "")
    if not content_type.startswith("multipart/mixed"):
        return _json(bad_request("A batch request must be multipart/mixed"))
    envelope = BytesParser(policy=compat32).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + await request.read()
    )
    parts: list[Message] = envelope.get_payload() if envelope.is_multipart() else []  # type: ignore[assignment]
    if not parts or len(parts) > MAX_PARTS:
        return _json(bad_request(f"A batch holds 1 to {MAX_PARTS} requests, got {len(parts)}"))
    boundary = f"batch_{secrets.token_hex(12)}"
    answers = [_answer_part(request.app, part) for part in parts]
    body = "".join(f"--{boundary}\r\n{_response_part(part, answer)}" for part, answer in zip(parts, answers, strict=True))
    return web.Response(status=200, body=(body + f"--{boundary}--\r\n").encode(),
                        headers={"Content-Type": f"multipart/mixed; boundary={boundary}"})


def _answer_part(app: web.Application, part: Message) -> Answer:
    method, target, headers, body = _parse_http(str(part.get_payload()))
    url = urlsplit(target)
    fault = app[FAULTS].take(url.path)
    if fault is not None:
        return fault.status, fault.body or error(fault.status, f"injected {fault.status}")[1]
    user = authenticate(app[GOOGLE], headers.get("authorization"))
    if user is None:
        return error(401, "Request had invalid authentication credentials.", reason="authError")
    payload = json.loads(body) if body.strip() else None
    return gmail_answer(app[WORLD], app[GOOGLE], user, method, url.path, parse_qs(url.query), payload)


def _parse_http(text: str) -> tuple[str, str, dict[str, str], str]:
    """``GET /path?query HTTP/1.1`` + headers + blank line + body (LF or CRLF line ends)."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, target, *_ = request_line.split(" ")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method.upper(), target, headers, body


def _response_part(part: Message, answer: Answer) -> str:
    status, body = answer
    content_id = str(part.get("Content-ID", "")).strip().strip("<>")
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Status"
    text = json.dumps(body) if body is not None else ""
    return (
        "Content-Type: application/http\r\n"
        f"Content-ID: <response-{content_id}>\r\n\r\n"
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: application/json; charset=UTF-8\r\n"
        f"Content-Length: {len(text.encode())}\r\n\r\n"
        f"{text}\r\n"
    )


def _json(answer: Answer) -> web.Response:
    status, body = answer
    return web.json_response(body, status=status)


__all__: list[Any] = ["add_batch_routes"]
