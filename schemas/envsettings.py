"""The one settings loader: each boundary's settings class reads ``OFFICESTREAM_*`` variables.

It lives in ``schemas/`` only because that is the ground layer every package may import; each
settings class itself stays beside the adapter it configures (DESIGN.md, "Layers").

Unlike plain pydantic-settings, an unknown variable under a class's prefix (a typo such as
``OFFICESTREAM_KAFKA_BOOTSTRAP_SERVER``) is refused instead of silently ignored, and every error
names the environment variable to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Self

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """A setting is unknown, malformed or conflicts with another; the message names it."""


class EnvSettings(BaseSettings):
    """Base for every officestream settings class; subclasses set ``env_prefix``.

    Build them with ``from_env()``: it alone reads the environment (so an explicit mapping is
    hermetic, which tests rely on), refusing unknown variables under the prefix.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls: Any, init_settings: Any, **sources: Any) -> tuple[Any, ...]:
        # Only the values ``from_env`` passes in; pydantic-settings' own env reading would
        # merge os.environ into an explicit mapping and skip the unknown-variable check.
        return (init_settings,)

    @classmethod
    def env_name(cls, field: str) -> str:
        return f"{cls.model_config['env_prefix']}{field}".upper()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Self:
        """Build from ``environ`` (default ``os.environ``); ``overrides`` win over the environment."""
        env = os.environ if environ is None else environ
        prefix = str(cls.model_config["env_prefix"]).upper()
        known = {cls.env_name(name): name for name in cls.model_fields}
        values: dict[str, object] = {}
        for key, raw in env.items():
            upper = key.upper()
            if not upper.startswith(prefix):
                continue
            if upper not in known:
                raise SettingsError(
                    f"unknown setting {key}; known {prefix}* settings: {', '.join(sorted(known))}"
                )
            values[known[upper]] = raw
        values.update(overrides)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError(_describe(cls, exc)) from exc


def _describe(cls: type[EnvSettings], exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        where = cls.env_name(field) if field in cls.model_fields else cls.__name__
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)
