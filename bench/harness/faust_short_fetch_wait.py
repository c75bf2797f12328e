"""Experiments only: the faust CLI with aiokafka's ``fetch_max_wait_ms`` set from
``BENCH_FETCH_MAX_WAIT_MS`` instead of the 1500 ms faust-streaming's aiokafka driver hard-codes.

Why it matters: aiokafka leaves a partition whose fetched records are not consumed yet out of the
next fetch request to that broker; if every partition in that request is idle, the broker holds
it for ``fetch_max_wait_ms`` and the busy partition cannot be fetched meanwhile. The benchmarks'
``--fetch-max-wait-ms`` runs workers through this launcher to measure the difference.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import aiokafka

_WAIT_MS = int(os.environ["BENCH_FETCH_MAX_WAIT_MS"])
_init = aiokafka.AIOKafkaConsumer.__init__


def _init_with_wait(self: aiokafka.AIOKafkaConsumer, *args: Any, **kwargs: Any) -> None:
    if "fetch_max_wait_ms" in kwargs:
        kwargs["fetch_max_wait_ms"] = _WAIT_MS
    _init(self, *args, **kwargs)


aiokafka.AIOKafkaConsumer.__init__ = _init_with_wait  # type: ignore[method-assign]

if __name__ == "__main__":
    from faust.cli.faust import cli

    sys.exit(cli())
