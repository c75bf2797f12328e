"""The Vespa application package in ``application/`` (``services.xml``, ``schemas/*.sd``).

The document mapping must only produce fields the schemas declare, with matching types, or
Vespa refuses the document (400). What the schemas declare is not read here: the tests ask
Vespa's own config model (``ops/vespa``), so the package is checked by Vespa, and the local
/document/v1 test server refuses what Vespa would refuse.
"""

from __future__ import annotations

from pathlib import Path

APPLICATION_DIR = Path(__file__).parent / "application"
#: The document types the loader writes; each has ``schemas/<type>.sd`` and a place in services.xml.
DOCUMENT_TYPES = ("email", "calendar_event", "contact")
