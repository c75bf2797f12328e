"""1% poison mixed into steady traffic on ``email-updates``, read by two workers (shipments and
the vespa-loader, in file mode): malformed bytes, an unknown schema id, a valid Avro record that
breaks its model (a delete that carries the e-mail), and a valid event keyed by another user.
Each worker dead-letters every poison message, once, with its reason (error class and source
topic); every good message's effect is in each sink exactly once; no poison message has an
effect; neither worker stops."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from connectors.vespa.operations import DocumentId
from processors.common.dead_letters import reason_headers
from schemas.models import ChangeType
from schemas.serde import AvroEventSerde
from tests.e2e.worker_faults import high_watermark
from tests.faults import shipment_traffic as traffic
from tests.kafka_helpers import committed_offsets, committed_total, prepared, read_all
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

pytestmark = [pytest.mark.integration, pytest.mark.faults]

PARCELS = 400
#: One poison message per this many good ones: 1%.
POISON_EVERY = 100


def poison_messages(serde: AvroEventSerde, topic: str, n: int) -> list[tuple[traffic.Record, str]]:
    """Four kinds of poison, each with unique bytes (told apart in the dead-letter topics) and the
    error class it must be dead-lettered with. The two valid-Avro ones tell of parcels of their
    own, which must leave no trace in any sink."""
    [bad_parcel, miskeyed_parcel] = traffic.parcels(2, users=2, tag=f"poison-{n}")
    key, shipped, _ = traffic.parcel_messages(serde, topic, bad_parcel, 0)
    datum = serde.decode(shipped).to_avro()
    datum["change_type"] = ChangeType.deleted.value  # fits Avro, breaks the model: a delete with a body
    _, miskeyed, _ = traffic.parcel_messages(serde, topic, miskeyed_parcel, 0)
    return [
        ((b"p-user-0", b'{"not": "avro", "n": %d}' % n, []), "BadMagicByte"),
        ((b"p-user-1", b"\x00\x7f\xff\xff" + bytes([n % 200]) + b"\x02\x04" + str(n).encode(), []), "UnknownSchemaId"),
        ((key, serde.encode_datum(topic, "io.officestream.EmailUpdateEvent", datum), []), "InvalidEvent"),
        ((b"p-user-2", miskeyed, []), "PoisonMessage"),
    ]


def mixed(good: list[traffic.Record], poison: list[tuple[traffic.Record, str]]) -> list[traffic.Record]:
    """The good records with one poison record after every ``POISON_EVERY``."""
    records, pending = [], [record for record, _ in poison]
    for i, record in enumerate(good, 1):
        records.append(record)
        if i % POISON_EVERY == 0 and pending:
            records.append(pending.pop(0))
    return records + pending


def feed_puts(feed_file) -> Counter[str]:
    lines = feed_file.read_text().split("\n")[:-1] if feed_file.exists() else []
    return Counter(json.loads(line)["put"] for line in lines if "put" in json.loads(line))


def count_feed(feed_file, expected: list[traffic.Parcel]) -> traffic.SinkCount:
    """Documents put in the Vespa feed: every e-mail once."""
    puts = feed_puts(feed_file)
    wanted = [str(DocumentId(namespace="officestream", doctype="email", group=p.user, local_id=email_id))
              for p in expected for email_id in p.email_ids]
    count = traffic.SinkCount("vespa feed", len(wanted), sum(puts.values()), lost=[w for w in wanted if not puts[w]],
                              duplicates=[doc for doc, n in puts.items() if n > 1])
    print(count.line())
    return count


def test_poison_messages_are_dead_lettered_and_every_good_message_applied_once(stack, serde, registry, topic_prefix,
                                                                              tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic = kafka.topic("email-updates")
    expected = traffic.parcels(PARCELS)
    good = [r for wave in traffic.waves(serde, topic, expected, redeliver_every=25) for r in wave]
    poison = [p for n in range(2) for p in poison_messages(serde, topic, n)]
    records = mixed(good, poison)
    assert len(poison) * POISON_EVERY <= len(records) < (len(poison) + 1) * POISON_EVERY  # 1%
    feed_file = tmp_path / "feed.jsonl"
    workers = {
        "shipments": FaustWorker("shipments", worker_env(stack, topic_prefix, tmp_path / "shipments"),
                                 tmp_path / "shipments.log"),
        "vespa-loader": FaustWorker("vespa_loader", worker_env(stack, topic_prefix, tmp_path / "vespa",
                                                               OFFICESTREAM_VESPA_FEED_FILE=str(feed_file)),
                                    tmp_path / "vespa-loader.log"),
    }
    try:
        for worker in workers.values():
            worker.start()
        traffic.SteadyProducer(kafka, topic, records, batch=25, pause_s=0.05).start().join()
        total = high_watermark(kafka, topic)
        for service, worker in workers.items():
            group = kafka.group(service)
            try:
                wait_for(lambda: committed_total(kafka, group, topic) >= total, timeout_s=180,
                         what=f"{service}: all {total} messages committed")
            except AssertionError as exc:
                exc.add_note(f"{committed_offsets(kafka, group, topic)}\n{worker.log_tail(40)}")
                raise
        assert all(w.process.poll() is None for w in workers.values()), "a worker stopped"
    finally:
        for worker in workers.values():
            worker.stop()

    wanted = Counter((record[1], error_class) for record, error_class in poison)
    for service in workers:
        letters = Counter((m.value(), reason_headers(m.headers()).get("error.class")) for m in
                          read_all(kafka, kafka.topic(f"{service}-dlq")))
        assert all(reason_headers(m.headers())["source.topic"] == topic and reason_headers(m.headers())["error.message"]
                   for m in read_all(kafka, kafka.topic(f"{service}-dlq")))
        lost, extra = wanted - letters, letters - wanted
        print(f"{service}-dlq: sent {len(poison)} / received {sum(letters.values())} / lost {sum(lost.values())} / "
              f"duplicate {sum(extra.values())}")
        assert not lost and not extra, (service, [(v[:40], c) for v, c in lost], [(v[:40], c) for v, c in extra])

    counts = [*traffic.count_shipments(kafka, registry, expected), count_feed(feed_file, expected)]
    assert all(not c.lost and not c.duplicates for c in counts), [(c.sink, c.lost[:3], c.duplicates[:3]) for c in counts]
    assert all(c.received == c.sent for c in counts), "an effect of a poison message reached a sink"
