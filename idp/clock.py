"""The one place that reads the wall clock; domain code gets time passed in."""

import time


def now() -> float:
    """Return the current time in seconds since the epoch."""
    return time.time()
