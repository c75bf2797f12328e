"""`officestream reconcile [USER] [--json]`: provider against sinks (``ops/reconcile.py``)."""

from __future__ import annotations

import json

import typer

from connectors.kafka.settings import KafkaSettings
from connectors.vespa.settings import VespaSettings
from ops.cli.errors import one_line_errors
from ops.reconcile import ReconcileError, Verdict, provider_holdings, reconcile
from producers.bridge.settings import BridgeSettings


@one_line_errors
def reconcile_command(
    user: str | None = typer.Argument(None, help="Only this user (default: every connected integration)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    bridge_url: str | None = typer.Option(None, help="The bridge (default from OFFICESTREAM_BRIDGE_*)."),
) -> None:
    """Compare each user's provider items with every sink; exits 1 on any missing, extra or stale item."""
    verdict = run_reconcile(user=user, bridge_url=bridge_url)
    if as_json:
        typer.echo(json.dumps(verdict.as_json(), indent=2))
    else:
        typer.echo(describe(verdict))
    if not verdict.clean:
        raise typer.Exit(1)


def run_reconcile(*, user: str | None = None, bridge_url: str | None = None) -> Verdict:
    settings = BridgeSettings.from_env()
    token = settings.require_internal_token().get_secret_value()
    try:
        expected, unreadable = provider_holdings((bridge_url or settings.base_url()).rstrip("/"), token, user=user)
    except ReconcileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    vespa = VespaSettings.from_env()
    return reconcile(KafkaSettings.from_env(), expected, feed_file=None if vespa.url else vespa.feed_file,
                     namespace=vespa.namespace, unreadable=unreadable)


def describe(verdict: Verdict) -> str:
    lines = [f"{'user':<28} {'type':<15} {'sink':<16} {'provider':>8} {'sink':>6} {'missing':>8} {'extra':>6} {'stale':>6}"]
    for gap in verdict.gaps:
        lines.append(f"{gap.user[:28]:<28} {gap.doc_type:<15} {gap.sink:<16} {gap.provider_items:>8} "
                     f"{gap.sink_items:>6} {len(gap.missing):>8} {len(gap.extra):>6} {len(gap.stale):>6}")
        for kind in ("missing", "extra", "stale"):
            ids = getattr(gap, kind)
            if ids:
                lines.append(f"    {kind}: {', '.join(ids[:5])}{' ...' if len(ids) > 5 else ''}")
    for integration, types in verdict.unreadable.items():
        lines.append(f"unreadable at the provider (dead-lettered by the backfill) {integration}: "
                     + ", ".join(f"{t}={len(ids)}" for t, ids in types.items() if ids))
    totals = verdict.totals()
    lines.append("verdict: " + ("clean: every sink holds what the providers hold" if verdict.clean else
                                f"GAPS: {totals['missing']} missing, {totals['extra']} extra, {totals['stale']} stale"))
    return "\n".join(lines)
