"""Settings of the streaming bridge (``OFFICESTREAM_BRIDGE_*``): where it listens, how it
authenticates internal callers, how it keeps integration secrets, and its timers."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings, SettingsError

#: Shortest internal token accepted: a guessable one would open every user's data.
MIN_INTERNAL_TOKEN_CHARS = 16


class BridgeSettings(EnvSettings):
    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_BRIDGE_", extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8095, ge=1, le=65535)
    #: The bridge's address as the providers see it (https in production): webhook URLs are
    #: built from it (``<public_url>/webhooks/microsoft`` ...). Unset: ``http://host:port``.
    public_url: str | None = None
    #: Bearer token every ``/internal/*`` call must present (compared in constant time).
    internal_token: SecretStr | None = None
    #: The Fernet key integration secrets are sealed with (``producers/integrations/secret_box.py``).
    state_key: SecretStr | None = None
    #: Webhook bodies (and every other request body) larger than this are refused (413),
    #: from their Content-Length before they are read.
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    #: Google People has no push: every integration's contacts are synced this often.
    people_poll_interval_s: float = Field(default=300.0, gt=0)
    #: A sync of every resource of every live integration, notification or not: a dropped
    #: notification costs this much latency at most, never data.
    reconcile_interval_s: float = Field(default=900.0, gt=0)
    #: A sync of one resource (a mailbox's mail, a calendar) that follows another starts at
    #: least this long after that one started: a flood of notifications for one mailbox runs its
    #: delta query a few times a second, not back to back (``producers/live/scheduler.py``).
    #: The first sync after a quiet spell starts at once. 0: back to back.
    sync_min_interval_ms: int = Field(default=200, ge=0, le=60_000)
    #: How often subscriptions, watches and channels are checked for renewal.
    renew_check_interval_s: float = Field(default=60.0, gt=0)
    #: A backfill job still "running" whose record was not updated for this long lost its runner
    #: (the bridge crashed or was killed): the queue resumes it from its last checkpoint.
    backfill_stale_after_s: float = Field(default=120.0, gt=0)
    #: Gmail push through Pub/Sub: when set, a push must carry a Google-signed OIDC token for
    #: this audience (Pub/Sub's authenticated push).
    google_push_audience: str | None = None
    #: With ``google_push_audience``: the service account the Pub/Sub push subscription
    #: authenticates as; the token's ``email`` must be it (unset: any Google-signed token for
    #: the audience).
    google_push_service_account: str | None = None

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def require_internal_token(self) -> SecretStr:
        """The internal token, or a one-line ``SettingsError`` naming the setting."""
        name = self.env_name("internal_token")
        token = self.internal_token
        if token is None or not token.get_secret_value():
            raise SettingsError(f"{name} is not set: every /internal/* call presents it as a bearer token; generate one "
                                "with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`")
        if len(token.get_secret_value()) < MIN_INTERNAL_TOKEN_CHARS:
            raise SettingsError(f"{name} is shorter than {MIN_INTERNAL_TOKEN_CHARS} characters")
        return token
