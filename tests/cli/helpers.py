"""Run the ``idp`` command as operators do: a fresh process, settings from the environment."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass

from flask import Flask

from idp import create_app
from idp.cli import main
from idp.config import KEYS_BY_NAME
from idp.storage import db
from tests.support.live import TEST_SETTINGS

CHEAP = {"IDP_ENV": "testing", "IDP_ARGON2_MEMORY_KIB": "1024", "IDP_ARGON2_TIME_COST": "1"}


@dataclass
class Run:
    """What one run of ``idp`` printed and returned."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (f"idp {' '.join(self.args)} -> {self.returncode}\n"
                f"stdout: {self.stdout!r}\nstderr: {self.stderr!r}")

    def assert_ok(self) -> Run:
        assert self.returncode == 0, str(self)
        assert "Traceback" not in self.stderr + self.stdout, str(self)
        return self

    def assert_one_line_error(self, *fragments: str) -> Run:
        """Exit 1, one line on stderr naming the problem, no traceback, nothing on stdout."""
        assert self.returncode == 1, str(self)
        assert "Traceback" not in self.stderr + self.stdout, str(self)
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("idp: error: "), str(self)
        for fragment in fragments:
            assert fragment.lower() in lines[0].lower(), str(self)
        assert not self.stdout.strip(), str(self)
        return self


def run_idp(database_url: str, *args: str, stdin: str = "", cwd: str | None = None,
            **environment: str) -> Run:
    """Run ``python -m idp ARGS`` with only the given IDP_* settings in its environment."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("IDP_")}
    env.update(CHEAP, IDP_DATABASE_URL=database_url, **environment)
    done = subprocess.run([sys.executable, "-m", "idp", *args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=120, cwd=cwd, check=False)
    return Run(tuple(args), done.returncode, done.stdout, done.stderr)


def call_idp(monkeypatch, database_url: str, *args: str, stdin: str = "",
             **environment: str) -> Run:
    """Call the command's ``main`` in this process, with the same environment as `run_idp`.

    Much faster than a process: the tests use it to set up and for the long tables of
    refused input, and a process for every command's main case and one refusal each.
    """
    for key in KEYS_BY_NAME:
        monkeypatch.delenv(key, raising=False)
    for key, value in {**CHEAP, "IDP_DATABASE_URL": database_url, **environment}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = int(exc.code or 0)
    return Run(tuple(args), code, out.getvalue(), err.getvalue())


@contextmanager
def provider(database_url: str) -> Iterator[Flask]:
    """The app on the same database, in an app context, to look at what a command did."""
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": database_url})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def jwks(database_url: str) -> list[dict]:
    """Return the published keys of the default directory."""
    with provider(database_url) as app:
        response = app.test_client().get("/d/default/jwks")
        assert response.status_code == 200
        return response.get_json()["keys"]
