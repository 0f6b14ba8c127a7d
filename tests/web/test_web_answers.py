"""The app hands a body it holds in memory to the server as a list, which servers write at
once; a streamed body stays a stream."""

from __future__ import annotations

import pytest
from flask import Response, stream_with_context
from werkzeug.test import EnvironBuilder

from idp import create_app
from tests.support.live import TEST_SETTINGS

BASE_URL = "http://127.0.0.1:5000"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    path = tmp_path_factory.mktemp("answers") / "idp.sqlite3"
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": f"sqlite:///{path}",
                      "IDP_BASE_URL": BASE_URL})

    @app.get("/test-streamed")  # as the audit log's CSV export streams its rows
    def streamed():
        return Response(stream_with_context(iter([b"a", b"b"])), mimetype="text/plain")

    return app


def answer(app, path: str):
    environ = EnvironBuilder(path=path, base_url=BASE_URL).get_environ()
    said: list[str] = []
    return app(environ, lambda status, headers, exc_info=None: said.append(status)), said


def test_a_body_in_memory_is_handed_over_as_a_list(app):
    body, said = answer(app, "/healthz")
    assert said == ["200 OK"]
    assert isinstance(body, list) and b"".join(body) == b'{"status":"ok"}\n'


def test_a_streamed_body_is_handed_over_as_a_stream(app):
    body, said = answer(app, "/test-streamed")
    try:
        assert said == ["200 OK"] and not isinstance(body, list)
        assert b"".join(body) == b"ab"
    finally:
        body.close()
