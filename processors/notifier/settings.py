"""Notifier settings (``OFFICESTREAM_NOTIFIER_*``): the HTTP side's address, auth and limits."""

from __future__ import annotations

import re
import socket
from typing import Annotated

from pydantic import BeforeValidator, Field, PositiveFloat, PositiveInt, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

#: HS256 keys shorter than the hash output are brute-forceable (RFC 7518 §3.2 asks for >= 256 bits).
MIN_SECRET_BYTES = 32
_ORIGIN = re.compile(r"^https?://[^/\s]+$")


def _comma_separated(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class NotifierSettings(EnvSettings):
    """Where the notifier listens, how it signs stream tokens, and how much it keeps per user.

    ``buffer_size`` notifications per user are kept for ``Last-Event-ID`` resumption, for at most
    ``buffered_users`` users and ``buffer_budget_bytes`` in all (the least recently active
    user's oldest notifications go first; processors/notifier/buffer.py). Each connection may
    have ``queue_size`` notifications waiting; one more and that connection is dropped. A user
    may hold ``max_connections_per_user`` connections (beyond: HTTP 429) and the instance
    ``max_connections`` (beyond: HTTP 503), both refused with ``Retry-After: retry_after_s``.
    ``allowed_origins`` (comma-separated, e.g. ``https://app.example.com``) may read ``/events``
    from pages served elsewhere (CORS); none by default, i.e. same origin only.
    """

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_NOTIFIER_", extra="forbid", frozen=True)

    #: Names this instance's consumer group, ``client-sse.<instance_id>``: each instance reads
    #: every partition. Stable per instance (the default is the host name).
    instance_id: str = Field(default_factory=socket.gethostname, pattern=r"^[A-Za-z0-9._-]+$")
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    token_secret: SecretStr
    token_ttl_s: PositiveInt = 3600
    buffer_size: PositiveInt = 500
    buffered_users: PositiveInt = 10_000
    #: Every instance buffers every user: 500 notifications x 10,000 users would be gigabytes.
    #: Each notification counts its JSON size plus 0.5 KiB of Python objects around it.
    buffer_budget_bytes: int = Field(default=256 * 1024 * 1024, ge=64 * 1024)
    max_connections: PositiveInt = 10_000
    max_connections_per_user: PositiveInt = 10
    retry_after_s: PositiveInt = 10
    queue_size: PositiveInt = 128
    #: Records per source partition read again before the committed offsets at start-up, to fill
    #: the replay buffers: a client whose resume token is at most this far behind them is resumed
    #: exactly by a restarted (or newly started) instance. 0: start at the committed offsets.
    reread_records: int = Field(default=1000, ge=0)
    #: Items whose last announced version the instance remembers (the least recently changed
    #: are forgotten first; ~0.4 KiB each, 21 MB at the default), so a raw change published
    #: again under a new event id (the same version, an older one, a deleted item deleted again)
    #: is not told to a page twice (processors/notifier/announced.py). 0: every raw change is told.
    announced_items: int = Field(default=50_000, ge=0)
    #: The longest the worker handles a fetched batch before its connections get to write what
    #: it made so far (processors/common/turns.py): a bound on the delay a batch adds to a frame.
    turn_ms: PositiveFloat = 5.0
    heartbeat_s: PositiveFloat = 15.0
    write_timeout_s: PositiveFloat = 10.0
    client_retry_ms: PositiveInt = 3000
    shutdown_timeout_s: PositiveFloat = 5.0
    allowed_origins: Annotated[tuple[str, ...], BeforeValidator(_comma_separated)] = ()

    @field_validator("token_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes (HS256 key)")
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if origin == "*" or not _ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an origin like https://app.example.com (no '*', no path)")
        return value
