"""Failure budgets hold across worker processes, without Redis: they are in the database."""

from __future__ import annotations

import re
import threading
from collections import Counter

import pytest

from tests.support.agent import Agent, Page
from tests.support.live import new_directory
from tests.support.rp import StrictRP
from tests.support.served import ServedProvider

ATTEMPTS = 16


@pytest.fixture
def two_workers(backend, database_url_factory):
    """2 worker processes and no Redis, logging which process served what."""
    provider = ServedProvider(
        {"IDP_DATABASE_URL": database_url_factory(backend),
         "IDP_ACCOUNT_FAILURE_LIMIT": "3 per minute"},
        workers=2, threads=4, access_log=True)
    with provider:
        yield provider


def test_wrong_passwords_are_counted_once_across_worker_processes(two_workers):
    provider = two_workers
    directory = new_directory(provider)
    client = directory.add_client()
    user = directory.add_user()
    pages = []
    for _ in range(ATTEMPTS):
        rp = StrictRP(directory, client, Agent(provider.url))
        pages.append((rp, Page(rp.start())))
    barrier = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []

    def guess(rp: StrictRP, page: Page) -> None:
        # A fresh connection, so that either worker process may take it.
        rp.agent.http.close()
        barrier.wait()
        statuses.append(rp.agent.submit(page, "Log in", by_label={
            "Username or email": user.username, "Password": "not the password"}).status_code)

    threads = [threading.Thread(target=guess, args=item) for item in pages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    served = {served.worker for served in provider.served()
              if served.method == "POST" and re.fullmatch(r"/d/\S+/i/\S+/login", served.path)}
    assert len(served) == 2, "both worker processes took login attempts"
    assert Counter(statuses) == {400: 3, 429: ATTEMPTS - 3}
