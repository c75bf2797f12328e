"""docker-compose.yml against the project, without a Docker engine: every command resolves in
the `officestream` CLI (options parsed as the CLI parses them), every faust app imports with its
service's environment, every OFFICESTREAM_* name is a real setting and its value is accepted,
every service has a healthcheck, every worker a replica count, every dependency exists."""

from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from ops.cli import app
from ops.cli.services import WORKER_MODULES
from schemas.envsettings import EnvSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
BUILT = {name: s for name, s in SERVICES.items() if "build" in s}
#: What an operator exports before `docker compose up` (the file refuses to start without them).
OPERATOR_ENV = {
    "OFFICESTREAM_BRIDGE_INTERNAL_TOKEN": "a-token-of-at-least-16-chars",
    "OFFICESTREAM_BRIDGE_STATE_KEY": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
    "OFFICESTREAM_NOTIFIER_TOKEN_SECRET": "a-notifier-secret-of-at-least-32-bytes!!",
}
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:[?-])(?P<arg>[^}]*))?\}")


def interpolate(value: object, env: dict[str, str]) -> str:
    """Compose's ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}``."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if name in env:
            return env[name]
        assert op != ":?", f"{name} is required and not set: {arg}"
        return arg if op == ":-" else ""

    return _VARIABLE.sub(one, str(value))


def service_env(service: dict[str, Any]) -> dict[str, str]:
    return {key: interpolate(value, OPERATOR_ENV) for key, value in (service.get("environment") or {}).items()}


def settings_classes() -> list[type[EnvSettings]]:
    """Every settings class in the project (found by scanning the source for them)."""
    pattern = re.compile(r"^class \w+\(EnvSettings\)", re.MULTILINE)
    for path in ROOT.glob("[cops]*/**/*.py"):
        if ".venv" not in path.parts and pattern.search(path.read_text()):
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    found, pending = [], list(EnvSettings.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def commands(service: dict[str, Any]) -> list[list[str]]:
    """The argv of each command a service runs (``sh -c "a && b"`` is two)."""
    command = service.get("command") or []
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def resolve(argv: list[str]) -> Any:
    """The CLI command ``argv`` runs, its arguments parsed as the CLI parses them."""
    assert argv[0] == "officestream", f"{argv}: only officestream commands run in the image"
    command = typer.main.get_command(app)
    rest = argv[1:]
    while hasattr(command, "commands"):  # a group (typer's own click): descend by name
        assert rest, f"{argv}: a group, not a command"
        name, rest = rest[0], rest[1:]
        assert name in command.commands, f"{argv}: no subcommand {name!r}"
        command = command.commands[name]
    command.make_context(argv[0], list(rest))  # refuses unknown options, bad values, missing paths
    return command


@pytest.mark.parametrize("name", sorted(BUILT))
def test_every_command_of_the_image_is_an_officestream_command(name):
    for argv in commands(BUILT[name]):
        resolve(argv)


def test_every_service_has_a_healthcheck_and_only_one_shots_disable_it():
    for name, service in SERVICES.items():
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        if check.get("disable"):
            assert service.get("restart") == "no", f"{name} disables its healthcheck but is not a one-shot"
        else:
            assert check["test"][0] in ("CMD", "CMD-SHELL"), name
            if check["test"][1:3] == ["python", "-c"]:
                ast.parse(check["test"][3])  # the probe is valid Python


def test_dependencies_exist_and_wait_for_what_each_one_can_offer():
    for name, service in SERVICES.items():
        for target, condition in (service.get("depends_on") or {}).items():
            assert target in SERVICES, f"{name} depends on unknown {target}"
            offered = {"service_started"}
            offered |= {"service_completed_successfully"} if SERVICES[target].get("restart") == "no" else set()
            offered |= {"service_healthy"} if "test" in SERVICES[target].get("healthcheck", {}) else set()
            assert condition["condition"] in offered, f"{name} waits for {target} to be {condition['condition']}"


def test_every_long_running_service_of_ours_has_a_replica_count_and_one_if_it_publishes_a_port():
    for name, service in BUILT.items():
        if service.get("restart") == "no":
            continue
        replicas = service["deploy"]["replicas"]
        assert replicas >= 1, name
        if service.get("ports"):
            assert replicas == 1, f"{name} publishes a host port: its replicas would conflict"


def test_every_officestream_setting_is_real_and_its_value_accepted():
    classes = settings_classes()
    for name, service in BUILT.items():
        env = service_env(service)
        for key in env:
            if key.startswith("OFFICESTREAM_"):
                assert any(key.startswith(cls.model_config["env_prefix"]) for cls in classes), f"{name}: {key}"
        for cls in classes:
            if any(key.startswith(cls.model_config["env_prefix"]) for key in env):
                cls.from_env(env)  # SettingsError names an unknown setting or a refused value


def test_the_worker_services_run_every_faust_app():
    workers = {argv[2] for service in BUILT.values() for argv in commands(service) if argv[1:2] == ["worker"]}
    assert workers == set(WORKER_MODULES)


def test_each_faust_app_imports_with_its_services_environment(tmp_path):
    """The app modules read their settings at import: importing one with the service's
    environment is what the container does first."""
    running = []
    for name, service in BUILT.items():
        for argv in commands(service):
            if argv[1:2] == ["worker"]:
                env = {**{k: v for k, v in os.environ.items() if not k.startswith("OFFICESTREAM_")}, **service_env(service),
                       "OFFICESTREAM_PROCESSOR_DATA_DIR": str(tmp_path / name)}
                running.append((name, subprocess.Popen([sys.executable, "-c", f"import {WORKER_MODULES[argv[2]]}"],
                                                       env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)))
    for name, process in running:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, f"{name}: {stderr[-2000:]}"


def test_the_image_builds_from_files_that_exist():
    for name, service in BUILT.items():
        assert (ROOT / service["build"] / "Dockerfile").is_file(), name
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
