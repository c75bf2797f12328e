"""Redis settings (``OFFICESTREAM_REDIS_*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

DEFAULT_REDIS_URL = "redis://127.0.0.1:16379/0"
#: 16 MiB: far above any email, event or contact record (attachments are never stored), far below
#: what would hurt a worker that reads a few referenced records at once.
DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024


class RedisSettings(EnvSettings):
    """Where Redis is. The password is separate from the URL so it never shows in logs."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_REDIS_", extra="forbid", frozen=True)

    url: str = DEFAULT_REDIS_URL
    password: SecretStr | None = None
    socket_timeout_s: float = 5.0
    #: Readers refuse (dead-letter) a PayloadRef that claims more bytes than this, before fetching.
    max_payload_bytes: int = Field(default=DEFAULT_MAX_PAYLOAD_BYTES, ge=1)

    @field_validator("url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"must be a redis://, rediss:// or unix:// URL, got {value!r}")
        if "@" in value:
            raise ValueError("must not carry credentials; set OFFICESTREAM_REDIS_PASSWORD instead")
        return value

    def client_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``redis.Redis.from_url(url, **kwargs)``."""
        kwargs: dict[str, object] = {
            "socket_timeout": self.socket_timeout_s,
            "socket_connect_timeout": self.socket_timeout_s,
        }
        if self.password is not None:
            kwargs["password"] = self.password.get_secret_value()
        return kwargs
