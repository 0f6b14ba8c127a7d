"""An outage is logged in one line; any other error keeps its traceback."""

from __future__ import annotations

import logging
import sys

from redis.exceptions import TimeoutError as RedisTimeout

from idp.storage.outages import OneLineOutages


def _record(error: BaseException) -> logging.LogRecord:
    try:
        raise error
    except BaseException:
        exc_info = sys.exc_info()
    return logging.LogRecord("flask-limiter", logging.ERROR, __file__, 1,
                             "Failed to rate limit. %s", ("Swallowing error",), exc_info)


def test_a_redis_outage_is_one_line_without_its_traceback():
    record = _record(RedisTimeout("Timeout reading from 127.0.0.1:6379\nmore detail"))

    assert OneLineOutages().filter(record)

    assert record.exc_info is None
    assert logging.Formatter().format(record) == (
        "Failed to rate limit. Swallowing error (redis unavailable: "
        "TimeoutError: Timeout reading from 127.0.0.1:6379)")


def test_another_error_keeps_its_traceback():
    record = _record(KeyError("bug"))

    assert OneLineOutages().filter(record)

    assert record.exc_info is not None
    assert "Traceback" in logging.Formatter().format(record)
