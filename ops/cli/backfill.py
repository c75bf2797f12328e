"""`officestream backfill start | status | cancel | resume | run`: historical mail, calendars
and contacts onto Kafka (``producers/backfill``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import typer
from pydantic import SecretStr

from connectors import tracing
from connectors.kafka.settings import KafkaSettings
from ops.cli.backfill_progress import ProgressBars
from ops.cli.errors import one_line_errors
from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.lease import JobHeldElsewhere
from producers.backfill.providers import StaticGoogleTokens
from producers.backfill.queue import run_queue
from producers.backfill.service import BackfillService, bootstrap
from producers.backfill.store import read_job, read_jobs
from schemas.models import DocType, Provider

backfill_app = typer.Typer(no_args_is_help=True, help="Backfill a user's history onto Kafka.")

#: The doc type names the command takes (and ``status --json`` counts by).
TYPE_NAMES = {"email": DocType.email, "calendar": DocType.calendar_event, "contact": DocType.contact}
NAME_OF = {doc_type: name for name, doc_type in TYPE_NAMES.items()}
#: How often a runner waiting for another's lease asks again, and how long past its announced
#: lapse it still waits (a runner that renews after that is alive).
LEASE_POLL_S = 1.0
LEASE_WAIT_MARGIN_S = 2.0


@backfill_app.callback()
@one_line_errors
def _export_spans() -> None:
    # A job run here (`start --wait`, `resume`, `run`) exports its publish spans when an OTLP
    # endpoint is set, as the bridge's do (connectors/tracing.py).
    tracing.configure("office-backfill")


@backfill_app.command("start")
@one_line_errors
def start(
    provider: str = typer.Option(..., "--provider", help="microsoft or google"),
    user: str = typer.Option(..., "--user", help="The mailbox address (the officestream user id)."),
    types: str = typer.Option("email,calendar,contact", "--types", help="Comma-separated: email, calendar, contact."),
    since: str | None = typer.Option(None, "--since", help="ISO date or date-time (UTC unless it says otherwise)."),
    until: str | None = typer.Option(None, "--until", help="ISO date or date-time, exclusive."),
    batch_size: int = typer.Option(50, "--batch-size", min=1, max=500, help="Items per batch event."),
    wait: bool = typer.Option(False, "--wait", help="Run the job here with a progress bar; exit 1 unless it completes."),
    google_refresh_token_file: Path | None = typer.Option(None, help="A file holding the Google user's refresh token."),
) -> None:
    """Queue (or, with --wait, run) a backfill job; prints the job id first."""
    chosen = _provider(provider)
    doc_types = _types(types)
    window = (_instant(since, "--since"), _instant(until, "--until"))
    tokens = _google_tokens(user, google_refresh_token_file)

    async def main() -> int:
        service = bootstrap(google_tokens=tokens)
        await service.start()
        try:
            await service.preflight(chosen, user, doc_types)
            job = BackfillJob.new(user_id=user, provider=chosen, doc_types=doc_types, now=dt.datetime.now(dt.UTC),
                                  since=window[0], until=window[1], batch_size=batch_size)
            if wait:  # run here: never stored pending, or a queue (`backfill run`, the bridge's) would take it too
                job = job.with_status(JobStatus.running, now=dt.datetime.now(dt.UTC))
            await service.store.save(job)
            typer.echo(job.job_id)
            if not wait:
                typer.echo("queued: `officestream backfill run` processes it", err=True)
                return 0
            return await _run_with_bars(service, job)
        finally:
            await service.close()

    raise typer.Exit(asyncio.run(main()))


@backfill_app.command("resume")
@one_line_errors
def resume(
    job_id: str = typer.Argument(...),
    wait: bool = typer.Option(False, "--wait", help="Run it here with a progress bar; exit 1 unless it completes."),
    google_refresh_token_file: Path | None = typer.Option(None, help="A file holding the Google user's refresh token."),
) -> None:
    """Continue a job from its last checkpoint (after a crash, say)."""
    job = _found(job_id)
    if job.status in (JobStatus.completed, JobStatus.cancelled):
        typer.echo(f"error: job {job_id} is {job.status.value}; start a new one", err=True)
        raise typer.Exit(1)
    tokens = _google_tokens(job.user_id, google_refresh_token_file)

    async def main() -> int:
        service = bootstrap(google_tokens=tokens)
        await service.start()
        try:
            await service.preflight(job.provider, job.user_id, job.doc_types)
            if not wait:
                await service.store.save(job.with_status(JobStatus.pending, now=dt.datetime.now(dt.UTC)))
                typer.echo(f"queued {job_id}: `officestream backfill run` processes it", err=True)
                return 0
            return await _run_with_bars(service, job)
        finally:
            await service.close()

    raise typer.Exit(asyncio.run(main()))


@backfill_app.command("run")
@one_line_errors
def run(
    once: bool = typer.Option(False, "--once", help="Exit when no queued job is left."),
    stale_after_s: float = typer.Option(120.0, help="A running job not updated for this long was abandoned: resume it."),
    concurrency: int = typer.Option(4, min=1, max=64, help="Jobs run at once (one throttled user never stalls others)."),
) -> None:
    """Run queued jobs (and jobs whose runner died) until stopped."""

    async def main() -> int:
        service = bootstrap()
        await service.start()
        try:
            async def run_job(job: BackfillJob) -> BackfillJob:
                done = await service.runner().run(job)
                typer.echo(json.dumps(job_summary(done)))
                return done

            await run_queue(service.store.all, run_job, once=once, stale_after_s=stale_after_s, concurrency=concurrency)
            return 0
        finally:
            await service.close()

    raise typer.Exit(asyncio.run(main()))


@backfill_app.command("status")
@one_line_errors
def status(job_id: str | None = typer.Argument(None), as_json: bool = typer.Option(False, "--json")) -> None:
    """One job, or every job (newest first)."""
    jobs = [_found(job_id)] if job_id else read_jobs(KafkaSettings.from_env())
    if as_json:
        summaries = [job_summary(job) for job in jobs]
        typer.echo(json.dumps(summaries[0] if job_id else summaries, indent=2))
        return
    typer.echo(f"{'job':<22} {'status':<17} {'provider':<9} {'user':<28} {'items':>8} {'batches':>8}  updated")
    for job in jobs:
        typer.echo(f"{job.job_id:<22} {job.status.value:<17} {job.provider.value:<9} {job.user_id[:28]:<28} "
                   f"{job.items:>8} {job.batches:>8}  {job.updated_at:%Y-%m-%d %H:%M:%S}")


@backfill_app.command("cancel")
@one_line_errors
def cancel(job_id: str = typer.Argument(...)) -> None:
    """Cancel a job: a runner holding it stops after its current page."""

    job = _found(job_id)

    async def main() -> int:
        service = bootstrap()
        await service.publisher.start()
        try:
            if job.status.finished:
                typer.echo(f"job {job_id} already {job.status.value}", err=True)
                return 0
            await service.store.save(job.with_status(JobStatus.cancelled, now=dt.datetime.now(dt.UTC), error="cancelled"))
            typer.echo(f"cancelled {job_id}")
            return 0
        finally:
            await service.publisher.close()
            await service.redis.aclose()

    raise typer.Exit(asyncio.run(main()))


async def _run_with_bars(service: BackfillService, job: BackfillJob) -> int:
    with ProgressBars(job, NAME_OF) as bars:
        done = await _run_when_free(service, job, on_update=bars.update)
    typer.echo(json.dumps(job_summary(done)))
    if done.status is not JobStatus.completed:
        typer.echo(f"error: job {done.job_id} {done.status.value}: {done.last_error}", err=True)
        return 1
    return 0


async def _run_when_free(service: BackfillService, job: BackfillJob, *, on_update: Callable[[BackfillJob], None]) -> BackfillJob:
    """Run the job once no other runner holds it: a killed runner's lease lapses within
    ``OFFICESTREAM_BACKFILL_LEASE_TTL_S``, so `resume --wait` right after a kill waits for that;
    one still renewing it after that long is alive, and the command ends with its name."""
    loop = asyncio.get_running_loop()
    deadline: float | None = None
    while True:
        try:
            return await service.runner(on_update=on_update).run(job)
        except JobHeldElsewhere as held:
            if deadline is None:
                deadline = loop.time() + held.expires_in_s + LEASE_WAIT_MARGIN_S
                typer.echo(f"{held}; waiting for it to lapse", err=True)
            if loop.time() >= deadline:
                raise
            await asyncio.sleep(LEASE_POLL_S)


def job_summary(job: BackfillJob) -> dict[str, object]:
    """A job as `backfill status --json` (and `officestream status`) show it."""
    summary = job.summary()
    summary["counts"] = {NAME_OF[doc_type]: job.doc(doc_type).items for doc_type in job.doc_types}
    summary["progress"] = {NAME_OF[DocType(name)]: value for name, value in summary["progress"].items()}  # type: ignore[union-attr]
    summary["user_id"] = job.user_id
    return summary


def _found(job_id: str) -> BackfillJob:
    job = read_job(KafkaSettings.from_env(), job_id)
    if job is None:
        typer.echo(f"error: no backfill job {job_id!r} (`officestream backfill status` lists them)", err=True)
        raise typer.Exit(1)
    return job


def _provider(name: str) -> Provider:
    if name not in (Provider.microsoft.value, Provider.google.value):
        typer.echo(f"error: unknown provider {name!r}; use microsoft or google", err=True)
        raise typer.Exit(2)
    return Provider(name)


def _types(names: str) -> tuple[DocType, ...]:
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in TYPE_NAMES]
    if unknown or not chosen:
        typer.echo(f"error: unknown --types {', '.join(unknown) or '(none)'}; use {', '.join(TYPE_NAMES)}", err=True)
        raise typer.Exit(2)
    return tuple(dict.fromkeys(TYPE_NAMES[name] for name in chosen))


def _instant(text: str | None, option: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        typer.echo(f"error: {option} {text!r} is not an ISO date or date-time (e.g. 2026-01-31)", err=True)
        raise typer.Exit(2) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _google_tokens(user: str, path: Path | None) -> StaticGoogleTokens | None:
    if path is None:
        return None
    try:
        token = path.read_text().strip()
    except OSError as exc:
        typer.echo(f"error: cannot read --google-refresh-token-file {path}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    if not token:
        typer.echo(f"error: --google-refresh-token-file {path} is empty", err=True)
        raise typer.Exit(2)
    return StaticGoogleTokens({user: SecretStr(token)})

