"""Throughput of the project's Avro serde against plain fastavro, in one run.

Three variants round-trip the same N ``Email`` records (encode a batch of 100, then decode it),
single process, single thread, so records/s is per core:

1. ``fastavro`` (the ceiling): ``schemaless_writer`` / ``schemaless_reader`` on the parsed
   project schema, writer schema == reader schema, no wire-format header.
2. ``serde datum``: ``AvroEventSerde.encode_datum`` / ``decode_datum`` (Confluent wire format,
   schema id cached after a warm-up, writer schema resolved to the project's reader schema).
3. ``serde models``: ``AvroEventSerde.encode(topic, email)`` and ``Email.from_avro(decode_datum(..).datum)``,
   i.e. (2) plus ``model_dump`` and pydantic validation.

Datums and models are built before timing. Every variant runs once untimed (warm-up, and a check
that every record round-trips exactly), then ``--rounds`` timed rounds: each round is one pass
over all records in which the variants take turns batch by batch (order rotating), with the
garbage collector off. Medians per variant and the ratio of medians are reported, plus the ratio
within each round (paired, so steadier when other work shares the machine).
The goal from the issue: (2) reaches >= 0.7 of the ceiling once the schema is cached.

Run: ``.venv/bin/python bench/serde_bench.py [--records 5000] [--rounds 5] [--registry-url URL]``
with the local stack up (``officestream stack up``). Figures go to stdout and to
``bench/results/serde.json``. Each run registers its Email schema under a fresh subject
``bench-<uuid>-io.officestream.Email`` and deletes that subject at the end.
"""

from __future__ import annotations

import argparse
import gc
import io
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import fastavro
from confluent_kafka.schema_registry import SchemaRegistryClient

from harness.report import machine_info, write_json

from schemas.avsc import project_schema
from schemas.envsettings import SettingsError
from schemas.exceptions import RegistryError, RegistryUnavailable
from schemas.models import Address, Attachment, Email, Provider
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde
from schemas.subjects import subject_name

RECORD = Email.avro_name  # io.officestream.Email
BATCH_SIZE = 100
SEED = 20240601
BODY_TEXT_CHARS = 3000  # ~3 KB of body_text ...
BODY_HTML_CHARS = 3000  # ... and ~3 KB of body_html per record
TARGET_RATIO = 0.7
GOAL_VARIANT = "serde_datum"

# -- records -------------------------------------------------------------------------------

_FIRST = ["Alice", "Bob", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Inès", "Jonas",
          "Kavya", "Liam", "María", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tomás"]
_LAST = ["Martin", "Schmidt", "Nguyen", "Okafor", "Rossi", "Müller", "Kowalski", "Tanaka",
         "García", "Johansson", "Dubois", "Patel", "O'Brien", "Silva", "Novak", "Larsen"]
_DOMAINS = ["contoso.com", "fabrikam.eu", "example.org", "northwind.io", "gmail.com", "outlook.com"]
_LABELS = ["INBOX", "IMPORTANT", "CATEGORY_UPDATES", "CATEGORY_PERSONAL", "Finance", "Travel",
           "Project/Atlas", "Follow up", "STARRED", "Receipts"]
_WORDS = ("the quarterly report budget meeting please review attached draft before friday team "
          "customer contract renewal timeline thanks regards update schedule invoice payment "
          "deadline agenda notes action items follow-up proposal feedback approval migration "
          "server outage incident postmortem roadmap hiring onboarding travel expenses déjà "
          "naïve café résumé 2024 Q3 KPI revenue forecast sign-off launch release candidate").split()
_FILES = [("report.pdf", "application/pdf"), ("photo.jpg", "image/jpeg"), ("notes.docx",
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          ("budget.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
          ("invite.ics", "text/calendar"), ("logo.png", "image/png")]
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _address(rng: random.Random) -> Address:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = f"{first}.{last}".lower().replace("'", "")
    return Address(email=f"{local}@{rng.choice(_DOMAINS)}", name=f"{first} {last}")


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 18))
    return " ".join(words).capitalize() + rng.choice(".!?.")


def _paragraphs(rng: random.Random, chars: int, render: Callable[[list[str]], str]) -> str:
    """Paragraphs of sentences, rendered, grown until the rendering has ``chars`` characters."""
    paragraphs: list[str] = []
    while len(render(paragraphs)) < chars:
        paragraphs.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))))
    return render(paragraphs)


def _as_text(paragraphs: list[str]) -> str:
    return "Hi,\n\n" + "\n\n".join(paragraphs) + "\n\nBest regards"


def _as_html(paragraphs: list[str]) -> str:
    body = "".join(f'<p style="margin:0 0 12px 0">{p}</p>' for p in paragraphs)
    return f'<html><head><meta charset="utf-8"></head><body><div dir="ltr">{body}</div></body></html>'


def _attachment(rng: random.Random, index: int) -> Attachment:
    filename, content_type = rng.choice(_FILES)
    inline = content_type.startswith("image/") and rng.random() < 0.5
    return Attachment(
        attachment_id=f"att-{index}-{rng.getrandbits(64):016x}",
        filename=filename,
        content_type=content_type,
        size_bytes=rng.randint(2_000, 5_000_000),
        is_inline=inline,
        content_id=f"img{index}@{rng.getrandbits(32):08x}" if inline else None,
    )


def make_email(rng: random.Random, index: int) -> Email:
    """One realistic email: addresses, subject, ~3 KB text + ~3 KB HTML body, 2 attachments."""
    provider = rng.choice([Provider.microsoft, Provider.google])
    sender = _address(rng)
    sent_at = _EPOCH + timedelta(seconds=rng.randint(0, 180 * 86400), milliseconds=rng.randint(0, 999))
    body_text = _paragraphs(rng, BODY_TEXT_CHARS, _as_text)
    message_id = f"<{rng.getrandbits(96):024x}@{sender.email.split('@')[1]}>"
    is_reply = rng.random() < 0.4
    references = [f"<{rng.getrandbits(96):024x}@mail.example>" for _ in range(rng.randint(1, 3))] if is_reply else []
    return Email(
        id=f"AAMkAD{rng.getrandbits(512):0128x}" if provider is Provider.microsoft else f"{rng.getrandbits(64):016x}",
        provider=provider,
        thread_id=f"{rng.getrandbits(64):016x}",
        folder=rng.choice(["inbox", "sentitems", "archive"]),
        labels=rng.sample(_LABELS, rng.randint(1, 4)),
        from_address=sender,
        reply_to=[sender] if rng.random() < 0.2 else [],
        to=[_address(rng) for _ in range(rng.randint(1, 4))],
        cc=[_address(rng) for _ in range(rng.randint(0, 3))],
        subject=("Re: " if is_reply else "") + _sentence(rng)[:70],
        sent_at=sent_at,
        received_at=sent_at + timedelta(seconds=rng.randint(1, 90), milliseconds=rng.randint(0, 999)),
        snippet=body_text[4:144],
        body_text=body_text,
        body_html=_paragraphs(rng, BODY_HTML_CHARS, _as_html),
        attachments=[_attachment(rng, i) for i in range(2)],
        is_read=rng.random() < 0.7,
        internet_message_id=message_id,
        in_reply_to=references[-1] if references else None,
        references=references,
        version_marker=f"{rng.getrandbits(40)}",
    )


def make_emails(count: int, seed: int = SEED) -> list[Email]:
    rng = random.Random(seed)
    return [make_email(rng, i) for i in range(count)]


def batched(items: Sequence[Any], size: int = BATCH_SIZE) -> list[Sequence[Any]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


# -- variants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One way to round-trip a record: ``encode(item) -> bytes``, ``decode(bytes) -> item``."""

    key: str
    label: str
    items: list[Any]
    encode: Callable[[Any], bytes]
    decode: Callable[[bytes], Any]


def fastavro_variant(datums: list[dict[str, Any]]) -> Variant:
    parsed = fastavro.parse_schema(project_schema(RECORD))

    def encode(datum: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, datum)
        return buffer.getvalue()

    def decode(payload: bytes) -> dict[str, Any]:
        return fastavro.schemaless_reader(io.BytesIO(payload), parsed, parsed)

    return Variant("fastavro", "(2) plain fastavro (ceiling)", datums, encode, decode)


def serde_datum_variant(serde: AvroEventSerde, topic: str, datums: list[dict[str, Any]]) -> Variant:
    def decode(payload: bytes) -> dict[str, Any]:
        return serde.decode_datum(payload).datum

    return Variant(GOAL_VARIANT, "(3) serde encode_datum/decode_datum", datums,
                   partial(serde.encode_datum, topic, RECORD), decode)


def serde_model_variant(serde: AvroEventSerde, topic: str, emails: list[Email]) -> Variant:
    def decode(payload: bytes) -> Email:
        return Email.from_avro(serde.decode_datum(payload).datum)

    return Variant("serde_models", "(4) serde with pydantic models", emails, partial(serde.encode, topic), decode)


# -- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    encode_s: float
    decode_s: float

    @property
    def total_s(self) -> float:
        return self.encode_s + self.decode_s


def check_round_trip(variant: Variant) -> list[int]:
    """Untimed pass: every item must come back equal. Returns the encoded size of each record."""
    sizes = []
    for item in variant.items:
        payload = variant.encode(item)
        if variant.decode(payload) != item:
            raise SystemExit(f"serde_bench: {variant.key}: a record did not round-trip unchanged")
        sizes.append(len(payload))
    return sizes


def time_batch(variant: Variant, batch: Sequence[Any]) -> Timing:
    """Encode a batch, then decode it; encode and decode timed apart."""
    encode, decode = variant.encode, variant.decode
    started = time.perf_counter()
    payloads = [encode(item) for item in batch]
    encoded = time.perf_counter()
    for payload in payloads:
        decode(payload)
    return Timing(encoded - started, time.perf_counter() - encoded)


def time_round(variants: list[Variant]) -> dict[str, Timing]:
    """One pass over every record. Variants take turns batch by batch (the order rotating), so a
    slow spell of the machine hits them all alike; the garbage collector is off meanwhile."""
    batches = {v.key: batched(v.items) for v in variants}
    encode_s = dict.fromkeys(batches, 0.0)
    decode_s = dict.fromkeys(batches, 0.0)
    gc.collect()
    gc.disable()
    try:
        for index in range(len(batches[variants[0].key])):
            shift = index % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                timing = time_batch(variant, batches[variant.key][index])
                encode_s[variant.key] += timing.encode_s
                decode_s[variant.key] += timing.decode_s
    finally:
        gc.enable()
    return {key: Timing(encode_s[key], decode_s[key]) for key in batches}


def run_rounds(variants: list[Variant], rounds: int) -> dict[str, list[Timing]]:
    """``rounds`` timed rounds; returns each variant's timing per round."""
    timings: dict[str, list[Timing]] = {v.key: [] for v in variants}
    count = len(variants[0].items)
    for number in range(rounds):
        for key, timing in time_round(variants).items():
            timings[key].append(timing)
        print(f"  round {number + 1}/{rounds}: " + ", ".join(
            f"{key} {count / ts[-1].total_s:,.0f} rec/s" for key, ts in timings.items()
        ), flush=True)
    return timings


# -- the registry --------------------------------------------------------------------------


def registry_settings(registry_url: str | None) -> RegistrySettings:
    """``RegistrySettings.from_env()``, with ``--registry-url`` winning over the environment."""
    try:
        return RegistrySettings.from_env(**({"url": registry_url} if registry_url else {}))
    except SettingsError as exc:
        raise SystemExit(f"serde_bench: bad registry settings: {exc}") from None


def connect(client: SchemaRegistryClient, url: str, topic: str) -> AvroEventSerde:
    """A serde with the Email schema registered and cached for ``topic``; exits if unreachable."""
    serde = AvroEventSerde(client, auto_register=True)
    try:
        serde.decode_datum(serde.encode(topic, Email(id="warm-up")))  # one register + one get_schema
    except RegistryUnavailable:
        raise SystemExit(f"serde_bench: schema registry unreachable at {url}; run `officestream stack up` first") from None
    except RegistryError as exc:
        raise SystemExit(f"serde_bench: schema registry at {url} refused the Email schema: {exc}") from None
    return serde


def delete_subject(client: SchemaRegistryClient, topic: str) -> None:
    """Best effort: remove the run's throwaway subject (soft, then permanent)."""
    subject = subject_name(topic, RECORD)
    try:
        client.delete_subject(subject)
        client.delete_subject(subject, permanent=True)
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the results
        print(f"note: could not delete subject {subject}: {type(exc).__name__}: {exc}", file=sys.stderr)


# -- reporting -----------------------------------------------------------------------------


def summarize(variant: Variant, timings: list[Timing], sizes: list[int]) -> dict[str, Any]:
    count = len(variant.items)
    totals = [t.total_s for t in timings]
    return {
        "label": variant.label,
        "median_roundtrip_rps": count / statistics.median(totals),
        "median_encode_rps": count / statistics.median(t.encode_s for t in timings),
        "median_decode_rps": count / statistics.median(t.decode_s for t in timings),
        "min_roundtrip_rps": count / max(totals),
        "max_roundtrip_rps": count / min(totals),
        "median_roundtrip_us_per_record": statistics.median(totals) / count * 1e6,
        "encoded_bytes_per_record": {"mean": statistics.fmean(sizes), "min": min(sizes), "max": max(sizes)},
        "rounds": [{"encode_s": t.encode_s, "decode_s": t.decode_s, "total_s": t.total_s} for t in timings],
    }


def record_stats(emails: list[Email]) -> dict[str, Any]:
    def mean_bytes(field: str) -> float:
        return statistics.fmean(len((getattr(e, field) or "").encode()) for e in emails)

    return {
        "model": RECORD,
        "body": "body_text ~3 KB + body_html ~3 KB (both fields set)",
        "mean_body_text_bytes": mean_bytes("body_text"),
        "mean_body_html_bytes": mean_bytes("body_html"),
        "attachments_per_record": 2,
        "mean_recipients": statistics.fmean(len(e.to) + len(e.cc) for e in emails),
    }


def serde_machine() -> dict[str, Any]:
    return machine_info() | {"fastavro_compiled": fastavro.schemaless_reader.__module__ == "fastavro._read"}


def print_table(report: dict[str, Any]) -> None:
    params, recs, machine = report["parameters"], report["records"], report["machine"]
    print()
    print(f"officestream Avro serde benchmark: {params['records']} Email records in batches of "
          f"{params['batch_size']}, {params['rounds']} rounds (median), 1 process, 1 thread")
    print(f"records: body_text {recs['mean_body_text_bytes']:,.0f} B + body_html "
          f"{recs['mean_body_html_bytes']:,.0f} B (mean), {recs['attachments_per_record']} attachments, "
          f"{recs['mean_recipients']:.1f} to+cc")
    print(f"python {machine['python']}, fastavro {machine['fastavro']}"
          f"{' (compiled)' if machine['fastavro_compiled'] else ' (pure Python)'}, pydantic {machine['pydantic']}, "
          f"{machine['cpu_count']} CPUs, load average at start "
          f"{' '.join(f'{load:.2f}' for load in machine['load_average_at_start'] or [])}")
    print()
    header = (f"{'variant':<38} {'round trip rec/s':>16} {'min-max rec/s':>17} {'encode rec/s':>13} "
              f"{'decode rec/s':>13} {'us/rec':>7} {'bytes/rec':>9} {'vs (2)':>7}")
    print(header)
    print("-" * len(header))
    for key, row in report["variants"].items():
        spread = f"{row['min_roundtrip_rps']:,.0f}-{row['max_roundtrip_rps']:,.0f}"
        print(f"{row['label']:<38} {row['median_roundtrip_rps']:>16,.0f} {spread:>17} "
              f"{row['median_encode_rps']:>13,.0f} {row['median_decode_rps']:>13,.0f} "
              f"{row['median_roundtrip_us_per_record']:>7.1f} {row['encoded_bytes_per_record']['mean']:>9,.0f} "
              f"{row['vs_ceiling']['roundtrip']:>7.2f}")
    goal, rows = report["goal"], report["variants"]
    print()
    print(f"goal: (3)/(2) = {goal['ratio_of_medians']:.2f} (ratio of medians; target >= {goal['target']:.2f} "
          f"once the schema is cached): {goal['result']}")
    print(f"(4)/(2) = {rows['serde_models']['vs_ceiling']['roundtrip']:.2f} (reported only: adds model_dump + "
          f"pydantic validation)")
    for key in (GOAL_VARIANT, "serde_models"):
        ratios, label = rows[key]["vs_ceiling"], rows[key]["label"][:3]
        rounds = ratios["roundtrip_per_round"]
        print(f"{label}/(2) paired by round: median {ratios['roundtrip_paired_median']:.2f}, "
              f"range {min(rounds):.2f}-{max(rounds):.2f}; by phase (ratio of medians): "
              f"encode {ratios['encode']:.2f}, decode {ratios['decode']:.2f}")
    print("bytes/rec: (2) is the bare Avro body; (3) and (4) add the 5-byte wire-format header")


def build_report(parameters: dict[str, Any], machine: dict[str, Any], emails: list[Email],
                 variants: list[Variant], timings: dict[str, list[Timing]],
                 sizes: dict[str, list[int]]) -> dict[str, Any]:
    rows = {v.key: summarize(v, timings[v.key], sizes[v.key]) for v in variants}
    ceiling = rows["fastavro"]
    for row in rows.values():
        row["vs_ceiling"] = {part: row[f"median_{part}_rps"] / ceiling[f"median_{part}_rps"]
                             for part in ("roundtrip", "encode", "decode")}
    ratio = rows[GOAL_VARIANT]["vs_ceiling"]["roundtrip"]
    for key, row in rows.items():
        paired = [c.total_s / v.total_s for c, v in zip(timings["fastavro"], timings[key], strict=True)]
        row["vs_ceiling"]["roundtrip_per_round"] = paired
        row["vs_ceiling"]["roundtrip_paired_median"] = statistics.median(paired)
    return {
        "benchmark": "serde",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": parameters,
        "machine": machine,
        "records": record_stats(emails),
        "variants": rows,
        "goal": {"variant": GOAL_VARIANT, "ratio_of_medians": ratio, "target": TARGET_RATIO,
                 "paired_median": rows[GOAL_VARIANT]["vs_ceiling"]["roundtrip_paired_median"],
                 "result": "PASS" if ratio >= TARGET_RATIO else "FAIL"},
    }


# -- main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000, help="Email records per pass (default 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per variant (default 5)")
    parser.add_argument("--registry-url", default=None,
                        help="Confluent-compatible registry URL (default: RegistrySettings.from_env(), "
                             "i.e. OFFICESTREAM_REGISTRY_URL or the local stack)")
    args = parser.parse_args(argv)
    if args.records < 1 or args.rounds < 1:
        parser.error("--records and --rounds must be at least 1")
    return args


def run_parameters(args: argparse.Namespace, registry_url: str, topic: str) -> dict[str, Any]:
    return {"records": args.records, "rounds": args.rounds, "batch_size": BATCH_SIZE, "seed": SEED,
            "registry_url": registry_url, "topic": topic, "timer": "time.perf_counter",
            "statistic": "median of rounds; vs_ceiling: ratios of medians, plus per-round (paired) ratios",
            "gc": "collected before each round, disabled during it (as timeit does)"}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    machine = serde_machine()
    settings = registry_settings(args.registry_url)
    topic = f"bench-{uuid.uuid4().hex[:12]}"
    client = registry_client(settings)
    serde = connect(client, settings.url, topic)
    try:
        print(f"building {args.records} Email records (seed {SEED}) ...", flush=True)
        emails = make_emails(args.records)
        datums = [email.to_avro() for email in emails]
        variants = [fastavro_variant(datums), serde_datum_variant(serde, topic, datums),
                    serde_model_variant(serde, topic, emails)]
        print("warm-up: checking that every record round-trips in every variant ...", flush=True)
        sizes = {v.key: check_round_trip(v) for v in variants}
        print(f"timing {args.rounds} rounds ...", flush=True)
        timings = run_rounds(variants, args.rounds)
    finally:
        delete_subject(client, topic)
    report = build_report(run_parameters(args, settings.url, topic), machine, emails, variants, timings, sizes)
    print_table(report)
    print(f"figures written to {write_json('serde', report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
