"""A letter's original value: in the letter itself, or, for a letter sent by reference, in
Redis under the key it names (``connectors/redis/dead_letter_store.py``), checked against the
size and sha256 the letter carries before anyone sees or replays it."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable

import redis.asyncio as aioredis

from connectors.redis.dead_letter_store import DeadLetterStore
from connectors.redis.settings import RedisSettings
from ops.dlq.exceptions import OriginalUnavailable
from ops.dlq.letters import Letter
from processors.common.dead_letters import ORIGINAL_SHA256, ORIGINAL_SIZE

#: Per letter (``record.where``): its original value, or why it cannot be had.
Originals = dict[str, bytes | None | OriginalUnavailable]


def fetch_originals(letters: Iterable[Letter], redis: RedisSettings) -> Originals:
    """The original value of every letter; Redis is asked only for those sent by reference
    (and not at all when there are none)."""
    letters = list(letters)
    found: Originals = {letter.record.where: letter.record.value for letter in letters if letter.reference is None}
    by_reference = [letter for letter in letters if letter.reference is not None]
    if by_reference:
        found.update(asyncio.run(_from_redis(by_reference, redis)))
    return found


async def _from_redis(letters: list[Letter], settings: RedisSettings) -> Originals:
    client = aioredis.Redis.from_url(settings.url, **settings.client_kwargs())
    store = DeadLetterStore(client)
    try:
        return {letter.record.where: _checked(letter, await store.get(str(letter.reference))) for letter in letters}
    finally:
        await client.aclose()


def _checked(letter: Letter, value: bytes | None) -> bytes | OriginalUnavailable:
    reasons = letter.reasons
    if value is None:
        return OriginalUnavailable(f"its original value {letter.reference} is no longer in Redis (expired or deleted)")
    if str(len(value)) != reasons.get(ORIGINAL_SIZE) or hashlib.sha256(value).hexdigest() != reasons.get(ORIGINAL_SHA256):
        return OriginalUnavailable(f"the value under {letter.reference} does not match the letter's size and sha256")
    return value
