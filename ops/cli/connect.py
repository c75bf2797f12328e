"""`officestream connect | disconnect`: connect a user's account through the running bridge
(``POST /internal/integrations``, the same call other services make), or disconnect it.

The user's consent is obtained here, interactively, and handed to the bridge, which owns the
integrations (``producers/orchestrator.py``). ``--auth``:

- ``app``: no user grant: Microsoft app-only (client credentials, admin consent), Google
  domain-wide delegation (the bridge's ``OFFICESTREAM_GOOGLE_SERVICE_ACCOUNT_FILE``);
- ``emulator``: the emulator's demo credentials (Microsoft app-only; Google the refresh token
  the emulator issues for the user);
- ``device-code`` (Microsoft): the device-code flow, delegated scopes;
- ``installed-app`` (Google): the installed-app flow on a loopback port.

``--refresh-token-file`` hands over a grant obtained elsewhere instead (a file, so the token
never appears in a process list). The bridge's address is ``OFFICESTREAM_BRIDGE_PUBLIC_URL`` (or
host and port), its token ``OFFICESTREAM_BRIDGE_INTERNAL_TOKEN``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import typer
from pydantic import SecretStr

from connectors.emulator.google.state import refresh_token_for
from connectors.google.settings import GoogleSettings
from connectors.microsoft.settings import MicrosoftSettings
from ops.cli.backfill import _instant, _provider, _types
from ops.cli.errors import one_line_errors
from producers.bridge.settings import BridgeSettings
from producers.integrations.consent import Grant, google_installed_app_flow, microsoft_device_flow

AUTH_MODES = ("app", "emulator", "device-code", "installed-app")


@one_line_errors
def connect(
    provider: str = typer.Option(..., "--provider", help="microsoft or google"),
    user: str = typer.Option(..., "--user", help="The mailbox address (the officestream user id)."),
    auth: str = typer.Option("app", "--auth", help="app, emulator, device-code (Microsoft) or installed-app (Google)."),
    refresh_token_file: Path | None = typer.Option(None, help="A file holding the user's grant, instead of --auth."),
    types: str = typer.Option("email,calendar,contact", "--types", help="Comma-separated: email, calendar, contact."),
    since: str | None = typer.Option(None, "--since", help="Backfill from (ISO date or date-time)."),
    until: str | None = typer.Option(None, "--until", help="Backfill until (exclusive)."),
    batch_size: int = typer.Option(50, "--batch-size", min=1, max=500, help="Items per batch event."),
    open_browser: bool = typer.Option(True, help="installed-app: open a browser (else open the printed URL)."),
    bridge_url: str | None = typer.Option(None, help="The bridge (default from OFFICESTREAM_BRIDGE_*)."),
) -> None:
    """Connect an account: registrations, IntegrationConnectedEvent, backfill; prints the job id."""
    chosen = _provider(provider)
    body: dict[str, Any] = {"provider": chosen.value, "user": user, "batch_size": batch_size,
                            "doc_types": [t.value for t in _types(types)]}
    for name, text in (("since", since), ("until", until)):
        instant = _instant(text, f"--{name}")
        if instant is not None:
            body[name] = instant.isoformat()
    grant = _grant(chosen.value, user, auth, refresh_token_file, open_browser)
    if grant is not None:
        body |= {"grant": grant.secret.get_secret_value(), "account_email": grant.account_email or user,
                 "scopes": list(grant.scopes)}
    answer = _call("POST", "/internal/integrations", bridge_url, json=body)
    integration = answer["integration"]
    typer.echo(answer["job_id"])
    typer.echo(json.dumps({"integration": integration["key"], "status": integration["status"],
                           "watches": [w["kind"] for w in integration["watches"]], "job_id": answer["job_id"]}),
               err=True)


@one_line_errors
def disconnect(
    provider: str = typer.Option(..., "--provider", help="microsoft or google"),
    user: str = typer.Option(..., "--user", help="The mailbox address."),
    bridge_url: str | None = typer.Option(None, help="The bridge (default from OFFICESTREAM_BRIDGE_*)."),
) -> None:
    """Stop streaming a user's account: registrations removed, backfill cancelled, grant dropped."""
    chosen = _provider(provider)
    gone = _call("DELETE", f"/internal/integrations/{chosen.value}/{user}", bridge_url)
    typer.echo(json.dumps({"integration": gone["key"], "status": gone["status"], "last_error": gone["last_error"]}))


def _grant(provider: str, user: str, auth: str, path: Path | None, open_browser: bool) -> Grant | None:
    if path is not None:
        return Grant(SecretStr(_read_secret(path)), user, ())
    if auth not in AUTH_MODES:
        _usage(f"unknown --auth {auth!r}; use {', '.join(AUTH_MODES)}")
    if auth == "app" or (auth == "emulator" and provider == "microsoft"):
        return None
    if auth == "emulator":
        return Grant(SecretStr(refresh_token_for(user)), user, ())
    if auth == "device-code" and provider == "microsoft":
        return microsoft_device_flow(MicrosoftSettings.from_env(), show=lambda text: typer.echo(text, err=True))
    if auth == "installed-app" and provider == "google":
        return google_installed_app_flow(GoogleSettings.from_env(), open_browser=open_browser, login_hint=user)
    _usage(f"--auth {auth} is not for {provider}: device-code is Microsoft's, installed-app Google's")
    return None


def _call(method: str, path: str, bridge_url: str | None, **kwargs: Any) -> dict[str, Any]:
    settings = BridgeSettings.from_env()
    token = settings.require_internal_token()
    url = (bridge_url or settings.base_url()).rstrip("/")
    try:
        answer = httpx.request(method, f"{url}{path}", headers={"Authorization": f"Bearer {token.get_secret_value()}"},
                               timeout=120, **kwargs)
    except httpx.TransportError as exc:
        typer.echo(f"error: the bridge at {url} is unreachable ({type(exc).__name__}): "
                   "is `officestream bridge serve` running?", err=True)
        raise typer.Exit(1) from None
    if answer.status_code >= 400:
        typer.echo(f"error: the bridge answered {answer.status_code}: {_error_of(answer)}", err=True)
        raise typer.Exit(1)
    return answer.json()


def _error_of(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error"))
    except ValueError:
        return answer.text[:200]


def _read_secret(path: Path) -> str:
    try:
        secret = path.read_text().strip()
    except OSError as exc:
        _usage(f"cannot read --refresh-token-file {path}: {exc.strerror}")
    if not secret:
        _usage(f"--refresh-token-file {path} is empty")
    return secret


def _usage(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)

