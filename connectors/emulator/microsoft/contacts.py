"""Graph's contact resources: ``contacts/delta`` and ``contacts/{id}``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from connectors.emulator.microsoft.delta import changed_since, delta
from connectors.emulator.microsoft.options import select
from connectors.emulator.microsoft.render import render_contact
from connectors.emulator.microsoft.wire import graph_error
from connectors.emulator.world import Mailbox


async def contacts_delta(request: web.Request, box: Mailbox) -> web.Response:
    def render(options: dict[str, str], item_id: str) -> dict[str, Any] | None:
        item = box.contacts.get(item_id)
        return select(render_contact(item), options) if item else None

    return await delta(request, box, "contact", ("$select",), lambda options: list(box.contacts),
                       lambda options, seq: [(i, c == "deleted") for i, c in changed_since(box, "contact", seq)], render)


async def contact_get(request: web.Request, box: Mailbox) -> web.Response:
    item = box.contacts.get(request.match_info["item"])
    if item is None:
        return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return web.json_response(render_contact(item))
