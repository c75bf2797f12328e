"""`officestream vespa check` as a person runs it on the package, or on a broken copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from processors.vespa_loader.application_package import DOCUMENT_TYPES
from tests.vespa_package import edited_copy


def officestream(*args: str) -> subprocess.CompletedProcess[str]:
    # A first run fetches Vespa's config model: allow for it.
    argv = [sys.executable, "-m", "ops.cli", *args]
    return subprocess.run(argv, env=dict(os.environ), capture_output=True, text=True, timeout=300)


def test_check_prints_what_vespa_read_from_the_projects_package() -> None:
    run = officestream("vespa", "check")
    assert run.returncode == 0, run.stderr
    reading = json.loads(run.stdout)
    assert sorted(schema["document"] for schema in reading["schemas"]) == sorted(DOCUMENT_TYPES)
    assert reading["content_clusters"] == {"officestream": sorted(DOCUMENT_TYPES)}


def test_check_ends_with_vespas_message_on_one_line_when_vespa_refuses(tmp_path) -> None:
    broken = edited_copy(tmp_path, "schemas/contact.sd", "field phones type array<string>", "field phones type array<strng>")
    run = officestream("vespa", "check", str(broken))
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.splitlines() == [
        f"error: Vespa refuses the application package {broken}: unknown type named 'strng' in context document 'contact'"
    ]
