"""People API v1 ``people.connections.list`` (``/v1/people/me/connections``) with
``requestSyncToken`` / ``syncToken``, and ``people.get`` (``/v1/people/{id}``). An expired token is answered 400 FAILED_PRECONDITION
with an ``ErrorInfo`` whose reason is ``EXPIRED_SYNC_TOKEN``; an incremental listing returns
deleted contacts as ``{resourceName, etag, metadata: {deleted: true}}``. No push: polled.
"""

from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from connectors.emulator.google.errors import Answer, bad_request, error, not_found, respond
from connectors.emulator.google.gmail import last_change
from connectors.emulator.google.oauth import authenticate, unauthenticated
from connectors.emulator.google.paging import bool_param, decode_token, encode_token, int_param, page
from connectors.emulator.google.state import GOOGLE
from connectors.emulator.server import WORLD
from connectors.emulator.world import ContactItem, Mailbox

_FIELDS = {"names", "emailAddresses", "phoneNumbers", "organizations", "metadata"}


def add_people_routes(app: web.Application) -> None:
    app.router.add_get("/v1/people/{person}/connections", _connections)
    app.router.add_get("/v1/people/{person}", _person)


async def _connections(request: web.Request) -> web.Response:
    user = authenticate(request.app[GOOGLE], request.headers.get("Authorization"))
    if user is None:
        return unauthenticated()
    if request.match_info["person"] != "me":
        return respond(not_found("Only people/me is valid."))
    query = {name: request.query.getall(name) for name in request.query}
    return respond(connections_answer(request.app[WORLD].mailbox(user), query))


async def _person(request: web.Request) -> web.Response:
    user = authenticate(request.app[GOOGLE], request.headers.get("Authorization"))
    if user is None:
        return unauthenticated()
    box = request.app[WORLD].mailbox(user)
    contact = box.contacts.get(request.match_info["person"])
    fields = set(",".join(request.query.getall("personFields", [])).split(",")) - {""}
    if not fields:
        return respond(bad_request("personFields mask is required. Please specify one or more valid paths."))
    if contact is None:
        return respond(not_found("Requested entity was not found."))
    return respond((200, render_person(contact, last_change(box, contact.id), fields)))


def connections_answer(box: Mailbox, query: dict[str, list[str]]) -> Answer:
    fields = set(",".join(query.get("personFields", [])).split(",")) - {""}
    if not fields:
        return bad_request("personFields mask is required. Please specify one or more valid paths.")
    paging = decode_token(query.get("pageToken", [None])[0], "people-page") or {}
    sync_token = query.get("syncToken", [None])[0]
    if sync_token:
        since = (decode_token(sync_token, "people-sync") or {}).get("s", -1)
        changes = box.changes_since(since, "contact") if since >= 0 else None
        if changes is None:
            return _expired()
        people = [_person_or_tombstone(box, change.item_id, fields) for change in changes]
    else:
        people = [render_person(contact, last_change(box, contact.id), fields) for contact in box.contacts.values()]
    snapshot = paging.get("s", box.seq)
    chunk, following = page(people, paging.get("o", 0), int_param(query, "pageSize", 100, 1000))
    answer: dict[str, Any] = {"totalPeople": len(people), "totalItems": len(people)}
    if chunk:
        answer["connections"] = chunk
    if following is not None:
        answer["nextPageToken"] = encode_token(k="people-page", o=following, s=snapshot)
    elif sync_token or bool_param(query, "requestSyncToken"):
        answer["nextSyncToken"] = encode_token(k="people-sync", s=snapshot)
    return 200, answer


def _expired() -> Answer:
    return error(400, "Sync token is expired. Clear local cache and retry call without the sync token.",
                 status="FAILED_PRECONDITION",
                 details=[{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "EXPIRED_SYNC_TOKEN",
                           "domain": "people.googleapis.com"}])


def _person_or_tombstone(box: Mailbox, contact_id: str, fields: set[str]) -> dict[str, Any]:
    seq = last_change(box, contact_id)
    contact = box.contacts.get(contact_id)
    if contact is None:
        return {"resourceName": f"people/{contact_id}", "etag": _etag(seq),
                "metadata": {"deleted": True, "objectType": "PERSON"}}
    return render_person(contact, seq, fields)


def _etag(seq: int) -> str:
    return "%" + base64.b64encode(f"emulator-{seq}".encode()).decode()


def render_person(contact: ContactItem, seq: int, fields: set[str]) -> dict[str, Any]:
    source = {"type": "CONTACT", "id": contact.id, "etag": _etag(seq)}
    primary = {"primary": True, "source": source}
    person: dict[str, Any] = {
        "resourceName": f"people/{contact.id}",
        "etag": _etag(seq),
        "metadata": {"sources": [source], "objectType": "PERSON"},
        "names": [{"metadata": primary, "displayName": f"{contact.given_name} {contact.family_name}",
                   "givenName": contact.given_name, "familyName": contact.family_name,
                   "displayNameLastFirst": f"{contact.family_name}, {contact.given_name}"}],
        "emailAddresses": [{"metadata": primary if i == 0 else {"source": source}, "value": address,
                            "type": label, "formattedType": label.title()}
                           for i, (address, label) in enumerate(contact.emails)],
        "phoneNumbers": [{"metadata": primary if i == 0 else {"source": source}, "value": number,
                          "type": label, "formattedType": label.title()}
                         for i, (number, label) in enumerate(contact.phones)],
    }
    if contact.organization:
        person["organizations"] = [{"metadata": primary, "name": contact.organization}]
    return {key: value for key, value in person.items() if key in ("resourceName", "etag") or key in fields & _FIELDS}
