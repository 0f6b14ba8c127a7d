"""The workers of `idp run` end with its main process, however it ends.

A main process killed outright (the OOM killer, a supervisor's SIGKILL) cannot stop its
workers; left running, they would keep its listening socket, and a new `idp run` could
not listen on the port. Here the main process of a real `idp run` is killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import time

from idp.production import ServerError, ServerOptions, check_options
from tests.support.served import ServedProvider, running, worker_pids

DEADLINE = 20  # seconds for the workers to stop: a graceful stop, no request in flight


def free(port: int) -> bool:
    """Say whether a new `idp run` could listen on `port` (its own check, before it starts)."""
    try:
        check_options(ServerOptions(port=port))
    except ServerError:
        return False
    return True


def test_the_workers_end_when_the_main_process_is_killed(database_url_factory):
    provider = ServedProvider({"IDP_DATABASE_URL": database_url_factory("sqlite")}, workers=2)
    with provider:
        workers = worker_pids(provider.process.pid)
        assert len(workers) == 2 and all(running(pid) for pid in workers), workers
        assert provider.http().get(provider.url + "/healthz", timeout=30).status_code == 200
        try:
            provider.process.send_signal(signal.SIGKILL)
            provider.process.wait()
            deadline = time.monotonic() + DEADLINE
            while any(running(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            outlived = [pid for pid in workers if running(pid)]
            assert not outlived, f"workers outlived their main process: {outlived}"
            assert free(provider.port), "the port is still held"
        finally:
            for pid in workers:
                if running(pid):
                    os.kill(pid, signal.SIGKILL)
