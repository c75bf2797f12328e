"""Opaque page and sync tokens: base64url JSON, so a client can only hand them back."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def encode_token(**fields: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(fields, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str | None, kind: str) -> dict[str, Any] | None:
    """The fields of a token this emulator issued for ``kind``, or None for anything else."""
    if not token:
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        return None
    return fields if isinstance(fields, dict) and fields.get("k") == kind else None


def page(items: list[Any], offset: int, size: int) -> tuple[list[Any], int | None]:
    """One page of ``items`` from ``offset``, and the next offset (None on the last page)."""
    chunk = items[offset:offset + size]
    return chunk, (offset + size if offset + size < len(items) else None)


def int_param(query: dict[str, list[str]], name: str, default: int, maximum: int) -> int:
    raw = query.get(name, [""])[0]
    try:
        value = int(raw) if raw else default
    except ValueError:
        value = default
    return max(1, min(value, maximum))


def bool_param(query: dict[str, list[str]], name: str) -> bool:
    return query.get(name, ["false"])[0].lower() == "true"
