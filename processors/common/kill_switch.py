"""Tests only: the worker kills itself (SIGKILL) around its N-th derived event.

With ``OFFICESTREAM_PROCESSOR_TEST_KILL_AT_DERIVED`` (read once at start, with the other
``ProcessorSettings``) a service's derived-event sender is wrapped so that at its N-th send:

- ``before:N``: everything written so far — the state write this event announces included —
  is waited onto the broker, then the process is SIGKILLed without sending the event: the crash
  between the two writes that a replay must survive (processors/common/derived.py);
- ``after:N``: the event is sent and waited onto the broker, then SIGKILL: both writes landed,
  and the message's offset is not committed (the agent has not finished it), so it is replayed.

The end-to-end tests set it; unset (always, in production) the sender is returned unchanged.
"""

from __future__ import annotations

import logging
import os
import signal

import faust

from processors.common.derived import Send
from processors.common.settings import ProcessorSettings
from schemas.models import Event

log = logging.getLogger("officestream.processors")


def with_kill_switch(app: faust.App, settings: ProcessorSettings, send: Send) -> Send:
    """``send``, or ``send`` with the kill switch the settings ask for."""
    if settings.test_kill_at_derived is None:
        return send
    moment, number = settings.test_kill_at_derived.split(":")
    target, count = int(number), 0

    async def send_then_maybe_die(event: Event) -> None:
        nonlocal count
        count += 1
        if count == target and moment == "before":
            await _die_once_flushed(app, f"before sending derived event {count}")
        await send(event)
        if count == target:
            await _die_once_flushed(app, f"after sending derived event {count}")

    return send_then_maybe_die


async def _die_once_flushed(app: faust.App, moment: str) -> None:
    await app.producer.flush()  # what was written so far is on the broker
    log.warning("test kill switch: SIGKILL %s (OFFICESTREAM_PROCESSOR_TEST_KILL_AT_DERIVED)", moment)
    os.kill(os.getpid(), signal.SIGKILL)
