"""The provider as production runs it: `idp run` (granian) or gunicorn worker processes.

For what only shows between processes (shared limits, races between instances,
outages): each `ServedProvider` is one instance on its own loopback port, built from
settings as environment variables; several may share one database and Redis. It has
an in-process app on the same database (``.app``) for set-up and inspection, so
``tests.support.live.new_directory`` works with it as with the threaded live server.

``server="granian"`` (the default) runs the README's production command, ``python -m
idp run``; ``server="gunicorn"`` runs ``gunicorn -c python:idp.gunicorn_conf
'idp:create_app()'``, the other supported way, where a test needs gunicorn's own logs.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import Flask

from idp import create_app
from idp.storage.migrate import upgrade_schema

from .live import TEST_SETTINGS, free_port
from .tls import make_certificate

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_SECRET = "production-test-secret-key-0123456789abcdef"  # noqa: S105

#: What production mode needs besides its defaults: https, a real secret, OWASP's argon2.
PRODUCTION = {"IDP_ENV": "production", "IDP_SECRET_KEY": PRODUCTION_SECRET,
              "IDP_ARGON2_MEMORY_KIB": 19456, "IDP_ARGON2_TIME_COST": 2}


SERVERS = ("granian", "gunicorn")


def worker_pids(master: int) -> list[int]:
    """Return the pids of a server's worker processes (the children of its main process)."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in text.split()]


def process_state(pid: int) -> tuple[str, int] | None:
    """Return a process's state letter and parent pid from /proc, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, parent = stat[stat.rindex(")") + 2:].split()[:2]
    return state, int(parent)


def running(pid: int) -> bool:
    """Say whether a process is still running (a zombie has ended; only its entry is left)."""
    found = process_state(pid)
    return found is not None and found[0] != "Z"


def _orphaned(pid: int) -> bool:
    """Say whether `pid` is still a worker of a server, its main process gone (parent 1)."""
    found = process_state(pid)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return found is not None and found[1] == 1 and (b"idp" in command or b"gunicorn" in command)


@dataclass(frozen=True)
class Served:
    """One request as the server's access log has it: which worker process answered."""

    worker: str
    method: str
    path: str
    status: str


# `idp run`'s text lines name the worker's pid; granian's access line follows.
_GRANIAN_ACCESS = re.compile(
    r"^\S+ \S+ \[(?P<worker>\d+)\] \[INFO\] granian\.access: .*?\"(?P<method>[A-Z]+) "
    r"(?P<path>\S+) [^\"]*\" (?P<status>\d{3})", re.MULTILINE)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


class ServedProvider:
    """One provider instance: `server` with `workers` processes of `threads` threads.

    `settings` are ``IDP_*`` keys (values of any type; they go to the environment as
    strings). With ``tls=True`` the server serves https with a self-signed certificate
    for localhost, and the base URL is ``https://localhost:PORT``; ``verify`` is then the
    certificate to trust. With ``migrate=False`` the schema is left to the test
    (``idp init`` races, say). stdout and stderr are kept apart (``stderr()``), and
    ``log()`` is both. With ``error_logfile=True`` (gunicorn only) gunicorn writes its
    error log to a file of its own (``error_log()``). With ``access_log=True`` the server
    logs every request with the worker that answered it (``served()``). `args` are more
    options of the server's command. `environ` is more of the server's environment
    besides the settings (``PROMETHEUS_MULTIPROC_DIR``, say).
    """

    def __init__(self, settings: dict[str, Any], *, server: str = "granian",
                 workers: int = 2, threads: int = 4,
                 tls: bool = False, port: int | None = None, migrate: bool = True,
                 error_logfile: bool = False, access_log: bool = False,
                 args: tuple[str, ...] = (), environ: dict[str, str] | None = None):
        assert server in SERVERS, server
        assert server == "gunicorn" or not error_logfile, "an error log file is gunicorn's"
        self.server = server
        self.access_log = access_log
        self.port = port or free_port()
        self.tls = tls
        self.workers = workers
        self.threads = threads
        self.args = args
        self.environ = dict(environ or {})
        self._tmp = Path(tempfile.mkdtemp(prefix=f"idp-{server}-"))
        self.verify: str | bool = True
        host = "localhost" if tls else "127.0.0.1"
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{host}:{self.port}"
        self.settings = {**TEST_SETTINGS, "IDP_BASE_URL": self.url, **settings}
        self.cert: Path | None = None
        self.key: Path | None = None
        if tls:
            self.cert, self.key = make_certificate(self._tmp / "tls")
            self.verify = str(self.cert)
        self.app: Flask = create_app(dict(self.settings))
        if migrate:
            with self.app.app_context():
                upgrade_schema()
        self.log_path = self._tmp / "stdout.log"
        self.error_log_path = self._tmp / "error.log" if error_logfile else None
        self.stderr_path = self._tmp / "stderr.log"
        self.access_path = self._tmp / "access.log"
        self.process: subprocess.Popen | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def environment(self) -> dict[str, str]:
        """Return the environment the workers run with: this one plus the settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
        env.update({key: str(value) for key, value in self.settings.items()})
        env.update(self.environ)
        env["PYTHONPATH"] = str(ROOT)
        return env

    def command(self) -> list[str]:
        if self.server == "granian":
            return self._granian_command()
        command = [sys.executable, "-m", "gunicorn", "-c", "python:idp.gunicorn_conf",
                   "-w", str(self.workers),
                   "--threads", str(self.threads), "--worker-class", "gthread",
                   "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
                   "--log-level", "info",
                   # gunicorn's control socket is one path per machine: instances run side by
                   # side in the tests, so none opens it.
                   "--no-control-socket"]
        if self.tls:
            command += ["--certfile", str(self.cert), "--keyfile", str(self.key)]
        if self.error_log_path is not None:
            command += ["--error-logfile", str(self.error_log_path)]
        if self.access_log:
            command += ["--access-logfile", str(self.access_path),
                        "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"]
        return [*command, *self.args, "idp:create_app()"]

    def _granian_command(self) -> list[str]:
        """The README's production command, ``idp run``."""
        command = [sys.executable, "-m", "idp", "run", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(self.workers),
                   "--threads", str(self.threads), "--log-level", "info"]
        if self.tls:
            command += ["--certfile", str(self.cert), "--keyfile", str(self.key)]
        if self.access_log:
            command += ["--access-log"]
        return [*command, *self.args]

    def start(self, timeout: float = 60) -> ServedProvider:
        """Start the server and wait until every worker answers (stopped again if it does not)."""
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> ServedProvider:
        with open(self.log_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.process = subprocess.Popen(self.command(), env=self.environment(), cwd=ROOT,
                                            stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.server} exited:\n{self.log()[-3000:]}")
            try:
                ready = requests.get(self.url + "/", timeout=5, verify=self.verify).status_code
            except (requests.ConnectionError, requests.Timeout):  # workers still booting
                ready = None
            if ready is not None and ready < 500 and \
                    len(worker_pids(self.process.pid)) >= self.workers:
                return self
            time.sleep(0.1)
        raise RuntimeError(
            f"{self.server} did not answer within {timeout} s:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period), and any worker of
        it still running after its main process ended (one a killed main process left)."""
        if self.process is None or self.process.poll() is not None:
            return
        workers = worker_pids(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in workers:
            if _orphaned(pid):
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                    os.kill(pid, signal.SIGKILL)

    def __enter__(self) -> ServedProvider:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        with self.app.app_context():
            from idp.storage import db

            db.engine.dispose()

    def log(self) -> str:
        """Return everything the server and its workers wrote (stdout, stderr and the error
        log file)."""
        return _read(self.log_path) + _read(self.stderr_path) + \
            (_read(self.error_log_path) if self.error_log_path else "")

    def error_log(self) -> str:
        """Return gunicorn's error log file (with ``error_logfile=True``)."""
        assert self.error_log_path is not None, "started without error_logfile=True"
        return _read(self.error_log_path)

    def stderr(self) -> str:
        """Return what the server and its workers wrote to stderr."""
        return _read(self.stderr_path)

    def served(self) -> list[Served]:
        """Return the requests answered so far (``access_log=True``), in the order logged."""
        assert self.access_log, "started without access_log=True"
        if self.server == "gunicorn":
            return [Served(*line.split()[:4]) for line in _read(self.access_path).splitlines()
                    if len(line.split()) >= 4]
        return [Served(match["worker"], match["method"], match["path"], match["status"])
                for match in _GRANIAN_ACCESS.finditer(self.stderr())]

    def http(self) -> requests.Session:
        """Return a requests session that trusts this instance's certificate."""
        session = requests.Session()
        session.verify = self.verify
        # REQUESTS_CA_BUNDLE in the environment would override the session's verify.
        session.trust_env = False
        return session
