"""Which Redis errors stall (retry), which are poison (dead-letter), which stop the worker."""

from __future__ import annotations

import pytest
from redis import exceptions as redis_errors

from connectors.redis.exceptions import (
    PayloadCorrupt,
    PayloadStoreError,
    PayloadStoreMisconfigured,
    PayloadStoreUnavailable,
    PayloadUnusable,
)
from connectors.redis.failures import redis_failure

CASES = [
    # the data under the key is wrong: poison
    (redis_errors.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"), PayloadCorrupt),
    # connection-level, or the server cannot serve now: retried
    (redis_errors.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."), PayloadStoreUnavailable),
    (redis_errors.TimeoutError("Timeout reading from socket"), PayloadStoreUnavailable),
    (redis_errors.BusyLoadingError("Redis is loading the dataset in memory"), PayloadStoreUnavailable),
    (redis_errors.ReadOnlyError("You can't write against a read only replica."), PayloadStoreUnavailable),
    (redis_errors.ResponseError("READONLY You can't write against a read only replica."), PayloadStoreUnavailable),
    (redis_errors.ResponseError("BUSY Redis is busy running a script."), PayloadStoreUnavailable),
    (redis_errors.TryAgainError("Multiple keys request during rehashing of slot"), PayloadStoreUnavailable),
    (redis_errors.MasterDownError("Link with MASTER is down"), PayloadStoreUnavailable),
    (redis_errors.OutOfMemoryError("command not allowed when used memory > 'maxmemory'."), PayloadStoreUnavailable),
    (redis_errors.MaxClientsReachedError("max number of clients reached"), PayloadStoreUnavailable),
    (redis_errors.InvalidResponse("Protocol Error: b'x'"), PayloadStoreUnavailable),
    # our credentials or rights: stop the worker
    (redis_errors.AuthenticationError("Authentication required."), PayloadStoreMisconfigured),
    (redis_errors.AuthenticationError("invalid username-password pair or user is disabled."), PayloadStoreMisconfigured),
    (redis_errors.ResponseError("NOAUTH Authentication required."), PayloadStoreMisconfigured),
    (redis_errors.NoPermissionError("this user has no permissions to access one of the keys used as arguments"), PayloadStoreMisconfigured),
    (redis_errors.AuthorizationError("user is not allowed"), PayloadStoreMisconfigured),
]


@pytest.mark.parametrize(("error", "expected"), CASES, ids=[f"{type(e).__name__}:{str(e)[:20]}" for e, _ in CASES])
def test_each_redis_error_gets_its_class(error, expected):
    failure = redis_failure("cannot read office:u:email:m", error)
    assert type(failure) is expected
    assert failure.retriable == (expected is PayloadStoreUnavailable)
    assert isinstance(failure, PayloadUnusable) == (expected is PayloadCorrupt)
    assert str(failure).startswith("cannot read office:u:email:m")


def test_wrongtype_says_what_is_wrong_with_the_key():
    failure = redis_failure("cannot read k", redis_errors.ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value"))
    assert "the key holds another Redis type than a payload: WRONGTYPE" in str(failure)


def test_a_credentials_error_names_the_setting():
    assert "OFFICESTREAM_REDIS_PASSWORD" in str(redis_failure("cannot read k", redis_errors.AuthenticationError("NOAUTH")))


def test_an_unknown_reply_is_neither_retried_forever_nor_poison():
    failure = redis_failure("cannot read k", redis_errors.ResponseError("ERR something new"))
    assert type(failure) is PayloadStoreError and not failure.retriable and "an unexpected Redis reply" in str(failure)
