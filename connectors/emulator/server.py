"""The emulator's HTTP server: provider faces plus a control API for tests and the demo.

Control API (not part of any provider's protocol):
- ``POST /_emulator/faults`` ``{"path_prefix", "status", "times", "retry_after"}``: inject failures.
- ``POST /_emulator/advance`` ``{"user"}``: one round of mailbox activity; notifies subscribers.
- ``POST /_emulator/expire`` ``{"user"}``: expire every delta / history / sync token handed out.
- ``GET /_emulator/users``: the mailboxes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from connectors.emulator.faults import Fault, FaultPlan, fault_middleware
from connectors.emulator.world import World

WORLD = web.AppKey("world", World)
FAULTS = web.AppKey("faults", FaultPlan)
#: Called after ``advance`` with (app, user, changes): the faces push their notifications.
ON_ADVANCE = web.AppKey("on_advance", list)

Face = Callable[[web.Application], None]


def create_app(world: World, faces: Sequence[Face] = ()) -> web.Application:
    """The emulator for ``world`` with the given provider faces (each registers its routes)."""
    plan = FaultPlan()
    app = web.Application(middlewares=[fault_middleware(plan)], client_max_size=8 * 1024 * 1024)
    app[WORLD] = world
    app[FAULTS] = plan
    app[ON_ADVANCE] = []
    app.router.add_post("/_emulator/faults", _inject)
    app.router.add_post("/_emulator/advance", _advance)
    app.router.add_post("/_emulator/expire", _expire)
    app.router.add_get("/_emulator/users", _users)
    for face in faces:
        face(app)
    return app


async def _inject(request: web.Request) -> web.Response:
    body = await request.json()
    request.app[FAULTS].inject(
        Fault(path_prefix=body["path_prefix"], status=int(body["status"]), times=int(body.get("times", 1)),
              retry_after=body.get("retry_after"), body=body.get("body"))
    )
    return web.json_response({"ok": True})


async def _advance(request: web.Request) -> web.Response:
    user = (await request.json())["user"]
    world = request.app[WORLD]
    if user not in world.mailboxes:
        return web.json_response({"error": f"no mailbox {user}"}, status=404)
    changes = world.advance(user)
    for notify in request.app[ON_ADVANCE]:
        await notify(request.app, user, changes)
    return web.json_response({"changes": [c.__dict__ for c in changes]})


async def _expire(request: web.Request) -> web.Response:
    user = (await request.json())["user"]
    request.app[WORLD].mailbox(user).expire_tokens()
    return web.json_response({"ok": True})


async def _users(request: web.Request) -> web.Response:
    return web.json_response({"users": sorted(request.app[WORLD].mailboxes)})


async def start(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, str]:
    """Serve ``app``; returns the runner and the base URL (``port`` 0: a free port)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    return runner, f"http://{host}:{bound}"


NotifyHook = Callable[[web.Application, str, list], Awaitable[None]]
