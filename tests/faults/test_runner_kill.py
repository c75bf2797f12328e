"""``kill -9`` of the standalone backfill runner (``officestream backfill start --wait``) mid-job,
then ``officestream backfill resume JOB --wait`` to completion, while the bridge backfills and
streams other users: the job completes, what it published is the whole mailbox, nothing
confirmed before the kill is published again (only the page in flight, under the same batch
indexes: the checkpoint held), and no sink loses or doubles an effect.

Four users (two on each provider) are set aside from the bridge and backfilled by the runner,
each killed after a checkpoint: one of each provider while the next page is on the brokers but
not checkpointed (that page, and only it, may come again), one between two pages (nothing may
come again, nor be skipped: ``standalone_runner.py``). The other two users are connected through
the bridge as in the other fault tests, with live changes while the killed jobs wait and after
they are resumed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ops.cli.backfill import NAME_OF
from ops.demo.summary import demo_kafka
from ops.reconcile import Holdings
from schemas.registry_client import registry_client
from schemas.registry_settings import RegistrySettings
from schemas.serde import AvroEventSerde
from tests.faults.standalone_runner import (
    BATCH_SIZE,
    StandaloneJob,
    items_under_two_batches,
    mailbox_holdings,
    published_batches,
    republished,
)
from tests.faults.workload import FaultRun, assert_nothing_lost_or_doubled

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(900)]

#: The bridge takes over a "running" job not updated for this long (default 120 s): kept out of
#: the way here, the resume is the runner's own. A killed runner's lease on its job lapses 3 s
#: after the kill (default 30 s); `resume --wait` waits for that.
BRIDGE_KEEPS_AWAY = {"OFFICESTREAM_BRIDGE_BACKFILL_STALE_AFTER_S": "900", "OFFICESTREAM_BACKFILL_LEASE_TTL_S": "3"}


def test_the_standalone_runner_killed_mid_job_resumes_and_loses_and_doubles_nothing(make_fault_run):
    run: FaultRun = make_fault_run(users=6, env=BRIDGE_KEEPS_AWAY, emails_per_user=80).start()
    aside = run.set_aside(4)
    assert list(aside.values()) == ["microsoft", "google"] * 2, aside
    run.connect()
    serde = AvroEventSerde(registry_client(RegistrySettings.from_env(url=run.demo.env["OFFICESTREAM_REGISTRY_URL"])))
    jobs = [StandaloneJob(run, user, provider) for user, provider in aside.items()]
    at_kill = {}
    for job, page_in_flight in zip(jobs, (True, True, False, False)):  # each provider killed both ways
        job.start()
        job.wait_to_kill(serde, page_in_flight=page_in_flight)
        run.kill(job.name)
        at_kill[job.job_id] = job.status()
        assert at_kill[job.job_id]["status"] == "running", at_kill[job.job_id]
    run.live(rounds=1)  # the bridge's users change while the killed jobs wait
    with ThreadPoolExecutor(len(jobs)) as resumes:  # four processes at once: each mostly waits
        list(resumes.map(StandaloneJob.resume, jobs))
    assert [job.status()["status"] for job in jobs] == ["completed"] * len(jobs)
    run.wait_backfills()
    run.live(rounds=2)

    holdings = mailbox_holdings(run.demo.env, aside)
    for job in jobs:
        assert_published_once_but_the_page_in_flight(job, at_kill[job.job_id], holdings[(job.provider, job.user)], serde)
    bridge_log = run.child("bridge").log_text()
    assert [job.job_id for job in jobs if f"job={job.job_id}" in bridge_log] == [], "the bridge ran a standalone job"
    assert_nothing_lost_or_doubled(run.finish(fault="kill -9 backfill runner mid-job", also=holdings))


def assert_published_once_but_the_page_in_flight(job: StandaloneJob, at_kill: dict, mailbox: Holdings,
                                                 serde: AvroEventSerde) -> None:
    """Every item of the mailbox published, per doc type; published twice, only the batches of
    one page: those right after the checkpoint at the kill, again under the same indexes with
    the same items, all full but the last (one page's chunks)."""
    copies = published_batches(demo_kafka(job.run.demo), serde, job.job_id)
    for doc_type, items in mailbox.items():
        published = {item for copy in copies if copy.doc_type is doc_type for item in copy.ids}
        assert published == set(items), f"{job.job_id} {doc_type.value}: {len(published)} published, {len(items)} held"
    again = republished(copies)
    checkpoint = {name: progress["batches"] for name, progress in at_kill["progress"].items()}
    print(f"\n{job.job_id} ({job.provider}): {len(copies)} batch events, {sum(len(c.ids) for c in copies)} items; "
          f"checkpoint at the kill {checkpoint} batches; published again: {sorted((t.value, i) for t, i in again)}")
    assert items_under_two_batches(copies) == {}, "items published again under other batch indexes"
    differing = {key: items for key, items in again.items() if len(set(items)) > 1}
    assert differing == {}, f"batch indexes published again with other items: {differing}"
    assert all(len(items) == 2 for items in again.values()), f"published more than twice: {again}"
    doc_types = {doc_type for doc_type, _ in again}
    assert len(doc_types) <= 1, f"batches of two doc types published again: {sorted(again)}"
    if again:
        [doc_type] = doc_types
        indexes = sorted(index for _, index in again)
        first = checkpoint[NAME_OF[doc_type]]
        assert indexes == list(range(first, first + len(indexes))), f"not the page after the checkpoint {first}: {indexes}"
        sizes = [len(again[(doc_type, index)][0]) for index in indexes]
        assert all(size == BATCH_SIZE for size in sizes[:-1]), f"more than one page published again: {sizes}"
