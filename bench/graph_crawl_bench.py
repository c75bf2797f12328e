"""Graph delta crawl throughput: a 20,000-message emulated mailbox crawled through the connector.

    .venv/bin/python bench/graph_crawl_bench.py                       # 20,000 messages, pages of 100
    .venv/bin/python bench/graph_crawl_bench.py --messages 5000 --page-size 250

The emulator (Microsoft face, over TLS as msal requires) runs in a child process (``harness/emulator.py``) so the
provider's rendering does not share the connector's event loop; generating its world is timed
apart and not part of the crawl. The crawl is what the backfill runs: the mail folder tree
(``mailFolders/delta``), then a message delta round per folder, all folders concurrently under
the per-mailbox limit of 4, every page normalized into canonical ``Email`` records, through the
real msal (app-only token) and httpx. Reports messages/s and the HTTP requests it took, prints
them and writes ``bench/results/graph_crawl.json``. Bounded: the emulator must be up within
``--ready-timeout-s`` (170 s) and the crawl done within ``--timeout-s`` (120 s). The first run on
a machine generates the world (about two minutes here: the stdlib email package is slow) and
caches it in the temp dir; later runs load it in a second.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.emulator import running_emulator
from harness.report import machine_info, write_json

from connectors.microsoft import delta
from connectors.microsoft.auth import AppCredentials
from connectors.microsoft.graph_client import GraphClient
from connectors.microsoft.settings import MicrosoftSettings
from schemas.models import Email

ROOT = Path(__file__).resolve().parent.parent


# -- the crawl --------------------------------------------------------------------------------

async def crawl_folder(client: GraphClient, user: str, folder_id: str, names: dict[str, str]) -> tuple[int, int]:
    messages = pages = 0
    async for page in delta.delta_round(client, user, delta.messages_in_folder(user, folder_id)):
        records = page.normalized(folder_names=names)
        messages += sum(isinstance(record, Email) for record in records)
        pages += 1
    return messages, pages


async def crawl(settings: MicrosoftSettings, user: str) -> dict[str, Any]:
    async with GraphClient(settings, AppCredentials(settings)) as client:
        await client.get_json(user, f"users/{user}/mailFolders")  # token and connections, untimed
        warmup_requests = client.requests_sent
        started, cpu_started = time.perf_counter(), time.process_time()
        folders, _, _ = await delta.read_round(client, user, delta.mail_folders(user))
        names = delta.folder_names(folders)
        results = await asyncio.gather(*(crawl_folder(client, user, str(f["id"]), names) for f in folders))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        messages = sum(count for count, _ in results)
        return {
            "messages": messages, "seconds": round(elapsed, 3), "messages_per_s": round(messages / elapsed, 1),
            "http_requests": client.requests_sent - warmup_requests, "message_pages": sum(p for _, p in results),
            "folders": len(folders),
            # The connector's own CPU (msal, httpx, JSON, normalization); the rest of the wall
            # time is the emulator rendering pages in its process.
            "connector_cpu_s": round(cpu, 3), "messages_per_connector_cpu_s": round(messages / cpu, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100, help="Prefer: odata.maxpagesize")
    parser.add_argument("--ready-timeout-s", type=float, default=170.0, help="world generation and start-up")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="the crawl")
    args = parser.parse_args()
    machine = machine_info("httpx", "msal", "aiohttp")
    with running_emulator(messages=args.messages, faces=("microsoft",), ready_timeout_s=args.ready_timeout_s) as ready:
        settings = ready.microsoft_settings(max_page_size=args.page_size)
        figures = asyncio.run(asyncio.wait_for(crawl(settings, ready.user), timeout=args.timeout_s))
    report = {
        "benchmark": "graph_crawl", "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"messages": args.messages, "page_size": args.page_size, "users": 1,
                       "mailbox_concurrency": settings.mailbox_concurrency,
                       "emulator": "separate process, TLS, Microsoft face", "world_generation_s": ready.world_generation_s,
                       "world_cached": ready.world_cached},
        "results": figures, "machine": machine,
    }
    path = write_json("graph_crawl", report)
    print(f"graph delta crawl: {figures['messages']} messages in {figures['seconds']} s = {figures['messages_per_s']} messages/s, "
          f"{figures['http_requests']} HTTP requests ({figures['message_pages']} message pages of <= {args.page_size}, "
          f"{figures['folders']} folders); connector CPU {figures['connector_cpu_s']} s "
          f"({figures['messages_per_connector_cpu_s']} messages per CPU-second); world {'loaded' if ready.world_cached else 'generated'} "
          f"in {ready.world_generation_s} s (untimed)")
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
