"""faust's Kafka transport with a bounded fetch wait.

faust-streaming's aiokafka driver hard-codes ``fetch_max_wait_ms=1500`` for the worker's
consumer. aiokafka leaves a partition whose records are still being processed out of its next
fetch; when the other assigned partitions are idle the broker holds that fetch for the whole
wait, and the busy partition waits behind it. Measured here (bench/notifier_latency_bench.py):
1.5 s stalls in the live notifier, and backfill services fetching once per 1.5 s. This transport
sets the wait from ``OFFICESTREAM_PROCESSOR_FETCH_MAX_WAIT_MS`` on the consumer faust builds,
before it starts; everything else is faust's own driver. It is registered under the broker URL
scheme ``officestream-kafka://``.
"""

from __future__ import annotations

from typing import Any

from faust.transport.drivers import TRANSPORTS
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread, Consumer, Transport

SCHEME = "officestream-kafka"
DEFAULT_FETCH_MAX_WAIT_MS = 50
#: The app attribute ``create_app`` sets from the settings.
FETCH_WAIT_ATTRIBUTE = "officestream_fetch_max_wait_ms"


class BoundedFetchConsumerThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when it builds its fetcher in start(), which comes later.
        consumer._fetch_max_wait_ms = getattr(self.app, FETCH_WAIT_ATTRIBUTE, DEFAULT_FETCH_MAX_WAIT_MS)
        return consumer


class BoundedFetchConsumer(Consumer):
    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return BoundedFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)


class BoundedFetchTransport(Transport):
    Consumer = BoundedFetchConsumer


TRANSPORTS.aliases[SCHEME] = f"{__name__}:BoundedFetchTransport"
