"""PasswordService: argon2id with the given parameters, bounded concurrency, constant cost."""

from __future__ import annotations

import os
import select
import signal
import sys
import threading

import pytest
from argon2 import PasswordHasher

from idp.security.passwords import Argon2Parameters, HashingBusy, PasswordService

CHEAP = Argon2Parameters(memory_kib=1024, time_cost=1)
DUMMY_PASSWORD = "not a real password, only for timing"


class GatedHasher:
    """Delegate to argon2, but hold every hash until released (to occupy a slot)."""

    def __init__(self, inner: PasswordHasher):
        self.inner = inner
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()

    def hash(self, password: str) -> str:
        self.entered.release()
        assert self.release.wait(timeout=30), "the test never released the hash"
        return self.inner.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        return self.inner.verify(stored_hash, password)

    def check_needs_rehash(self, stored_hash: str) -> bool:
        return self.inner.check_needs_rehash(stored_hash)


class GatedPasswordService(PasswordService):
    """A PasswordService whose hashes wait for the test to release them."""

    def __init__(self, concurrency: int):
        super().__init__(CHEAP, concurrency=concurrency, wait_seconds=0.01)
        self.gate = GatedHasher(self._hasher)
        self._hasher = self.gate  # type: ignore[assignment]


class SpyHasher(GatedHasher):
    """Record which hashes were verified against; never holds anything."""

    def __init__(self, inner: PasswordHasher):
        super().__init__(inner)
        self.release.set()
        self.verified: list[str] = []

    def verify(self, stored_hash: str, password: str) -> bool:
        self.verified.append(stored_hash)
        return super().verify(stored_hash, password)


class FailingHasher(GatedHasher):
    """Fail every hash, as argon2 would on a memory allocation error."""

    def hash(self, password: str) -> str:
        raise MemoryError("no memory for this hash")


@pytest.fixture
def service() -> PasswordService:
    return PasswordService(CHEAP, concurrency=2, wait_seconds=5)


@pytest.mark.parametrize(("memory", "time_cost", "parallelism"),
                         [(1024, 1, 1), (2048, 2, 1), (4096, 1, 2)])
def test_hashes_are_argon2id_with_the_given_parameters(memory, time_cost, parallelism):
    service = PasswordService(Argon2Parameters(memory, time_cost, parallelism), 1, 5)
    stored = service.hash("correct horse")
    assert stored.startswith(f"$argon2id$v=19$m={memory},t={time_cost},p={parallelism}$")
    assert service.verify(stored, "correct horse")


def test_the_default_parameters_are_owasps_minimum():
    assert Argon2Parameters() == Argon2Parameters(memory_kib=19456, time_cost=2, parallelism=1)


def test_hashing_the_same_password_twice_gives_different_salts(service):
    assert service.hash("correct horse") != service.hash("correct horse")


@pytest.mark.parametrize("password", ["", "correct hors", "Correct horse", "correct horse "])
def test_a_wrong_password_does_not_verify(service, password):
    assert not service.verify(service.hash("correct horse"), password)


@pytest.mark.parametrize("password", ["", "correct horse", DUMMY_PASSWORD])
def test_a_missing_hash_never_verifies_not_even_the_dummy_password(service, password):
    assert service.verify(None, password) is False


@pytest.mark.parametrize("stored", ["", "not a hash", "$argon2id$v=19$m=1024,t=1,p=1$broken",
                                    "$2b$12$abcdefghijklmnopqrstuu"])
def test_a_malformed_hash_does_not_verify(service, stored):
    assert service.verify(stored, "correct horse") is False


def test_a_missing_hash_costs_one_verification_against_the_dummy_hash():
    service = PasswordService(CHEAP, concurrency=1, wait_seconds=5)
    spy = SpyHasher(service._hasher)
    service._hasher = spy  # type: ignore[assignment]
    assert service.verify(None, "correct horse") is False
    assert service.verify(None, DUMMY_PASSWORD) is False
    assert len(spy.verified) == 2
    assert spy.verified[0] == spy.verified[1]
    assert spy.verified[0].startswith("$argon2id$v=19$m=1024,t=1,p=1$")


def test_needs_rehash_only_for_other_parameters(service):
    assert not service.needs_rehash(service.hash("correct horse"))
    older = PasswordService(Argon2Parameters(memory_kib=512, time_cost=1), 1, 5)
    stronger = PasswordService(Argon2Parameters(memory_kib=2048, time_cost=2), 1, 5)
    assert service.needs_rehash(older.hash("correct horse"))
    assert service.needs_rehash(stronger.hash("correct horse"))


@pytest.mark.parametrize("stored", ["", "not a hash", "$2b$12$abcdefghijklmnopqrstuu"])
def test_a_malformed_hash_needs_rehash(service, stored):
    assert service.needs_rehash(stored)


# --- bounded concurrency --------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_a_hash_beyond_the_concurrency_limit_raises_hashing_busy(concurrency):
    service = GatedPasswordService(concurrency)
    stored = service.gate.inner.hash("existing")  # made outside the service
    results: list[str] = []
    holders = [threading.Thread(target=lambda i=i: results.append(service.hash(f"p{i}")))
               for i in range(concurrency)]
    for holder in holders:
        holder.start()
    try:
        for _ in holders:
            assert service.gate.entered.acquire(timeout=30)  # every slot is taken now

        with pytest.raises(HashingBusy):
            service.hash("one too many")
        with pytest.raises(HashingBusy):
            service.verify(stored, "existing")
    finally:
        service.gate.release.set()
    for holder in holders:
        holder.join(timeout=30)
    assert len(results) == concurrency
    assert service.verify(stored, "existing")  # the slots are free again
    assert service.verify(service.hash("after"), "after")


def test_a_failing_hash_gives_its_slot_back():
    service = PasswordService(CHEAP, concurrency=1, wait_seconds=0.01)
    working = service._hasher
    service._hasher = FailingHasher(working)  # type: ignore[assignment]
    with pytest.raises(MemoryError):
        service.hash("correct horse")
    service._hasher = working
    assert service.verify(service.hash("correct horse"), "correct horse")


def test_a_refused_password_gives_its_slot_back():
    service = PasswordService(CHEAP, concurrency=1, wait_seconds=0.01)
    stored = service.hash("correct horse")
    for _ in range(3):
        assert not service.verify(stored, "wrong")
        assert not service.verify("not a hash", "wrong")
    assert service.verify(stored, "correct horse")



def _sample(name: str) -> float:
    from idp.observability.metrics import REGISTRY

    return REGISTRY.get_sample_value(name) or 0.0


def test_a_hash_waiting_for_a_slot_is_counted_while_it_waits():
    service = GatedPasswordService(1)
    service._wait = 30
    holder = threading.Thread(target=service.hash, args=("holds the slot",))
    holder.start()
    assert service.gate.entered.acquire(timeout=30)
    waits, refused = _sample("idp_password_hash_waits_total"), \
        _sample("idp_password_hash_refused_total")
    waiter = threading.Thread(target=service.hash, args=("waits",))
    waiter.start()
    try:
        pause = threading.Event()
        for _ in range(3000):  # until the waiter is queued
            if _sample("idp_password_hash_waiting") == 1:
                break
            pause.wait(0.01)
        else:
            pytest.fail("the second hash never waited")
        assert _sample("idp_password_hash_waits_total") == waits + 1
    finally:
        service.gate.release.set()
        holder.join(timeout=30)
        waiter.join(timeout=30)
    assert _sample("idp_password_hash_waiting") == 0
    assert _sample("idp_password_hash_refused_total") == refused


def test_a_hash_refused_for_want_of_a_slot_is_counted():
    service = GatedPasswordService(1)
    holder = threading.Thread(target=service.hash, args=("holds the slot",))
    holder.start()
    assert service.gate.entered.acquire(timeout=30)
    refused = _sample("idp_password_hash_refused_total")
    try:
        with pytest.raises(HashingBusy):
            service.hash("one too many")
    finally:
        service.gate.release.set()
        holder.join(timeout=30)
    assert _sample("idp_password_hash_refused_total") == refused + 1
    assert _sample("idp_password_hash_waiting") == 0


# --- hashing at a lower CPU priority --------------------------------------------------------


class WhereHasher(GatedHasher):
    """Record the thread each hash ran in and its nice value (Linux: per thread)."""

    def __init__(self, inner: PasswordHasher):
        super().__init__(inner)
        self.release.set()
        self.ran_in: list[tuple[int, int]] = []

    def hash(self, password: str) -> str:
        self.ran_in.append((threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0)))
        return super().hash(password)


linux_only = pytest.mark.skipif(sys.platform != "linux",
                                reason="nice values per thread are Linux's")


@linux_only
def test_a_hash_runs_in_a_thread_of_its_own_at_a_lower_cpu_priority():
    service = PasswordService(CHEAP, concurrency=2, wait_seconds=5, niceness=7)
    where = WhereHasher(service._hasher)
    service._hasher = where  # type: ignore[assignment]
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    service.hash("correct horse")
    service.hash("correct horse")
    (thread, nice), _again = where.ran_in
    assert thread != threading.get_native_id()
    assert nice == min(19, mine + 7)
    assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the caller's own is unchanged


@linux_only
def test_a_forked_process_hashes_in_threads_of_its_own():
    service = PasswordService(CHEAP, concurrency=1, wait_seconds=5)
    stored = service.hash("correct horse")  # the parent's hashing thread exists now
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: hash, say how it went, and leave at once
        try:
            os.write(write, b"1" if service.verify(stored, "correct horse") else b"0")
        finally:
            os._exit(0)
    os.close(write)
    ready: list[int] = []
    try:
        ready, _, _ = select.select([read], [], [], 30)
        assert ready, "the child's hash never finished"
        assert os.read(read, 1) == b"1"
    finally:
        os.close(read)
        if not ready:
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
