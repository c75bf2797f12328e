"""Azure AD's device-code flow (RFC 8628) as msal's ``PublicClientApplication`` runs it.

- ``POST /{tenant}/oauth2/v2.0/devicecode`` (``client_id``, ``scope``): a device code, the
  user code to type, the verification page and the polling interval (1 s here);
- ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=urn:ietf:params:oauth:grant-type:device_code``
  (a public client: no secret): ``authorization_pending`` until the user signed in, then the
  same tokens a refresh grant gives (``oauth.py``); ``expired_token`` after ``expires_in``.

Control (the user signing in on the verification page): ``POST /_emulator/microsoft/device
{"user_code", "user"}``; ``GET /_emulator/microsoft/device`` lists the user codes waiting.
"""

from __future__ import annotations

import secrets
import time

from aiohttp import web

from connectors.emulator.microsoft.state import DeviceCode, state_of
from connectors.emulator.microsoft.wire import base_url
from connectors.emulator.server import WORLD

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_EXPIRES_IN_S = 900


def add_device_routes(app: web.Application) -> None:
    app.router.add_post("/{tenant}/oauth2/v2.0/devicecode", _device_code)
    app.router.add_post("/_emulator/microsoft/device", _sign_in)
    app.router.add_get("/_emulator/microsoft/device", _waiting)


def _codes(request: web.Request) -> dict[str, DeviceCode]:
    return state_of(request).device_codes


async def _device_code(request: web.Request) -> web.Response:
    form = await request.post()
    client_id = str(form.get("client_id", ""))
    if client_id not in state_of(request).clients:
        return web.json_response({"error": "unauthorized_client", "error_codes": [700016],
                                  "error_description": "AADSTS700016: Application not found in the directory."},
                                 status=400)
    device_code, user_code = secrets.token_urlsafe(32), secrets.token_hex(4).upper()
    _codes(request)[device_code] = DeviceCode(user_code, client_id, str(form.get("scope", "")),
                                              time.time() + _EXPIRES_IN_S)
    page = f"{base_url(request)}/devicelogin"
    return web.json_response({
        "device_code": device_code, "user_code": user_code, "verification_uri": page, "expires_in": _EXPIRES_IN_S,
        "interval": 1,
        "message": f"To sign in, use a web browser to open the page {page} and enter the code {user_code} to authenticate.",
    })


def device_grant(request: web.Request, device_code: str, client_id: str) -> tuple[str | None, str | None]:
    """(the user who signed in, None) or (None, the OAuth error to answer)."""
    pending = _codes(request).get(device_code)
    if pending is None or pending.client_id != client_id:
        return None, "invalid_grant"
    if time.time() > pending.expires:
        del _codes(request)[device_code]
        return None, "expired_token"
    if pending.user is None:
        return None, "authorization_pending"
    del _codes(request)[device_code]
    return pending.user, None


async def _sign_in(request: web.Request) -> web.Response:
    body = await request.json()
    user = str(body["user"])
    if user not in request.app[WORLD].mailboxes:
        return web.json_response({"error": f"no mailbox {user}"}, status=404)
    for pending in _codes(request).values():
        if pending.user_code == str(body["user_code"]):
            pending.user = user
            return web.json_response({"ok": True})
    return web.json_response({"error": "no such user code"}, status=404)


async def _waiting(request: web.Request) -> web.Response:
    return web.json_response({"user_codes": [c.user_code for c in _codes(request).values() if c.user is None]})
