"""Password hashing with argon2id, bounded so a burst of logins cannot exhaust memory.

A hash (about 20 ms of CPU) runs in a thread of the process's own for hashing, at a lower
CPU priority than the threads answering requests (``HASH_NICENESS``, on Linux): when the
machine's cores are busy, the kernel gives them to the other requests first, so a burst of
password checks delays the password checks, not every page and token request of the
provider. The request waits for its hash without using the CPU.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import Busy
from ..observability import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")

#: How many steps of Linux's nice scale (0-19) the hashing threads run below the process.
HASH_NICENESS = 10


class HashingBusy(Busy):
    """No hashing slot became free in time: the provider is busy (503, Retry-After)."""


@dataclass(frozen=True)
class Argon2Parameters:
    """argon2id cost parameters (OWASP Password Storage Cheat Sheet minimum by default)."""

    memory_kib: int = 19456
    time_cost: int = 2
    parallelism: int = 1


class PasswordService:
    """Hash and verify passwords; at most `concurrency` hashes run at once."""

    def __init__(self, params: Argon2Parameters, concurrency: int, wait_seconds: float,
                 niceness: int = HASH_NICENESS):
        self._hasher = PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_kib,
                                      parallelism=params.parallelism, type=Type.ID)
        self._slots = threading.BoundedSemaphore(concurrency)
        self._wait = wait_seconds
        self._threads = _HashThreads(concurrency, niceness)
        # Verified against when the user does not exist, so that unknown and
        # known usernames take the same time (no account enumeration).
        self._dummy_hash = self._hasher.hash("not a real password, only for timing")

    def _slot(self) -> _Slot:
        return _Slot(self._slots, self._wait)

    def hash(self, password: str) -> str:
        """Return an argon2id hash of `password`."""
        with self._slot():
            return self._threads.run(lambda: self._hasher.hash(password))

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Return whether `password` matches; costs the same when there is no hash."""
        with self._slot():
            return self._threads.run(lambda: self._matches(stored_hash, password))

    def _matches(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy_hash, password) and \
                stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Return whether the hash was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True


class _Slot:
    def __init__(self, semaphore: threading.BoundedSemaphore, wait: float):
        self._semaphore = semaphore
        self._wait = wait

    def __enter__(self) -> None:
        if self._semaphore.acquire(blocking=False):
            return
        metrics.HASH_WAITED.inc()
        metrics.HASH_WAITING.inc()
        try:
            acquired = self._semaphore.acquire(timeout=self._wait)
        finally:
            metrics.HASH_WAITING.dec()
        if not acquired:
            metrics.HASH_REFUSED.inc()
            raise HashingBusy()

    def __exit__(self, *exc: object) -> None:
        self._semaphore.release()


class _HashThreads:
    """The threads a process hashes in, one per slot, each at a lower CPU priority.

    Made on the first hash of each process: a worker forked from a process that had them
    does not inherit its threads, so it makes its own. (No lock guards the making, which a
    fork could leave held: two first hashes at once may make two pools, and the slots still
    bound the hashes in flight.)
    """

    def __init__(self, count: int, niceness: int):
        self._count = count
        self._niceness = niceness
        self._pool: tuple[int, ThreadPoolExecutor] | None = None

    def run(self, work: Callable[[], T]) -> T:
        """Run `work` in a hashing thread and wait for its result (or its error)."""
        return self._executor().submit(work).result()

    def _executor(self) -> ThreadPoolExecutor:
        pid = os.getpid()
        if self._pool is None or self._pool[0] != pid:
            self._pool = pid, ThreadPoolExecutor(
                self._count, thread_name_prefix="argon2", initializer=lower_priority,
                initargs=(self._niceness,))
        return self._pool[1]


def lower_priority(niceness: int) -> None:
    """Run the calling thread `niceness` steps lower on Linux's nice scale (at most 19).

    Linux gives each thread a nice value of its own (``setpriority`` on its thread id);
    raising it needs no privilege. Elsewhere, or where it is refused, the thread runs as
    the others do.
    """
    if niceness <= 0 or sys.platform != "linux":
        return
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + niceness))
    except OSError as exc:
        log.warning("password hashes run at the requests' CPU priority: %s", exc)
