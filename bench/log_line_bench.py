"""CPU per worker log line: faust's default (mode's colorlog formatter) against the text config
the workers get off a terminal (connectors/logs.py ``faust_logging_config``), same run.

    .venv/bin/python bench/log_line_bench.py [--lines 20000] [--rounds 3]

Each round logs ``--lines`` copies of a worker's per-message ``handled`` line through each
config, to /dev/null (not a terminal, as a worker's log file is), and reports process CPU
microseconds per line. Figures go to bench/results/log_line.json.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import time
from pathlib import Path

from mode.utils import logging as mode_logging

from connectors.logs import LogSettings, faust_logging_config

RESULTS = Path(__file__).parent / "results" / "log_line.json"


def cpu_us_per_line(config: dict | None, sink: io.TextIOBase, lines: int) -> float:
    mode_logging._setup_logging(level="INFO", stream=sink, logging_config=config)  # as `faust worker` does
    for handler in logging.getLogger().handlers:
        handler.setStream(sink)  # type: ignore[attr-defined]
    log = logging.getLogger("officestream.processors")
    start = time.process_time()
    for offset in range(lines):
        log.info("handled service=%s where=%s event_id=%s trace_id=%s outcome=%s applied=%d duplicates=%d",
                 "client-sse", f"t-email-updates[3]@{offset}", "dc539f67-39f5-4b1c-a2a7-6a1e4c6a7b11",
                 "4bf92f3577b34da6a3ce929d0e0e4736", "handled", 1, 0)
    return (time.process_time() - start) / lines * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=20_000, help="lines per config per round (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    args = parser.parse_args()
    plain = faust_logging_config("client-sse", LogSettings.from_env({}), stream=io.StringIO())
    rounds = []
    with open(os.devnull, "w") as sink:
        for _ in range(args.rounds):
            rounds.append({"faust_default_us": cpu_us_per_line(None, sink, args.lines),
                           "plain_us": cpu_us_per_line(plain, sink, args.lines)})
    for n, r in enumerate(rounds, 1):
        print(f"round {n}: faust's coloured formatter {r['faust_default_us']:.1f} us/line, "
              f"plain {r['plain_us']:.1f} us/line (ratio {r['plain_us'] / r['faust_default_us']:.2f})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"parameters": vars(args), "load_average": os.getloadavg(), "rounds": rounds}, indent=2))
    print(f"figures written to {RESULTS}")


if __name__ == "__main__":
    main()
