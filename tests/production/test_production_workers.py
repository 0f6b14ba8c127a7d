"""The workers of `idp run` end with its main process, however it ends.

A main process killed outright (the OOM killer, a supervisor's SIGKILL) cannot stop its
workers; left running, they would keep its listening socket, and a new `idp run` could
not listen on the port. Here the main process of a real `idp run` is killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from tests.support.served import ServedProvider, worker_pids

DEADLINE = 20  # seconds for the workers to stop: a graceful stop, no request in flight


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"  # a zombie has ended


def free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_the_workers_end_when_the_main_process_is_killed(database_url_factory):
    provider = ServedProvider({"IDP_DATABASE_URL": database_url_factory("sqlite")}, workers=2)
    with provider:
        workers = worker_pids(provider.process.pid)
        assert len(workers) == 2 and all(alive(pid) for pid in workers), workers
        assert provider.http().get(provider.url + "/healthz", timeout=30).status_code == 200
        try:
            provider.process.send_signal(signal.SIGKILL)
            provider.process.wait()
            deadline = time.monotonic() + DEADLINE
            while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not [pid for pid in workers if alive(pid)], "a worker outlived its main process"
            assert free(provider.port), "the port is still held"
        finally:
            for pid in workers:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)
