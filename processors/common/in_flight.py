"""The records a worker's producer has handed over and the broker has not acknowledged yet.

Two waits are built on them, both on the event loop and never blocking it:

- **Flush barriers.** faust flushes the producer before it commits offsets; the flush must
  cover every record sent before it began (the effects of the messages whose offsets it is
  about to commit), and nothing more. Waiting for a moment when nothing at all is in flight
  instead never ends while traffic keeps coming (measured: a shipments worker fed 100 messages
  of 5 emails per second committed nothing for ~40 s). So records are counted per *epoch*: each
  barrier closes the current epoch and waits until no record of it or of an earlier one is
  outstanding. The broker acknowledges records out of order across partitions, so the count is
  kept per epoch and the barrier watches the lowest epoch still outstanding; records sent while
  it waits belong to later epochs and do not hold it.
- **Room.** The agents wait for room before they take the next message while more than
  ``max_records`` records or ``max_bytes`` bytes are unacknowledged (the broker is slower than
  the worker): back-pressure that leaves the loop free for heartbeats and deliveries, and keeps
  librdkafka's own queue (sized well above these limits) from ever being full when a
  synchronous write such as a table changelog record is handed over.

A failed record is final: it fails every barrier and room wait from then on (the worker stops,
and no offset is committed past the record).
"""

from __future__ import annotations

import asyncio

#: (records, bytes) unacknowledged before the agents wait (``ProcessorSettings``' defaults).
DEFAULT_PENDING_LIMITS = (20_000, 64 * 1024 * 1024)
#: librdkafka's queue holds this many times the pending limits: the headroom for what is written
#: after the agents last found room (one message's changelog records, derived events, dead letter).
QUEUE_HEADROOM = 4


def queue_config(max_pending_records: int, max_pending_bytes: int) -> dict[str, int]:
    """librdkafka's queue limits for a producer whose agents wait for room at these limits."""
    return {
        "queue.buffering.max.messages": QUEUE_HEADROOM * max_pending_records,
        "queue.buffering.max.kbytes": QUEUE_HEADROOM * max_pending_bytes // 1024,
    }


class InFlightRecords:
    """Counts of unacknowledged records by epoch, with the barriers and room waits on them.
    Used on the event loop only (the producer's poller thread hands deliveries over to it)."""

    def __init__(self, *, max_records: int, max_bytes: int) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.records = 0
        self.bytes = 0
        self.failure: BaseException | None = None
        self._epoch = 0
        #: Unacknowledged records per epoch; an epoch leaves once all of its records are settled.
        self._open: dict[int, int] = {}
        self._barriers: list[tuple[int, asyncio.Future[None]]] = []
        self._room: asyncio.Event | None = None

    def handed_over(self, size: int) -> int:
        """Count one record of ``size`` bytes; returns its epoch, for ``settled``."""
        epoch = self._epoch
        self._open[epoch] = self._open.get(epoch, 0) + 1
        self.records += 1
        self.bytes += size
        return epoch

    def settled(self, epoch: int, size: int) -> None:
        """One record of ``epoch`` was acknowledged (or failed: see ``fail``). Call ``wake``
        once a batch of settlements is counted."""
        left = self._open[epoch] - 1
        if left:
            self._open[epoch] = left
        else:
            del self._open[epoch]
        self.records -= 1
        self.bytes -= size

    def fail(self, exc: BaseException) -> None:
        """A record was not delivered: every barrier and room wait fails with ``exc`` from now on."""
        if self.failure is None:
            self.failure = exc
        self.wake()

    def wake(self) -> None:
        """Release the barriers whose epochs are settled, and the room waiters if there is room."""
        if self._barriers:
            lowest_open = min(self._open, default=self._epoch)
            waiting = []
            for epoch, future in self._barriers:
                if future.done():
                    continue
                if self.failure is not None:
                    future.set_exception(self.failure)
                elif epoch < lowest_open:
                    future.set_result(None)
                else:
                    waiting.append((epoch, future))
            self._barriers = waiting
        if self._room is not None and (self.has_room() or self.failure is not None):
            self._room.set()
            self._room = None

    async def barrier(self) -> None:
        """Return once every record handed over before this call is acknowledged; raise the
        failure if any record failed (before or while waiting)."""
        self._raise_failure()
        epoch = self._epoch
        self._epoch += 1
        if any(open_epoch <= epoch for open_epoch in self._open):
            future = asyncio.get_running_loop().create_future()
            self._barriers.append((epoch, future))
            await future
        self._raise_failure()

    def has_room(self) -> bool:
        return self.records < self.max_records and self.bytes < self.max_bytes

    async def room(self) -> None:
        """Return once fewer records and bytes than the limits are unacknowledged."""
        while not self.has_room():
            self._raise_failure()
            if self._room is None:
                self._room = asyncio.Event()
            await self._room.wait()
        self._raise_failure()

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure
