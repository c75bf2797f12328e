"""Graph's mail resources: ``mailFolders`` (list and delta), ``mailFolders/{id}/messages``
(list and delta), ``messages`` and ``messages/{id}``. ``$select`` and ``$expand=attachments``
are honoured; a message moved between folders shows in a folder's delta as removed there and
created in its new folder."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from connectors.emulator.microsoft.delta import changed_since, delta, list_round
from connectors.emulator.microsoft.options import query_options, select
from connectors.emulator.microsoft.render import render_message
from connectors.emulator.microsoft.state import MicrosoftState, state_of
from connectors.emulator.microsoft.wire import folder_id, graph_error
from connectors.emulator.world import Mailbox

FOLDERS = [("inbox", "Inbox"), ("archive", "Archive"), ("sentitems", "Sent Items"), ("drafts", "Drafts"),
           ("deleteditems", "Deleted Items")]


def _folder_name(box: Mailbox, wanted: str) -> str | None:
    for name, _ in FOLDERS:
        if wanted.lower() == name or wanted == folder_id(box.user, name):
            return name
    return None


def _render_folder(box: Mailbox, name: str, display: str) -> dict[str, Any]:
    items = [m for m in box.emails.values() if m.folder == name]
    return {"@odata.type": "#microsoft.graph.mailFolder", "id": folder_id(box.user, name), "displayName": display,
            "parentFolderId": folder_id(box.user, "msgfolderroot"), "childFolderCount": 0,
            "unreadItemCount": sum(not m.is_read for m in items), "totalItemCount": len(items), "isHidden": False}


async def folders_list(request: web.Request, box: Mailbox) -> web.Response:
    folders = {name: display for name, display in FOLDERS}
    return list_round(request, box, [name for name, _ in FOLDERS], lambda name: _render_folder(box, name, folders[name]))


async def folders_delta(request: web.Request, box: Mailbox) -> web.Response:
    folders = {name: display for name, display in FOLDERS}
    # The world's folder tree never changes, so an incremental round is always empty.
    return await delta(request, box, "folder", ("$select",), lambda options: [name for name, _ in FOLDERS],
                       lambda options, seq: [],
                       lambda options, name: select(_render_folder(box, name, folders[name]), options))


def _observe_folders(state: MicrosoftState, box: Mailbox) -> dict[str, list[tuple[int, str | None]]]:
    """Record which folder each changed message is in, so a later delta knows where a message
    was at a token's position (a move is a delete in the old folder, a create in the new)."""
    history = state.folder_history.setdefault(box.user, {})
    seen = state.observed_seq.get(box.user, 0)
    for entry in box.log:
        if entry.seq > seen and entry.kind == "email":
            item = box.emails.get(entry.item_id)
            history.setdefault(entry.item_id, []).append((entry.seq, item.folder if item else None))
    state.observed_seq[box.user] = box.seq
    return history


def _folder_at(history: dict[str, list[tuple[int, str | None]]], item_id: str, seq: int) -> str | None:
    folder = None
    for at, name in history.get(item_id, []):
        if at > seq:
            break
        folder = name
    return folder


async def messages_delta(request: web.Request, box: Mailbox) -> web.Response:
    state = state_of(request)
    name = _folder_name(box, request.match_info["folder"])
    if name is None:
        return graph_error(404, "ErrorItemNotFound", "The specified folder could not be found in the store.")
    history = _observe_folders(state, box)

    def changes(options: dict[str, str], seq: int) -> list[tuple[str, bool]]:
        found = []
        for item_id, _ in changed_since(box, "email", seq):
            item = box.emails.get(item_id)
            if item is not None and item.folder == name:
                found.append((item_id, False))
            elif _folder_at(history, item_id, seq) == name:
                found.append((item_id, True))
        return found

    return await delta(request, box, "email", ("$select", "$expand"),
                       lambda options: [m.id for m in box.emails.values() if m.folder == name], changes,
                       lambda options, item_id: _message_json(state, box, item_id, options))


async def messages_list(request: web.Request, box: Mailbox) -> web.Response:
    state, folder = state_of(request), request.match_info.get("folder")
    name = _folder_name(box, folder) if folder else None
    if folder and name is None:
        return graph_error(404, "ErrorItemNotFound", "The specified folder could not be found in the store.")
    ids = [m.id for m in sorted(box.emails.values(), key=lambda m: m.received_at, reverse=True) if name in (None, m.folder)]
    options = query_options(request, "$select", "$expand")
    return list_round(request, box, ids, lambda item_id: _message_json(state, box, item_id, options))


async def message_get(request: web.Request, box: Mailbox) -> web.Response:
    rendered = _message_json(state_of(request), box, request.match_info["item"], query_options(request, "$select", "$expand"))
    if rendered is None:
        return graph_error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return web.json_response(rendered)


def _message_json(state: MicrosoftState, box: Mailbox, item_id: str, options: dict[str, str]) -> dict[str, Any] | None:
    """A message as rendered once per version (parsing MIME is the expensive part), then selected."""
    item = box.emails.get(item_id)
    if item is None:
        return None
    key = (box.user, item.id, item.version)
    full = state.rendered.get(key)
    if full is None:
        full = state.rendered[key] = render_message(box.user, item)
    selected = select(full, options, always=("attachments",) if "attachments" in options.get("$expand", "") else ())
    if "attachments" not in options.get("$expand", ""):
        selected.pop("attachments", None)
    return selected
