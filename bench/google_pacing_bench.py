"""How well a Google backfill paces itself under a per-user Gmail quota the provider enforces.

The emulator (Google face, in a child process: ``harness/emulator.py``) enforces a quota of
``--units-per-minute`` Gmail units for the mailbox (``POST /_emulator/google/quota``: each
request, each batch part, charged its method's units; 429 ``rateLimitExceeded`` once the last
60 s would pass the limit). A ``BackfillRunner`` job (email only) crawls the mailbox
(``messages.list`` pages of 100, ``messages.get`` in batches of 50: 505 units a page) with the
real publisher and job store, its quota pacer (``connectors/google/quota.py``) configured with
the same budget (``OFFICESTREAM_GOOGLE_GMAIL_QUOTA_UNITS_PER_MINUTE``). The quota is low enough
that pacing, not the crawl, sets the pace: the defaults take about 80 s (5,051 units).

Reported, from what the emulator charged (its own clock):

- ``steady``: units per minute over the last 60 s of the run / quota: the fraction of the quota
  the pacer sustains once its initial burst is spent. Measured between requests (a batch's parts
  are charged within milliseconds of each other, and form one request): from the first request
  of that minute to the last of the run, the first one's own units left out, since each request
  is paced before it is sent. Goal >= 0.9.
- ``busiest minute``: the most units charged in any 60 s / quota (the rule the emulator
  enforces; a pacer that overshoots shows up as 429s instead, since refused calls cost nothing).
- ``mean``: all units / the run from first to last charge.
- 429s: the calls and batch parts refused, and those after the first (goal 0).

Run: ``.venv/bin/python bench/google_pacing_bench.py [--messages 1000] [--units-per-minute 4000]``
with the local stack up. Figures go to stdout and ``bench/results/google_pacing.json``; the run's
topics and subjects (prefix ``bench-pacing-<12 hex>-``) are deleted at the end unless ``--keep``.
Bounded: ``--timeout-s`` (150 s) for the backfill, ``--ready-timeout-s`` (170 s) for the emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from harness.emulator import RunningEmulator, running_emulator
from harness.publishing import BACKFILL_TOPICS, run_publisher
from harness.report import load_line, machine_info, write_json
from harness.stack import Stack, stack_for_run

from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.providers import ProviderCrawlers, StaticGoogleTokens
from producers.backfill.runner import BackfillRunner
from producers.backfill.store import JobStore
from schemas.models import DocType, Provider

TARGET_FRACTION = 0.9
WINDOW_S = 60.0
#: A shorter run's last minute still holds the pacer's start-up burst.
MIN_RUN_S = 70.0
#: Charges closer together than this are one request's (a batch's parts).
REQUEST_GAP_S = 0.25


def requests_of(charges: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """Charges grouped into what the client sent as one request: a batch's parts are charged one
    by one within milliseconds; its next request comes a pacing wait later. (start, units)."""
    grouped: list[list[float]] = []
    last = None
    for when, units in charges:
        if last is None or when - last > REQUEST_GAP_S:
            grouped.append([when, 0])
        grouped[-1][1] += units
        last = when
    return [(start, int(units)) for start, units in grouped]


def pacing_figures(charges: list[tuple[float, int]], units_per_minute: int) -> dict[str, Any]:
    """The fractions of the quota a run's charges (time, units) achieved; see the module doc."""
    times = [t for t, _ in charges]
    first, last = times[0], times[-1]
    total = sum(units for _, units in charges)
    busiest = max(sum(u for t, u in charges if start <= t < start + WINDOW_S) for start in times)
    # Steady rate: the requests of the run's last minute; the first one opens the interval, so
    # its own units are not in it (each request is paced before it is sent).
    requests = requests_of(charges)
    steady = [(start, units) for start, units in requests if start >= requests[-1][0] - WINDOW_S]
    steady_s = steady[-1][0] - steady[0][0]
    steady_units = sum(units for _, units in steady[1:])
    return {
        "run_s": last - first, "charged_units": total, "charges": len(charges), "requests": len(requests),
        "steady_units_per_minute": steady_units / steady_s * 60 if steady_s > 0 else None,
        "steady_fraction": steady_units / steady_s * 60 / units_per_minute if steady_s > 0 else None,
        "steady_window_s": steady_s,
        "busiest_minute_fraction": busiest / units_per_minute,
        "mean_fraction": total / (last - first) * 60 / units_per_minute if last > first else None,
    }


async def backfill(stack: Stack, emulator: RunningEmulator, args: argparse.Namespace) -> dict[str, Any]:
    crawlers = ProviderCrawlers(google=emulator.google_settings(gmail_quota_units_per_minute=args.units_per_minute),
                                google_tokens=StaticGoogleTokens({emulator.user: emulator.google_refresh_token()}))
    statuses: list[str] = []

    def seen(job: BackfillJob) -> None:
        if not statuses or statuses[-1] != job.status.value:
            statuses.append(job.status.value)

    job = BackfillJob.new(user_id=emulator.user, provider=Provider.google, doc_types=(DocType.email,),
                          now=dt.datetime.now(dt.UTC), batch_size=args.batch_size)
    async with run_publisher(stack) as publisher:
        runner = BackfillRunner(publisher=publisher, store=JobStore(stack.kafka, publisher), crawlers=crawlers.crawler,
                                on_update=seen)
        try:
            started = time.perf_counter()
            done = await asyncio.wait_for(runner.run(job), args.timeout_s)
            seconds = time.perf_counter() - started
        finally:
            await crawlers.aclose()
    if done.status is not JobStatus.completed:
        raise SystemExit(f"the backfill ended {done.status.value}: {done.last_error}")
    return {"emails": done.doc(DocType.email).items, "job_seconds": seconds, "statuses": statuses,
            "last_error": done.last_error}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="emails in the mailbox (default 1000)")
    parser.add_argument("--units-per-minute", type=int, default=4000,
                        help="the Gmail quota, enforced by the emulator and given to the pacer (default 4000)")
    parser.add_argument("--batch-size", type=int, default=50, help="the job's batch size (default 50)")
    parser.add_argument("--timeout-s", type=float, default=150.0, help="max seconds of the backfill (default 150)")
    parser.add_argument("--ready-timeout-s", type=float, default=170.0, help="world generation and emulator start-up")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics and subjects")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.units_per_minute < 255:
        parser.error("--messages must be at least 1 and --units-per-minute at least 255 (one batch of 50 and a listing)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    with (stack_for_run("pacing", BACKFILL_TOPICS, keep=args.keep) as stack,
          running_emulator(messages=args.messages, faces=("google",), ready_timeout_s=args.ready_timeout_s) as emulator):
        emulator.control("/_emulator/google/quota", {"user": emulator.user, "units_per_minute": args.units_per_minute})
        print(f"quota {args.units_per_minute} Gmail units a minute for the mailbox; backfilling "
              f"{args.messages} emails (about {args.messages * 5.05 / args.units_per_minute * 60:.0f} s at the quota)",
              flush=True)
        job = asyncio.run(backfill(stack, emulator, args))
        used = emulator.control(f"/_emulator/google/quota?user={emulator.user}")
    figures = pacing_figures([(t, u) for t, u in used["charges"]], args.units_per_minute)
    refused = used["rejected"]
    figures.update(rejected=refused, rejected_after_first=max(0, refused - 1))
    verdict = "PASS" if (figures["steady_fraction"] or 0) >= TARGET_FRACTION and figures["rejected_after_first"] == 0 else "FAIL"
    if figures["run_s"] < MIN_RUN_S:  # its last minute still holds the start-up burst
        verdict = f"INCONCLUSIVE (a run of {figures['run_s']:.0f} s: give it at least {MIN_RUN_S:.0f} s)"
    report = {
        "benchmark": "google_pacing", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"messages": args.messages, "units_per_minute": args.units_per_minute, "batch_size": args.batch_size,
                       "topic_prefix": stack.prefix, "target_fraction": TARGET_FRACTION,
                       "emulator": "separate process, Google face (HTTP)"},
        "machine": machine, "job": job, "figures": figures, "verdict": verdict,
        "charges": used["charges"],  # (emulator clock s, units) of every accepted call or batch part
    }
    print()
    print(f"Google backfill under a Gmail quota of {args.units_per_minute} units/min: {job['emails']} emails in "
          f"{job['job_seconds']:.1f} s; job statuses {' -> '.join(job['statuses'])}")
    print(load_line(machine))
    steady = figures["steady_fraction"]
    print(f"  steady (last minute of the run): {figures['steady_units_per_minute'] or float('nan'):,.0f} units/min = "
          f"{steady or float('nan'):.2f} of the quota; busiest 60 s {figures['busiest_minute_fraction']:.2f}; "
          f"mean over the run {figures['mean_fraction'] or float('nan'):.2f} ({figures['charged_units']} units in "
          f"{figures['run_s']:.1f} s)")
    print(f"  429s: {refused} ({figures['rejected_after_first']} after the first)")
    print(f"  goal: steady >= {TARGET_FRACTION} of the quota and no 429 after the first: {verdict}")
    print(f"figures written to {write_json('google_pacing', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
