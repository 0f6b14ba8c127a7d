"""gunicorn settings of the provider: ``gunicorn -c python:idp.gunicorn_conf ...``.

Only hooks: the workers, threads and address stay on the command line. With
``PROMETHEUS_MULTIPROC_DIR`` set (see ``idp.observability.metrics``) the workers count
metrics in files of that folder; the master empties it when it starts, so an instance
does not add up a previous run's counts, and forgets the live gauges of each worker
that ends.
"""

from __future__ import annotations

from typing import Any


def on_starting(_server: Any) -> None:
    """Empty the multiprocess folder of a previous run (the master, before any worker)."""
    from idp.observability.metrics import empty_multiprocess_folder

    empty_multiprocess_folder()


def child_exit(_server: Any, worker: Any) -> None:
    """Forget the live gauges of a worker that ended (prometheus-client multiprocess)."""
    from idp.observability.metrics import forget_process

    forget_process(worker.pid)
