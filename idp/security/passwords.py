"""Password hashing with argon2id, bounded so a burst of logins cannot exhaust memory."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import Busy
from ..observability import metrics


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

    def __init__(self, params: Argon2Parameters, concurrency: int, wait_seconds: float):
        self._hasher = PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_kib,
                                      parallelism=params.parallelism, type=Type.ID)
        self._slots = threading.BoundedSemaphore(concurrency)
        self._wait = wait_seconds
        # Verified against when the user does not exist, so that unknown and
        # known usernames take the same time (no account enumeration).
        self._dummy_hash = self._hasher.hash("not a real password, only for timing")

    def _slot(self) -> _Slot:
        return _Slot(self._slots, self._wait)

    def hash(self, password: str) -> str:
        """Return an argon2id hash of `password`."""
        with self._slot():
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Return whether `password` matches; costs the same when there is no hash."""
        with self._slot():
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
