"""The production server: ``idp run``, granian's WSGI server serving ``idp:create_app()``.

granian (a Rust HTTP server with a WSGI interface) was measured against gunicorn's
gthread and sync workers under the same load (``bench/compare.py --server``): it spends
about 25 µs of CPU per request of its own where gunicorn's gthread worker spends about
120, so discovery and JWKS, answered from memory, go from about 11,000 to about 42,000
per second on 2 cores, and every other endpoint gains 10–40 %. It streams request
bodies (the app refuses an oversized one before it is read), respawns a worker that
died, and stops gracefully on SIGTERM.

What an operator would otherwise have to remember is set here, once: the interface and
factory, no websockets, respawning, a bounded graceful stop, the logging of the
provider and of granian in one format (``IDP_LOG_FORMAT``) on standard error, a
fresh ``PROMETHEUS_MULTIPROC_DIR`` at every start, huge pages for the blocks of
password hashes (``tuned_environment``), and workers that end with the main process
(``end_with_main_process``). Settings are read and checked before
any worker starts, so a wrong one is one line, not a crash loop of workers.

gunicorn still serves the same app (``gunicorn -c python:idp.gunicorn_conf ...``).
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from sqlalchemy.orm import configure_mappers

from .config import Settings, load_settings
from .observability.logs import provider_levels
from .observability.metrics import empty_multiprocess_folder

#: How long a stopping worker may finish the requests it has before it is killed.
GRACEFUL_STOP_SECONDS = 30

#: prctl's option that asks for a signal when the parent ends (linux/prctl.h).
PR_SET_PDEATHSIG = 1

#: The main process of `idp run`, once it serves; its workers are forked from it.
_main_pid: int | None = None

#: glibc's tunable (2.35 and later) that backs each block of 2 MiB or more it maps with
#: transparent huge pages (``madvise``), set by ``idp run`` unless GLIBC_TUNABLES is.
HUGE_PAGE_BLOCKS = "glibc.malloc.hugetlb=1"


@dataclass(frozen=True)
class ServerOptions:
    """Where and how many: the command line of ``idp run``."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 4
    log_level: str = "info"
    access_log: bool = False
    certfile: Path | None = None
    keyfile: Path | None = None


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """Return the logging of every worker (``logging.config.dictConfig``): granian's own
    lines and the provider's on standard error, as text or as JSON lines."""
    formatter = {"()": "idp.observability.logs.JsonFormatter"} if log_format == "json" else {
        "format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "lines",
               "stream": "ext://sys.stderr"}
    base = logging.getLevelName(level.upper())
    loggers: dict[str, Any] = {
        "_granian": {"handlers": ["stderr"], "level": base, "propagate": False},
        "granian.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False}}
    for name, logger_level in provider_levels(base, log_format).items():
        loggers[name] = {"level": logger_level}
        if "." not in name:
            loggers[name].update(handlers=["stderr"], propagate=False)
    return {"version": 1, "disable_existing_loggers": False,
            "formatters": {"lines": formatter}, "handlers": {"stderr": handler},
            "loggers": loggers}


class ServerError(Exception):
    """The server cannot start as asked; the message says why."""


def check_options(options: ServerOptions) -> None:
    """Refuse, in one line, what would stop granian with a traceback: an address this
    process cannot listen on (taken, or not its own), a certificate or key it cannot
    read."""
    for path in (options.certfile, options.keyfile):
        if path is not None and not os.access(path, os.R_OK):
            raise ServerError(f"cannot read {path}")
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((options.host, options.port))
        except OSError as exc:
            raise ServerError(f"cannot listen on {options.host} port {options.port}: "
                              f"{exc.strerror or exc}") from exc


def tuned_environment(environ: Mapping[str, str], libc: str | None) -> dict[str, str] | None:
    """Return the environment ``idp run`` starts over in, or None to go on as it is.

    The app gives argon2id's 19 MiB blocks back to the system after every password hash
    (``idp.app``), so every hash maps its block afresh: with 4 KiB pages that is 4,865 page
    faults, about 4 ms of system CPU on top of about 18.5 ms of hashing. Huge pages make
    them a few hundred, and a hash costs about what it costs when glibc keeps the block
    (``bench/bench_password_hash.py``); the block still goes back when the hash is done.
    glibc reads its tunables only when a process starts, so the server starts over in this
    environment before it forks any worker. An operator's own GLIBC_TUNABLES is left as it
    is, and so is any other C library (`libc` is ``os.confstr("CS_GNU_LIBC_VERSION")``).
    """
    if not (libc or "").startswith("glibc ") or "GLIBC_TUNABLES" in environ:
        return None
    return {**environ, "GLIBC_TUNABLES": HUGE_PAGE_BLOCKS}


def _libc() -> str | None:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):
        return None


def start_over_tuned() -> None:
    """Replace this process with itself in ``tuned_environment``, if that differs (the same
    pid, interpreter and arguments)."""
    environment = tuned_environment(os.environ, _libc())
    if environment is None:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]],  # noqa: S606
                  environment)
    except OSError:
        return  # no interpreter to start over with: serve as it is


def build_server(options: ServerOptions, settings: Settings) -> Any:
    """Return the granian server of `options`, not yet serving."""
    from granian import Granian
    from granian.constants import Interfaces
    from granian.log import LogLevels

    tls: dict[str, Any] = {}
    if options.certfile is not None:
        tls = {"ssl_cert": options.certfile, "ssl_key": options.keyfile}
    return Granian(
        "idp.production:worker_app", factory=True, interface=Interfaces.WSGI,
        address=options.host, port=options.port, workers=options.workers,
        blocking_threads=options.threads, websockets=False,
        respawn_failed_workers=True, workers_kill_timeout=GRACEFUL_STOP_SECONDS,
        log_level=LogLevels(options.log_level), log_access=options.access_log,
        log_dictconfig=logging_config(settings.log_format, options.log_level), **tls)


def worker_app() -> Any:
    """Return ``idp.create_app()`` for a worker of `idp run`, which ends with the main
    process (``end_with_main_process``)."""
    from . import create_app

    end_with_main_process()
    return create_app()


def end_with_main_process() -> None:
    """In a worker forked by `idp run`: have the kernel send SIGTERM when the main process
    ends, so that a worker never outlives it.

    A worker left behind by a killed main process (the OOM killer, a supervisor's SIGKILL)
    would keep the listening socket, and a new `idp run` could not listen on its port
    until someone found the worker and ended it. A main process that ended before the
    signal was asked for is seen here (the worker's parent changed) and ends the worker
    at once. Elsewhere (another server, another system) this does nothing.

    Until granian sets the worker's own handler, once the app is built, SIGTERM is given
    its default action again: the worker inherits the main process's handler, which would
    take the signal and leave the worker running.
    """
    if _main_pid is None or os.getpid() == _main_pid or not sys.platform.startswith("linux"):
        return
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != _main_pid:
        os.kill(os.getpid(), signal.SIGTERM)


def share_what_workers_import() -> None:
    """Import the provider's code here, before the workers are forked from this process,
    and move every object made so far out of the garbage collector's sight.

    The workers then share those pages with this process and each other instead of each
    holding a copy; ``gc.freeze`` keeps a collection in a worker from writing to (and so
    copying) them. Nothing that holds a connection or a thread is made here: each worker
    builds its own app (database pool, Redis client) after the fork.
    """
    import_module("idp.app")
    configure_mappers()  # the ORM's mapping of every model, made once
    gc.collect()
    gc.freeze()


def run(options: ServerOptions) -> None:
    """Check the settings and options, empty the metrics folder and serve until SIGTERM
    or SIGINT."""
    global _main_pid
    settings = Settings.from_mapping(load_settings())
    check_options(options)
    empty_multiprocess_folder()
    share_what_workers_import()
    _main_pid = os.getpid()
    build_server(options, settings).serve()
