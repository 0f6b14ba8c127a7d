"""`idp run` backs the blocks of password hashes with huge pages (``idp.production``).

glibc reads GLIBC_TUNABLES only when a process starts, so what counts is the environment
the workers were forked in: read here from each worker process of a real `idp run`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.production import HUGE_PAGE_BLOCKS, tuned_environment
from tests.support.served import PRODUCTION, ServedProvider, worker_pids


def environment_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(pair.decode().partition("=")[::2] for pair in pairs if pair)


def workers_environments(database_url_factory, environ: dict[str, str]) -> list[dict]:
    provider = ServedProvider({**PRODUCTION, "IDP_DATABASE_URL": database_url_factory("sqlite")},
                              workers=2, tls=True, environ=environ)
    with provider:
        pids = worker_pids(provider.process.pid)
        assert len(pids) == 2, pids
        assert provider.http().get(provider.url + "/healthz", timeout=30).status_code == 200
        return [environment_of(pid) for pid in pids]


@pytest.mark.skipif(tuned_environment({}, "glibc 2.36") is None, reason="glibc only")
def test_idp_run_forks_its_workers_with_huge_pages_for_large_blocks(database_url_factory,
                                                                    monkeypatch):
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    for environment in workers_environments(database_url_factory, {}):
        assert environment.get("GLIBC_TUNABLES") == HUGE_PAGE_BLOCKS
        assert environment["IDP_ENV"] == "production"  # the rest of it is the operator's


def test_an_operators_own_glibc_tunables_are_left_as_they_are(database_url_factory):
    own = "glibc.malloc.arena_max=2"
    for environment in workers_environments(database_url_factory, {"GLIBC_TUNABLES": own}):
        assert environment["GLIBC_TUNABLES"] == own


@pytest.mark.parametrize("libc", [None, "", "musl 1.2.4"])
def test_no_tunable_is_set_for_another_c_library(libc):
    assert tuned_environment({"PATH": "/usr/bin"}, libc) is None


def test_glibc_gets_the_tunable_added_to_what_was_there():
    assert tuned_environment({"PATH": "/usr/bin"}, "glibc 2.36") == {
        "PATH": "/usr/bin", "GLIBC_TUNABLES": HUGE_PAGE_BLOCKS}
