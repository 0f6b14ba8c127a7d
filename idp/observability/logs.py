"""Log records as JSON lines (``IDP_LOG_FORMAT=json``), one object per line.

Every line has ``time`` (ISO 8601, UTC), ``level``, ``logger`` and ``message``; a request's
line (``idp.observability.requests``) adds its fields, an error its ``exception``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

#: The attribute of a log record that holds the fields of a request's line.
FIELDS = "idp_fields"


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class BesideHandler(logging.Handler):
    """Write lines of our own format to the stream of another handler (gunicorn's error
    log), following it when gunicorn reopens its file (USR1, after a log rotation)."""

    def __init__(self, target: logging.Handler):
        super().__init__()
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            self.target.acquire()
            try:
                stream = getattr(self.target, "stream", None)
                if stream is None:
                    return
                stream.write(line)
                stream.flush()
            finally:
                self.target.release()
        except Exception:
            self.handleError(record)


def provider_levels(base: int, log_format: str) -> dict[str, int]:
    """Return the level of each of the provider's loggers under a server whose own level
    is `base`: the provider's at that level, Flask-Limiter's warnings (it says when it falls
    back to memory and when Redis is back), and with JSON lines each request's line at INFO
    whatever the level (NOTSET: as the provider's)."""
    return {"idp": base, "flask-limiter": max(base, logging.WARNING),
            "idp.requests": logging.INFO if log_format == "json" else logging.NOTSET}


def json_handlers(targets: list[logging.Handler]) -> list[logging.Handler]:
    """Return handlers writing JSON lines beside each of `targets`."""
    handlers: list[logging.Handler] = []
    for target in targets:
        handler = BesideHandler(target)
        handler.setFormatter(JsonFormatter())
        handlers.append(handler)
    return handlers
