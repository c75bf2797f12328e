"""Stream flow control: resuming flow that already runs keeps the queued records (faust's own
clears them, which loses a restarted worker's backlog); resuming after a suspension (a
rebalance) still clears them."""

from __future__ import annotations

from mode.utils.queues import FlowControlEvent, FlowControlQueue

from connectors.kafka.settings import KafkaSettings
from processors.common.faust_flow import KeepQueuedOnResume
from processors.common.faust_wiring import create_app
from processors.common.settings import ProcessorSettings


async def queued_after(flow: FlowControlEvent, *, suspend_first: bool) -> int:
    queue: FlowControlQueue[str] = FlowControlQueue(flow_control=flow, clear_on_resume=True)
    flow.resume()  # flow starts suspended; the worker's recovery resumes it
    await queue.put("record fetched after the seek")
    if suspend_first:
        flow.suspend()
    flow.resume()  # faust's recovery resumes again once the stream partitions are sought
    return queue.qsize()


async def test_a_second_resume_keeps_what_was_queued():
    assert await queued_after(KeepQueuedOnResume(), suspend_first=False) == 1
    assert await queued_after(FlowControlEvent(), suspend_first=False) == 0  # faust's: lost


async def test_resuming_after_a_suspension_still_clears():
    assert await queued_after(KeepQueuedOnResume(), suspend_first=True) == 0


def test_workers_use_it(tmp_path):
    app = create_app("meetings", KafkaSettings.from_env({}), ProcessorSettings.from_env({}, data_dir=tmp_path))
    assert isinstance(app.flow_control, KeepQueuedOnResume)
