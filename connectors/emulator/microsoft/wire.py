"""Graph's wire encodings shared by every resource: base64url, object and folder ids,
timestamps, the request's base URL and the ``{"error": {code, message}}`` answer."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid

from aiohttp import web


def b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def unb64(value: str) -> str:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


def user_object_id(user: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:user:{user.lower()}"))


def folder_id(user: str, name: str) -> str:
    digest = hashlib.sha256(f"{user.lower()}|{name}".encode()).digest()[:24]
    return "AQMkAD" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def precise(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def z(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)
