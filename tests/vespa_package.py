"""Vespa's own reading of the project's application package, made once per test session.

Vespa's config model is fetched with Maven on first use (then cached with the stack's
downloads), so every tier works from a fresh clone. When it cannot be had (no JDK, Maven
Central unreachable) the tests that need it fail with one line saying why.
"""

from __future__ import annotations

import functools

import pytest

from ops.stack.exceptions import StackError
from ops.vespa.config_model import ApplicationReading, install
from ops.vespa.exceptions import VespaCheckError
from processors.vespa_loader.application_package import APPLICATION_DIR


@functools.cache
def _reading() -> ApplicationReading | str:
    try:
        return install().read(APPLICATION_DIR, model=True)
    except StackError as exc:  # Java or Maven missing, download failed: the first line says it
        return str(exc).splitlines()[0]
    except VespaCheckError as exc:  # Vespa refuses the package: its whole message
        return str(exc)


def vespa_reading() -> ApplicationReading:
    """What Vespa read from processors/vespa_loader/application (schemas and services.xml)."""
    reading = _reading()
    if isinstance(reading, str):
        pytest.fail(f"Vespa's reading of the application package is needed: {reading}", pytrace=False)
    return reading


def vespa_document_fields() -> dict[str, dict[str, str]]:
    """``{document type: {field: Vespa type}}`` as Vespa read them, for ``FakeVespa(schemas=...)``."""
    return vespa_reading().document_field_types()
