"""What a Graph request asks for beyond its path: ``Prefer`` headers (``odata.maxpagesize``,
``outlook.timezone``, ``IdType``) and the OData query options ``$top``, ``$select``, ``$expand``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from connectors.emulator.microsoft.state import DEFAULT_PAGE_SIZE


def page_size(request: web.Request) -> int:
    match = re.search(r"odata\.maxpagesize=(\d+)", request.headers.get("Prefer", ""))
    if match:
        return max(1, int(match.group(1)))
    top = request.query.get("$top", "")
    return int(top) if top.isdigit() and int(top) > 0 else DEFAULT_PAGE_SIZE


def prefer_zone(request: web.Request) -> str | None:
    match = re.search(r'outlook\.timezone="([^"]+)"', request.headers.get("Prefer", ""))
    return match.group(1) if match else None


def preference_applied(request: web.Request) -> dict[str, str]:
    applied = [f"odata.maxpagesize={page_size(request)}"]
    if "ImmutableId" in request.headers.get("Prefer", ""):
        applied.append('IdType="ImmutableId"')
    return {"Preference-Applied": ", ".join(applied)}


def query_options(request: web.Request, *keys: str) -> dict[str, str]:
    """The ``keys`` the request's query holds (what a deltaLink carries into later rounds)."""
    return {key: request.query[key] for key in keys if key in request.query}


def select(rendered: dict[str, Any], options: dict[str, str], always: Iterable[str] = ()) -> dict[str, Any]:
    """Apply ``$select``; without it, everything but ``internetMessageHeaders`` (as Graph does)."""
    if "$select" not in options:
        return {key: value for key, value in rendered.items() if key != "internetMessageHeaders"}
    keep = {field.strip() for field in options["$select"].split(",")} | {"id", "@odata.type", "@odata.etag", *always}
    return {key: value for key, value in rendered.items() if key in keep}
