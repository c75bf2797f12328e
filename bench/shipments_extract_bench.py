"""Emails/s of the shipments service's pure core, ``extract_findings``, on generated e-mails.

Two workloads of the same N e-mails (the serde benchmark's records: ~3 KB ``body_text`` and
~3 KB ``body_html`` of prose with years and "Q3" in it, no tracking number):

- ``without numbers``: the records as they are (most real mail: nothing to find);
- ``with numbers``: the same records with a carrier notice line in the text (a labelled UPS
  1Z number) and a tracking link with a FedEx number in the HTML, so both are found.

Single process and thread, garbage collector off, one untimed warm-up pass, then ``--rounds``
passes; the median pass is reported. No Kafka, no registry: it runs anywhere the project is
installed: ``.venv/bin/python bench/shipments_extract_bench.py [--emails 2000] [--rounds 5]``.
Figures go to stdout and to ``bench/results/shipments_extract.json`` (overwritten each run).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.report import machine_info, write_json
from serde_bench import make_emails  # a sibling script, not a package

from processors.shipments import extract_findings
from schemas.models import Email

#: UPS's documentation sample and a FedEx Express number with a valid check digit.
UPS_NUMBER, FEDEX_NUMBER = "1Z999AA10123456784", "986578788855"


def with_numbers(email: Email) -> Email:
    """The e-mail with a tracking number in its text and another in a link of its HTML."""
    text = f"{email.body_text}\n\nYour UPS tracking number: {UPS_NUMBER}\n"
    link = f'<p><a href="https://www.fedex.com/fedextrack/?trknbr={FEDEX_NUMBER}">Track your package</a></p>'
    html = (email.body_html or "").replace("</div></body>", link + "</div></body>")
    return email.model_copy(update={"body_text": text, "body_html": html})


def time_pass(emails: list[Email]) -> tuple[float, int]:
    """Seconds for one pass and the number of findings (so the work cannot be skipped)."""
    start = time.perf_counter()
    found = sum(len(extract_findings(email)) for email in emails)
    return time.perf_counter() - start, found


def measure(emails: list[Email], rounds: int) -> dict[str, Any]:
    _, found = time_pass(emails)  # warm-up
    gc.disable()
    try:
        seconds = [time_pass(emails)[0] for _ in range(rounds)]
    finally:
        gc.enable()
    median = statistics.median(seconds)
    return {
        "emails": len(emails),
        "findings_per_pass": found,
        "median_s": median,
        "emails_per_s": len(emails) / median,
        "us_per_email": median / len(emails) * 1e6,
        "min_max_emails_per_s": [len(emails) / max(seconds), len(emails) / min(seconds)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    machine = machine_info()
    plain = make_emails(args.emails)
    workloads = {"without numbers": plain, "with numbers": [with_numbers(email) for email in plain]}
    report = {
        "parameters": vars(args),
        "machine": machine,
        "results": {name: measure(emails, args.rounds) for name, emails in workloads.items()},
    }
    for name, result in report["results"].items():
        print(
            f"{name:>16}: {result['emails_per_s']:8,.0f} emails/s  ({result['us_per_email']:6.0f} us/email, "
            f"{result['findings_per_pass']} findings per pass of {result['emails']})"
        )
    print(f"figures: {write_json('shipments_extract', report)}")


if __name__ == "__main__":
    main()
