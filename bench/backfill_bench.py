"""Emails/s of a Microsoft backfill into Kafka against a bare crawl of the same mailbox, in one run.

One emulated mailbox of ``--messages`` emails (the emulator's Microsoft face over TLS, in a child
process: ``harness/emulator.py``), crawled by two variants that take turns, the order
alternating between rounds:

- ``bare crawl``: the backfill's own crawler (``GraphMailCrawler``, built by ``ProviderCrawlers``
  as the runner builds it: app-only credentials through msal, httpx, Graph message deltas folder
  after folder, every page normalized into ``Email`` records), its pages iterated and their
  records counted; nothing is published.
- ``runner``: a ``BackfillRunner`` job for the same mailbox (email only, pacing off: nothing
  throttles) with the real publisher (``EmailBackfillEvent``s on ``email-backfill``, keyed by the
  user), the real ``JobStore`` (the job written to ``backfill-jobs`` after every page, once the
  brokers have that page) and a ``BackfillProgressEvent`` per page, as ``officestream backfill``
  runs it.

Both share one ``ProviderCrawlers`` (one Graph client and token, warm). One untimed warm-up round
first; every timed pass must find exactly the mailbox's emails. Reported per variant: the median
emails/s and CPU per email (this process: connector, publisher and librdkafka; the emulator's
rendering runs in its own process), the ratio runner/bare within each round and its median; the
goal is >= 0.8 (PASS/FAIL printed; the exit status is 0 either way).

Run: ``.venv/bin/python bench/backfill_bench.py [--messages 5000] [--rounds 4] [--profile]``
with the local stack up. Figures go to stdout and ``bench/results/backfill.json``; the run's
topics and subjects (prefix ``bench-backfill-<12 hex>-``) are deleted at the end unless
``--keep``. Bounded: the emulator must be ready within ``--ready-timeout-s`` (170 s: a new world
is generated and cached the first time) and each pass done within ``--timeout-s`` (120 s).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harness.emulator import running_emulator
from harness.publishing import BACKFILL_TOPICS, run_publisher
from harness.report import RESULTS_DIR, load_line, machine_info, write_json
from harness.stack import Stack, stack_for_run

from producers.backfill.job import BackfillJob, JobStatus
from producers.backfill.providers import ProviderCrawlers
from producers.backfill.runner import BackfillRunner, CrawlHooks
from producers.backfill.store import JobStore
from producers.publisher import Publisher
from schemas.models import DocType, Provider

TARGET_RATIO = 0.8
VARIANTS = ("bare crawl", "runner")


@dataclass(frozen=True)
class Pass:
    emails: int
    pages: int
    seconds: float
    cpu_seconds: float

    def as_dict(self) -> dict[str, float]:
        return {"emails": self.emails, "pages": self.pages, "seconds": self.seconds,
                "emails_per_s": self.emails / self.seconds, "cpu_us_per_email": self.cpu_seconds / self.emails * 1e6}


@dataclass
class Backfills:
    """What both variants use: the crawlers (one Graph client), and the runner's publisher and store."""

    crawlers: ProviderCrawlers
    publisher: Publisher
    store: JobStore
    user: str
    batch_size: int

    def job(self) -> BackfillJob:
        return BackfillJob.new(user_id=self.user, provider=Provider.microsoft, doc_types=(DocType.email,),
                               now=dt.datetime.now(dt.UTC), batch_size=self.batch_size)


async def bare_pass(backfills: Backfills) -> Pass:
    job = backfills.job()
    crawler = backfills.crawlers.crawler(job, DocType.email, CrawlHooks(job))
    emails = pages = 0
    started, cpu = time.perf_counter(), time.process_time()
    async for page in crawler.pages(None):
        emails += len(page.records)
        pages += 1
    return Pass(emails, pages, time.perf_counter() - started, time.process_time() - cpu)


async def runner_pass(backfills: Backfills) -> Pass:
    runner = BackfillRunner(publisher=backfills.publisher, store=backfills.store, crawlers=backfills.crawlers.crawler)
    started, cpu = time.perf_counter(), time.process_time()
    done = await runner.run(backfills.job())
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    if done.status is not JobStatus.completed:
        raise RuntimeError(f"the backfill ended {done.status.value}: {done.last_error}")
    progress = done.doc(DocType.email)
    return Pass(progress.items, progress.batches, seconds, cpu_seconds)


async def measure(stack: Stack, args: argparse.Namespace, emulator: Any) -> dict[str, Any]:
    async with run_publisher(stack) as publisher:
        crawlers = ProviderCrawlers(microsoft=emulator.microsoft_settings(max_page_size=args.page_size))
        try:
            return await measure_with(Backfills(crawlers, publisher, JobStore(stack.kafka, publisher), emulator.user,
                                                args.batch_size), args)
        finally:
            await crawlers.aclose()


async def measure_with(backfills: Backfills, args: argparse.Namespace) -> dict[str, Any]:
    profiler = cProfile.Profile() if args.profile else None

    async def run(variant: str) -> Pass:
        if variant == "bare crawl":
            return await asyncio.wait_for(bare_pass(backfills), args.timeout_s)
        if profiler is not None:
            profiler.enable()
        try:
            return await asyncio.wait_for(runner_pass(backfills), args.timeout_s)
        finally:
            if profiler is not None:
                profiler.disable()

    rounds: list[dict[str, Any]] = []
    warm = {variant: await run(variant) for variant in VARIANTS}  # token, connections, registry ids
    expected = warm["bare crawl"].emails
    for index in range(args.rounds):
        order = VARIANTS if index % 2 == 0 else VARIANTS[::-1]
        passes = {variant: await run(variant) for variant in order}
        wrong = {name: p.emails for name, p in passes.items() if p.emails != expected}
        if wrong or warm["runner"].emails != expected:
            raise RuntimeError(f"passes saw {wrong or warm['runner'].emails} emails, the mailbox has {expected}")
        rate = {name: p.emails / p.seconds for name, p in passes.items()}
        rounds.append({"order": list(order), **{name: p.as_dict() for name, p in passes.items()},
                       "ratio": rate["runner"] / rate["bare crawl"]})
        print(f"round {index + 1}/{args.rounds}: bare crawl {rate['bare crawl']:,.0f} emails/s, runner "
              f"{rate['runner']:,.0f} emails/s, ratio {rounds[-1]['ratio']:.2f}", flush=True)
    if profiler is not None:
        path = RESULTS_DIR / "backfill.prof"
        path.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(path)
        print(f"cProfile stats of the runner passes: {path}")
    return {"rounds": rounds, "emails": expected, "pages": warm["bare crawl"].pages}


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {
        variant: {figure: statistics.median(r[variant][figure] for r in rounds) for figure in ("emails_per_s", "cpu_us_per_email")}
        for variant in VARIANTS
    }
    ratios = [r["ratio"] for r in rounds]
    result.update(ratio_median_paired=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                  ratio_of_medians=result["runner"]["emails_per_s"] / result["bare crawl"]["emails_per_s"])
    result["verdict"] = "PASS" if result["ratio_median_paired"] >= TARGET_RATIO else "FAIL"
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="emails in the mailbox (default 5000)")
    parser.add_argument("--rounds", type=int, default=4, help="timed rounds (default 4)")
    parser.add_argument("--page-size", type=int, default=100, help="Graph page size, Prefer: odata.maxpagesize (default 100)")
    parser.add_argument("--batch-size", type=int, default=50, help="the job's batch size (default 50, as the CLI's)")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="max seconds of one pass (default 120)")
    parser.add_argument("--ready-timeout-s", type=float, default=170.0, help="world generation and emulator start-up")
    parser.add_argument("--profile", action="store_true", help="cProfile the runner passes (bench/results/backfill.prof)")
    parser.add_argument("--keep", action="store_true", help="keep the run's topics and subjects")
    args = parser.parse_args(argv)
    if args.messages < 1 or args.rounds < 1:
        parser.error("--messages and --rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = machine_info()
    with (stack_for_run("backfill", BACKFILL_TOPICS, keep=args.keep) as stack,
          running_emulator(messages=args.messages, faces=("microsoft",), ready_timeout_s=args.ready_timeout_s) as emulator):
        print(f"emulator ready: world {'loaded' if emulator.world_cached else 'generated'} in "
              f"{emulator.world_generation_s} s (untimed)", flush=True)
        figures = asyncio.run(measure(stack, args, emulator))
    result = summary(figures["rounds"])
    report = {
        "benchmark": "backfill", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"messages": args.messages, "emails_crawled": figures["emails"], "rounds": args.rounds,
                       "page_size": args.page_size, "batch_size": args.batch_size, "pages": figures["pages"],
                       "profile": args.profile, "topic_prefix": stack.prefix, "target_ratio": TARGET_RATIO,
                       "emulator": "separate process, TLS, Microsoft face", "world_generation_s": emulator.world_generation_s,
                       "world_cached": emulator.world_cached},
        "machine": machine, "summary": result, "rounds": figures["rounds"],
    }
    print()
    print(f"Microsoft backfill vs bare crawl: {figures['emails']} emails ({figures['pages']} pages of <= {args.page_size}), "
          f"job batch size {args.batch_size}, {args.rounds} rounds{' (PROFILED: runner rates distorted)' if args.profile else ''}")
    print(load_line(machine))
    for variant in VARIANTS:
        row = result[variant]
        print(f"  {variant:<10} {row['emails_per_s']:>7,.0f} emails/s  {row['cpu_us_per_email']:>6.0f} CPU-us/email  (medians)")
    print(f"  ratio runner/bare: {result['ratio_median_paired']:.2f} (median of per-round ratios; "
          f"{result['ratio_min']:.2f}-{result['ratio_max']:.2f}), ratio of medians {result['ratio_of_medians']:.2f}; "
          f"goal >= {TARGET_RATIO}: {result['verdict']}")
    print(f"figures written to {write_json('backfill', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
