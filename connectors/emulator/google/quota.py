"""Gmail's per-user quota, opt in: quota units charged per method, and a 429 once a user's usage
in the last 60 s would pass the limit set for them.

Off unless a test or benchmark sets a limit: ``POST /_emulator/google/quota {"user",
"units_per_minute"}`` (``null`` or ``0`` turns it off again; either resets the user's figures).
``GET /_emulator/google/quota?user=...`` tells what was charged and refused: every accepted
charge with its time (the emulator's monotonic clock, ``now`` beside it), so a benchmark can find
the busiest 60 s. Each request is charged its method's units (Gmail API "Usage limits"); a batch
is charged part by part, as Google counts it, and each part over the limit answers 429 on its
own. A refused request costs nothing. Calendar and People are not limited here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from connectors.emulator.google.errors import Answer, error

#: Quota units of the Gmail methods the emulator serves (Gmail API "Usage limits", per method).
#: Written out here rather than taken from the connector's pacer (``connectors/google/quota.py``):
#: the emulator stands for Google, so a cost the client gets wrong shows as 429s against it
#: instead of agreeing with itself.
GMAIL_METHOD_UNITS = {
    "getProfile": 1,
    "messages.list": 5,
    "messages.get": 5,
    "history.list": 2,
    "watch": 100,
    "stop": 50,
}
WINDOW_S = 60.0


def rate_limit_exceeded() -> Answer:
    """What Gmail answers a user over their rate limit ("Resolve errors": 429 rateLimitExceeded)."""
    return error(429, "Rate Limit Exceeded", reason="rateLimitExceeded", domain="usageLimits")


@dataclass
class _UserUsage:
    units_per_minute: int
    window: deque[tuple[float, int]] = field(default_factory=deque)
    charges: list[tuple[float, int]] = field(default_factory=list)
    rejected: int = 0

    def used(self, now: float) -> int:
        while self.window and self.window[0][0] <= now - WINDOW_S:
            self.window.popleft()
        return sum(units for _, units in self.window)


class GmailQuota:
    """Per-user limits and usage; ``clock`` is injectable (seconds, monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._users: dict[str, _UserUsage] = {}

    def limit(self, user: str, units_per_minute: int | None) -> None:
        """Limit ``user`` to ``units_per_minute`` in any 60 s (None or 0: no limit)."""
        self._users.pop(user, None)
        if units_per_minute:
            self._users[user] = _UserUsage(units_per_minute)

    def charge(self, user: str, method: str) -> bool:
        """Charge one call of ``method``; False (nothing charged) when it would pass the limit."""
        usage = self._users.get(user)
        if usage is None:
            return True
        now, units = self._clock(), GMAIL_METHOD_UNITS[method]
        if usage.used(now) + units > usage.units_per_minute:
            usage.rejected += 1
            return False
        usage.window.append((now, units))
        usage.charges.append((now, units))
        return True

    def report(self, user: str) -> dict[str, Any]:
        usage = self._users.get(user)
        now = self._clock()
        if usage is None:
            return {"user": user, "units_per_minute": None, "now": now}
        return {"user": user, "units_per_minute": usage.units_per_minute, "now": now, "used_last_minute": usage.used(now),
                "charged_units": sum(units for _, units in usage.charges), "rejected": usage.rejected,
                "charges": [list(charge) for charge in usage.charges]}


def add_quota_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/google/quota", _set_limit)
    app.router.add_get("/_emulator/google/quota", _report)


async def _set_limit(request: web.Request) -> web.Response:
    from connectors.emulator.google.state import GOOGLE  # the state holds the quota: imported late, no cycle

    body = await request.json()
    limit = body.get("units_per_minute")
    if not isinstance(body.get("user"), str) or not (limit is None or (isinstance(limit, int) and limit >= 0)):
        return web.json_response({"error": "expected {\"user\": str, \"units_per_minute\": int >= 0 or null}"}, status=400)
    request.app[GOOGLE].quota.limit(body["user"], limit)
    return web.json_response({"ok": True})


async def _report(request: web.Request) -> web.Response:
    from connectors.emulator.google.state import GOOGLE

    user = request.query.get("user")
    if not user:
        return web.json_response({"error": "?user= is required"}, status=400)
    return web.json_response(request.app[GOOGLE].quota.report(user))
