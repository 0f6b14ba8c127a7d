"""What the test servers share: things arrive from the provider, and each is handed out once."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Arrivals:
    """Wait for the next arrival that matches and was not handed out before."""

    def __init__(self) -> None:
        self._returned: set[int] = set()
        self._changed = threading.Condition()

    def _take(self, count: Callable[[], int], matches: Callable[[int], bool], timeout: float,
              missing: Callable[[], str]) -> int:
        """Return the index of the next matching arrival; AssertionError after `timeout`."""

        def find() -> int | None:
            for index in range(count()):
                if index not in self._returned and matches(index):
                    return index
            return None

        with self._changed:
            self._changed.wait_for(lambda: find() is not None, timeout)
            index = find()
            if index is None:
                raise AssertionError(missing())
            self._returned.add(index)
            return index
