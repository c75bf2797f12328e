"""What the Google face remembers besides the world: OAuth grants and access tokens, Pub/Sub
subscriptions, Gmail watches, Calendar channels, Gmail quota usage."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web

from connectors.emulator.google.quota import GmailQuota

#: The emulator's one OAuth client (what OFFICESTREAM_GOOGLE_CLIENT_ID / _SECRET hold for it).
CLIENT_ID = "officestream-emulator.apps.googleusercontent.com"
CLIENT_SECRET = "emulator-client-secret"
ACCESS_TOKEN_TTL_S = 3599


def refresh_token_for(user: str) -> str:
    """The refresh token the emulator issued to ``user`` (as a consent flow would have)."""
    return f"1//emulator-{user}"


def user_of_refresh_token(token: str) -> str | None:
    return token.removeprefix("1//emulator-") if token.startswith("1//emulator-") else None


@dataclass
class Channel:
    """A Calendar push channel (``events.watch``)."""

    id: str
    resource_id: str
    user: str
    address: str
    token: str | None
    expiration_ms: int
    message_number: int = 0

    def next_number(self) -> int:
        self.message_number += 1
        return self.message_number


@dataclass
class GoogleState:
    access_tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (user, expires_at)
    revoked: set[str] = field(default_factory=set)
    #: Pub/Sub topic -> (subscription name, push endpoint URL) of its push subscriptions.
    subscriptions: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    watches: dict[str, str] = field(default_factory=dict)  # user -> topic of their Gmail watch
    channels: dict[str, Channel] = field(default_factory=dict)
    #: Thread of every message ever seen: history must still name a deleted message's thread.
    threads: dict[str, str] = field(default_factory=dict)
    pushes_sent: int = 0
    #: Authorization codes of the installed-app flow: code -> (user, redirect URI, scopes).
    codes: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    session: aiohttp.ClientSession | None = None
    #: Gmail's per-user quota, off unless a limit is set (``quota.py``).
    quota: GmailQuota = field(default_factory=GmailQuota)

    def issue_access_token(self, user: str) -> str:
        token = f"ya29.emulator-{secrets.token_urlsafe(24)}"
        self.access_tokens[token] = (user, time.monotonic() + ACCESS_TOKEN_TTL_S)
        return token

    def user_of_access_token(self, token: str) -> str | None:
        user, expires_at = self.access_tokens.get(token, (None, 0.0))
        if user is None or expires_at < time.monotonic() or user in self.revoked:
            return None
        return user

    def expire_access_tokens(self, user: str) -> None:
        self.access_tokens = {token: grant for token, grant in self.access_tokens.items() if grant[0] != user}

    async def http(self) -> aiohttp.ClientSession:
        if self.session is None:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self.session


#: The face's state on the emulator app.
GOOGLE = web.AppKey("google", GoogleState)
