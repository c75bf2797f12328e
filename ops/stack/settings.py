"""Local stack settings (``OFFICESTREAM_STACK_*``): where it keeps state and which ports it uses."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from schemas.envsettings import EnvSettings

PROJECT_ROOT = Path(__file__).resolve().parents[2]



class StackSettings(EnvSettings):
    """Ports default away from the usual 9092/8081/6379 so a developer's own services don't clash."""

    model_config = SettingsConfigDict(env_prefix="OFFICESTREAM_STACK_", extra="forbid", frozen=True)

    #: Caches, state and logs of the local stack (gitignored).
    dir: Path = PROJECT_ROOT / ".stack"
    #: Downloaded Kafka jars and the registry app; shared by several stack dirs when set.
    cache_dir: Path | None = None
    host: str = "127.0.0.1"
    kafka_port: int = Field(default=19092, ge=1024, le=65535)
    kafka_controller_port: int = Field(default=19093, ge=1024, le=65535)
    registry_port: int = Field(default=18081, ge=1024, le=65535)
    registry_management_port: int = Field(default=18082, ge=1024, le=65535)
    redis_port: int = Field(default=16379, ge=1024, le=65535)
    kafka_heap: str = Field(default="512m", pattern=r"^\d+[mg]$")
    registry_heap: str = Field(default="384m", pattern=r"^\d+[mg]$")
    #: A JDK for Kafka (17+); found on JAVA_HOME, PATH or /usr/lib/jvm when unset.
    java_home: Path | None = None
    #: A JDK for the registry (21+); found the same way when unset.
    registry_java_home: Path | None = None
    start_timeout_s: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _distinct_ports(self) -> "StackSettings":
        ports = {
            "KAFKA_PORT": self.kafka_port,
            "KAFKA_CONTROLLER_PORT": self.kafka_controller_port,
            "REGISTRY_PORT": self.registry_port,
            "REGISTRY_MANAGEMENT_PORT": self.registry_management_port,
            "REDIS_PORT": self.redis_port,
        }
        seen: dict[int, str] = {}
        for name, port in ports.items():
            if port in seen:
                raise ValueError(f"OFFICESTREAM_STACK_{name} and OFFICESTREAM_STACK_{seen[port]} are both {port}")
            seen[port] = name
        return self

    @property
    def downloads_dir(self) -> Path:
        """``cache_dir`` when set, else ``dir/cache``."""
        return self.cache_dir or self.dir / "cache"

    @property
    def logs_dir(self) -> Path:
        return self.dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.dir / "run"

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def registry_url(self) -> str:
        return f"http://{self.host}:{self.registry_port}/apis/ccompat/v7"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.host}:{self.redis_port}/0"
