"""Throughput of Gmail ``format=full`` normalization (``connectors.google.normalize``).

N deterministic Gmail messages, each multipart/alternative (~3 KB text/plain and ~3 KB
text/html, base64url, like Gmail's ``body.data``) with a PDF attachment (metadata only) and a
dozen headers, are normalized to canonical ``Email`` records, single process and thread.
Payloads are built before timing; one untimed warm-up pass checks every record; then
``--rounds`` timed passes with the garbage collector off. "Per core" is messages per second of
the process's CPU time (``time.process_time``), which other work on a shared machine does not
dilute the way it dilutes wall-clock time (reported beside it). The median is compared with the
goal of 5,000 messages/s per core.

Run: ``.venv/bin/python bench/gmail_normalize_bench.py [--messages 5000] [--rounds 5]``.
Figures go to stdout and to ``bench/results/gmail_normalize.json``. No stack needed.
"""

from __future__ import annotations

import argparse
import base64
import gc
import os
import random
import statistics
import time
from typing import Any

from harness.report import machine_info, write_json

from connectors.google.normalize import normalize
from schemas.models import Email

GOAL_PER_S = 5_000
BODY_CHARS = 3_000
SEED = 20261102
_WORDS = ("meeting agenda invoice shipment tracking quarterly report budget review draft please "
          "thanks regards schedule customer contract renewal déjà größer café naïve").split()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _text(rng: random.Random) -> str:
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < BODY_CHARS:
        words.append(rng.choice(_WORDS))
    return " ".join(words)


def _part(part_id: str, mime_type: str, content: str) -> dict[str, Any]:
    data = content.encode()
    return {
        "partId": part_id, "mimeType": mime_type, "filename": "",
        "headers": [{"name": "Content-Type", "value": f"{mime_type}; charset=\"UTF-8\""},
                    {"name": "Content-Transfer-Encoding", "value": "quoted-printable"}],
        "body": {"size": len(data), "data": _b64url(data)},
    }


def gmail_message(n: int, rng: random.Random) -> dict[str, Any]:
    """One message shaped like Gmail's users.messages.get(format=full)."""
    text = _text(rng)
    headers = {
        "Delivered-To": "ada@contoso.example", "MIME-Version": "1.0",
        "From": f"Sender {n} <sender{n}@fabrikam.example>",
        "To": "Ada Lovelace <ada@contoso.example>, grace@contoso.example",
        "Cc": "\"Turing, Alan\" <alan@contoso.example>",
        "Subject": f"Quarterly report #{n}", "Date": "Mon, 2 Nov 2026 10:00:00 +0100",
        "Message-ID": f"<msg-{n}@fabrikam.example>", "In-Reply-To": f"<msg-{n - 1}@fabrikam.example>",
        "References": f"<msg-{n - 2}@fabrikam.example> <msg-{n - 1}@fabrikam.example>",
        "Content-Type": "multipart/mixed; boundary=\"b1\"",
    }
    return {
        "id": f"{n:016x}", "threadId": f"{n // 3:016x}", "labelIds": ["INBOX", "UNREAD", "CATEGORY_UPDATES"],
        "snippet": text[:120], "historyId": str(100_000 + n), "internalDate": str(1_793_610_000_000 + n * 1000),
        "sizeEstimate": 9000,
        "payload": {
            "partId": "", "mimeType": "multipart/mixed", "filename": "",
            "headers": [{"name": k, "value": v} for k, v in headers.items()], "body": {"size": 0},
            "parts": [
                {"partId": "0", "mimeType": "multipart/alternative", "filename": "",
                 "headers": [{"name": "Content-Type", "value": "multipart/alternative; boundary=\"b2\""}],
                 "body": {"size": 0},
                 "parts": [_part("0.0", "text/plain", text), _part("0.1", "text/html", f"<div><p>{text}</p></div>")]},
                {"partId": "1", "mimeType": "application/pdf", "filename": "report.pdf",
                 "headers": [{"name": "Content-Type", "value": "application/pdf; name=\"report.pdf\""},
                             {"name": "Content-Disposition", "value": "attachment; filename=\"report.pdf\""}],
                 "body": {"attachmentId": f"ANGjdJ{n:08d}", "size": 48213}},
            ],
        },
    }


def _timed_pass(messages: list[dict[str, Any]]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one pass."""
    gc.collect()
    gc.disable()
    try:
        cpu, wall = time.process_time(), time.perf_counter()
        for message in messages:
            normalize("email", message)
        return time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    machine = machine_info()
    rng = random.Random(SEED)
    messages = [gmail_message(n, rng) for n in range(args.messages)]
    for message in messages:  # warm-up, and a check that the figures are of real work
        email = normalize("email", message)
        assert isinstance(email, Email) and email.body_text and email.body_html and len(email.attachments) == 1
    passes = [_timed_pass(messages) for _ in range(args.rounds)]
    rates = [args.messages / cpu for cpu, _ in passes]
    wall_rates = [args.messages / wall for _, wall in passes]
    median = statistics.median(rates)
    print(f"gmail full-format normalize: {median:,.0f} messages/s per core (CPU time; min {min(rates):,.0f}, "
          f"max {max(rates):,.0f}); wall clock {statistics.median(wall_rates):,.0f}/s; "
          f"{args.messages} messages x {args.rounds} rounds; load average {os.getloadavg()[0]:.2f}")
    print(f"goal {GOAL_PER_S:,}/s: ratio {median / GOAL_PER_S:.2f} -> {'PASS' if median >= GOAL_PER_S else 'FAIL'}")
    _write_results(args, machine, rates, wall_rates, median)


def _write_results(args: argparse.Namespace, machine: dict[str, Any], rates: list[float], wall_rates: list[float], median: float) -> None:
    path = write_json("gmail_normalize", {
        "parameters": {"messages": args.messages, "rounds": args.rounds, "body_chars": BODY_CHARS, "seed": SEED,
                       "timer": "time.process_time (per core); time.perf_counter (wall)",
                       "gc": "collected before each round, disabled during it"},
        "machine": machine,
        "messages_per_s": {"median": round(median), "min": round(min(rates)), "max": round(max(rates)),
                           "rounds": [round(rate) for rate in rates]},
        "wall_messages_per_s": {"median": round(statistics.median(wall_rates)), "rounds": [round(r) for r in wall_rates]},
        "goal_per_s": GOAL_PER_S,
        "ratio_to_goal": round(median / GOAL_PER_S, 3),
        "passed": median >= GOAL_PER_S,
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
