"""`officestream demo`: the whole system on the local stack and the provider emulator (``ops/demo``)."""

from __future__ import annotations

import signal
from pathlib import Path

import typer

from ops.cli.errors import one_line_errors
from ops.demo.processes import DemoFailed
from ops.demo.run import Demo, DemoOptions


@one_line_errors
def demo(
    users: int = typer.Option(4, min=2, max=20, help="Seeded mailboxes; half connect through Microsoft, half Google."),
    emails_per_user: int = typer.Option(60, min=10, max=5000, help="Seeded e-mails per mailbox."),
    duration: float | None = typer.Option(None, "--duration", min=0, help="Seconds of live changes after the backfills (default: until Ctrl-C)."),
    advance_every: float = typer.Option(5.0, min=0.5, help="Seconds between rounds of mailbox changes."),
    settle_timeout: float = typer.Option(180.0, min=0, help="How long the end waits for every sink to catch up."),
    summary_json: Path | None = typer.Option(None, help="Also write the summary to this file (JSON)."),
    account: list[str] = typer.Option([], "--account", help="provider:address of a real account (repeat); no emulator."),
) -> None:
    """Run everything: stack, emulator, bridge, workers, backfills, live changes; then a summary
    with the reconciliation's verdict. Exits 1 if a sink does not hold what the providers hold."""
    accounts = tuple(_account(text) for text in account)
    options = DemoOptions(accounts=accounts, users=users, emails_per_user=emails_per_user, duration_s=duration,
                          advance_every_s=advance_every, settle_timeout_s=settle_timeout, summary_json=summary_json)
    run = Demo(options, say=lambda line: typer.echo(line, err=True))
    # Ctrl-C (and SIGTERM) end the live phase: the demo still settles, summarizes and stops
    # every process it started.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: run.stop_requested.set())
    try:
        summary = run.run()
    except DemoFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(summary.describe())
    if summary_json is not None:
        summary_json.write_text(summary.to_json())
    if not summary.clean:
        raise typer.Exit(1)


def _account(text: str) -> tuple[str, str]:
    provider, _, address = text.partition(":")
    if provider not in ("microsoft", "google") or "@" not in address:
        typer.echo(f"error: --account {text!r}: use microsoft:<address> or google:<address>", err=True)
        raise typer.Exit(2)
    return provider, address
