"""Delivery reports of a confluent-kafka producer, handed to an asyncio loop in bulk.

librdkafka reports each record's fate (acknowledged by the brokers, or finally refused) through
the ``on_delivery`` callback, which runs inside ``Producer.poll``. Polling on the event loop
would block it; polling in a thread and scheduling one loop callback per record would flood the
loop. So one thread polls, gathers the reports of each ``poll`` call, and schedules one loop
callback per batch (``call_soon_threadsafe``).

Why not ``confluent_kafka.aio.AIOProducer``: it refuses headers (its batch path cannot carry
them), and every officestream event travels with its W3C ``traceparent`` header.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import confluent_kafka

#: One report: the ``target`` given to ``callback``, librdkafka's error (None: delivered), the message.
Report = tuple[Any, Any, Any]

#: How long one ``poll`` blocks (it returns as soon as reports arrive).
POLL_S = 0.05


class DeliveryPoller:
    """Polls ``producer`` in a thread of its own; ``on_reports`` runs on ``loop`` with each
    poll's reports. Pass ``callback(target)`` as a record's ``on_delivery``."""

    def __init__(
        self, producer: confluent_kafka.Producer, loop: asyncio.AbstractEventLoop,
        on_reports: Callable[[list[Report]], None], *, name: str = "officestream-delivery-poll",
    ) -> None:
        self._producer = producer
        self._loop = loop
        self._on_reports = on_reports
        self._name = name
        #: Filled by delivery callbacks, which librdkafka runs inside ``poll``: only ever touched
        #: by the polling thread.
        self._reports: list[Report] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def callback(self, target: Any) -> Callable[[Any, Any], None]:
        """The ``on_delivery`` of one record; its report carries ``target``."""
        reports = self._reports

        def delivered(error: Any, message: Any) -> None:
            reports.append((target, error, message))

        return delivered

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll_forever, name=self._name, daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stop polling (reports still due are no longer handed over)."""
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)
        self._thread = None

    def _poll_forever(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(POLL_S)
            if not self._reports:
                continue
            batch = list(self._reports)
            self._reports.clear()  # the same list: the callbacks hold it
            try:
                self._loop.call_soon_threadsafe(self._on_reports, batch)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                return
