"""Kafka static membership (``OFFICESTREAM_PROCESSOR_GROUP_INSTANCE_ID``): a worker killed with
SIGKILL and restarted under the same name gets its partitions back at once, where a restarted
worker without one waits for the dead member's session to expire (60 s by default)."""

from __future__ import annotations

import json
import time

from schemas.models import EmailBackfillEvent
from tests import factories
from tests.kafka_helpers import prepared, produce
from tests.waiting import wait_for
from tests.workers import FaustWorker, worker_env

USERS = [f"static-user-{n}" for n in range(12)]  # every one of the six partitions gets some
SESSION_TIMEOUT_S = 60.0  # the default, stated: the test is about not waiting for it


def test_a_worker_killed_and_restarted_under_its_name_resumes_before_its_session_expires(stack, serde, topic_prefix, tmp_path):
    kafka = prepared(stack, topic_prefix)
    topic = kafka.topic("email-backfill")
    feed_file = tmp_path / "feed.jsonl"
    env = worker_env(stack, topic_prefix, tmp_path / "data", OFFICESTREAM_VESPA_FEED_FILE=str(feed_file),
                     OFFICESTREAM_PROCESSOR_GROUP_INSTANCE_ID="vespa-loader-0",
                     OFFICESTREAM_PROCESSOR_SESSION_TIMEOUT_S=str(SESSION_TIMEOUT_S))

    def part(round_: int):
        return [(user.encode(), serde.encode(topic, EmailBackfillEvent(
            metadata=factories.metadata("EmailBackfillEvent", user_id=user), job_id="job", batch_index=round_,
            emails=[factories.email(f"{user}-r{round_}")],
        )), []) for user in USERS]

    def fed() -> int:
        complete = feed_file.read_text().split("\n")[:-1] if feed_file.exists() else []
        return len([json.loads(line)["put"] for line in complete])

    first = FaustWorker("vespa_loader", env, tmp_path / "before-kill.log").start()
    try:
        produce(kafka, topic, part(0))
        wait_for(lambda: fed() >= len(USERS), timeout_s=90, what="the first part fed")
    finally:
        first.kill()
    produce(kafka, topic, part(1))  # while it is down
    restarted_at = time.monotonic()
    with FaustWorker("vespa_loader", env, tmp_path / "after-kill.log").start() as worker:
        try:
            wait_for(lambda: fed() >= 2 * len(USERS), timeout_s=SESSION_TIMEOUT_S * 1.5, what="the second part fed")
        except AssertionError as exc:
            exc.add_note(worker.log_tail(40))
            raise
        resumed_s = time.monotonic() - restarted_at
    print(f"restart to the second part fed: {resumed_s:.1f} s (session timeout {SESSION_TIMEOUT_S:.0f} s)")
    # Without static membership the group waits for the dead member's session: about 60 s here.
    assert resumed_s < SESSION_TIMEOUT_S / 2, f"{resumed_s:.1f} s: the restarted worker waited for the dead one's session"
