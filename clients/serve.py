"""The command line the sample apps share: ``python -m clients.portal`` and
``python -m clients.api`` each take ``--host`` and ``--port`` and serve one app with
Flask's development server."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from flask import Flask


def serve(create: Callable[[], Flask], *, prog: str, description: str | None, port: int,
          argv: Sequence[str] | None = None) -> None:
    """Parse `argv` (the command line when None) for ``--host`` (127.0.0.1 by default) and
    ``--port`` (`port` by default), then serve the app `create` makes there, threaded,
    until interrupted. `prog` and `description` are what ``--help`` shows."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=port, help="port to listen on")
    args = parser.parse_args(argv)
    create().run(host=args.host, port=args.port, threaded=True)
