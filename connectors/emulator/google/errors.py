"""Google's JSON error shape (``{"error": {code, message, errors[], status, details[]}}``) and
the (status, body) answers the Gmail / Calendar / People handlers return."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

#: (HTTP status, JSON body or None for an empty answer). Pure handlers return these so the
#: batch endpoint can run them for each part without an HTTP round trip.
Answer = tuple[int, dict[str, Any] | None]

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    410: "GONE",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def error(code: int, message: str, *, reason: str | None = None, status: str | None = None,
          domain: str = "global", details: list[dict[str, Any]] | None = None) -> Answer:
    """A Google API error answer; ``reason`` fills ``errors[0].reason`` as Gmail and Calendar do."""
    body: dict[str, Any] = {"code": code, "message": message, "status": status or _STATUS.get(code, "UNKNOWN")}
    if reason:
        body["errors"] = [{"message": message, "domain": domain, "reason": reason}]
    if details:
        body["details"] = details
    return code, {"error": body}


def not_found(message: str = "Requested entity was not found.") -> Answer:
    return error(404, message, reason="notFound")


def bad_request(message: str, *, reason: str = "invalidArgument") -> Answer:
    return error(400, message, reason=reason)


def respond(answer: Answer, headers: dict[str, str] | None = None) -> web.Response:
    status, body = answer
    if body is None:
        return web.Response(status=status, headers=headers)
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", charset="UTF-8",
                        headers=headers)
