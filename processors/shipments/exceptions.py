"""Errors of the shipments service, split into retriable and fatal.

Finding tracking numbers is pure and does not fail on odd mail; these errors are about the
boundaries around it: files given to the CLI, and state handed to the package logic.
"""

from __future__ import annotations

import os


class ShipmentsError(Exception):
    """Base of every error raised by ``processors.shipments``."""

    retriable = False


class EmailFileError(ShipmentsError):
    """A file given to ``extract_from_file`` cannot be read as an e-mail; retrying will not help."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class PackageMismatchError(ShipmentsError):
    """A finding was applied to the stored package of another user or tracking number: the
    caller's table key is wrong, which is a bug, not a bad message."""
