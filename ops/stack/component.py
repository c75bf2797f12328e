"""What every stack component offers the manager: ports, install, launch and a health probe."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from ops.stack.process import ProcessTable
from ops.stack.settings import StackSettings


@dataclass(frozen=True)
class Probe:
    """One look at a component: healthy or not, the version it reports, and why."""

    healthy: bool
    version: str = "?"
    detail: str = ""


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    address: str
    pid: int | None
    probe: Probe


class Component(ABC):
    """A process of the local stack. Constructors do no I/O; ``check`` and ``install`` may."""

    name: str

    def __init__(self, settings: StackSettings, processes: ProcessTable) -> None:
        self.settings = settings
        self.processes = processes

    @property
    def state_dir(self):
        return self.settings.dir / self.name

    @property
    @abstractmethod
    def address(self) -> str: ...

    @abstractmethod
    def ports(self) -> dict[str, int]:
        """The ports it binds, by the name of the setting that chooses each."""

    @abstractmethod
    def check(self) -> None:
        """Fail fast with a one-line PrerequisiteMissing before anything is downloaded."""

    @abstractmethod
    def install(self) -> None:
        """Download or install what it needs (cached after the first run)."""

    @abstractmethod
    def command(self) -> list[str]:
        """The exact command ``launch`` starts: how its process is recognised afterwards."""

    @abstractmethod
    def launch(self) -> int:
        """Write its config, start ``command()`` detached and return its pid."""

    @abstractmethod
    def probe(self) -> Probe:
        """Is it serving right now? Quick: called in a polling loop."""
