"""What the Microsoft face remembers besides the world: registered clients, issued tokens,
subscriptions, delta / list cursors in progress, and the counters the stats endpoint reports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

#: The emulator's tenant and its one confidential client (what the demo settings hold).
DEMO_TENANT = "7f3c2b9e-0c4d-4a56-9f7e-6d1e2a3b4c5d"
DEMO_CLIENT_ID = "0c8f1e3a-5b7d-4e2f-9a1c-3d5e7f9b1c2e"
DEMO_CLIENT_SECRET = "emulator-client-secret"
ACCESS_TOKEN_LIFETIME_S = 3599
MAILBOX_CONCURRENCY = 4
DEFAULT_PAGE_SIZE = 10
MAX_SUBSCRIPTION_MINUTES = 10_080


@dataclass
class IssuedToken:
    user: str | None  # None: an app-only token
    expires: float


@dataclass
class Cursor:
    """A delta or list round in progress: what is left to hand out, page by page."""

    user: str
    entries: list[tuple[str, bool]]  # (item id, removed)
    render: Callable[[str], dict[str, Any] | None]
    delta_token: str | None  # None: a plain list, no deltaLink at the end
    path: str
    epoch: int


@dataclass
class DeviceCode:
    """A device-code sign-in in progress (``device.py``): the user is None until they sign in."""

    user_code: str
    client_id: str
    scope: str
    expires: float
    user: str | None = None


@dataclass
class MicrosoftState:
    clients: dict[str, str]
    access_tokens: dict[str, IssuedToken] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # token -> user
    revoked: set[str] = field(default_factory=set)  # refresh and access tokens
    grants: Counter[str] = field(default_factory=Counter)
    graph_requests: int = 0
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    latency_s: float = 0.0
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: Counter[str] = field(default_factory=Counter)
    cursors: dict[str, Cursor] = field(default_factory=dict)
    folder_history: dict[str, dict[str, list[tuple[int, str | None]]]] = field(default_factory=dict)
    observed_seq: dict[str, int] = field(default_factory=dict)
    rendered: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None
    device_codes: dict[str, DeviceCode] = field(default_factory=dict)


#: The face's state on the emulator app.
MS_STATE = web.AppKey("microsoft_state", MicrosoftState)


def state_of(request: web.Request) -> MicrosoftState:
    return request.app[MS_STATE]
