"""/metrics in the process: what a scrape touches, what an outage counts, JSON log lines.

The scrapes of several workers adding up, and the token's refusals, are tested against
gunicorn itself (tests/production/test_production_observability.py).
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from idp import create_app
from tests.support.live import TEST_SETTINGS
from tests.support.sql import listening

TOKEN = "metrics-" + "fedcba9876543210" * 2
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
RAISED = {"database": lambda: PoolTimeout("QueuePool limit reached"),
          "redis": lambda: RedisConnectionError("Connection refused"),
          "bug": lambda: KeyError("unexpected")}


def build(**settings):
    """Return an app with a metrics token and extra views raising each error (one of them
    behind a route with a secret variable, as a reset link has)."""
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": "sqlite://",
                      "IDP_METRICS_TOKEN": TOKEN, **settings})
    for name, error in RAISED.items():
        def view(error=error, **_route_values):
            raise error()
        app.add_url_rule(f"/raise/{name}", f"raise_{name}", view)
        app.add_url_rule(f"/raise/{name}/<token>", f"raise_{name}_link", view)
    return app


@pytest.fixture(scope="module")
def client():
    return build().test_client()


def scrape(client) -> str:
    response = client.get("/metrics", headers=SCRAPER)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def value(text: str, line_start: str) -> float:
    found = [line for line in text.splitlines() if line.startswith(line_start + " ")]
    return float(found[0].rsplit(" ", 1)[1]) if found else 0.0


def test_a_scrape_runs_no_sql(client):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)
    with listening(client.application, before_cursor_execute=seen):
        scrape(client)

    assert statements == []


@pytest.mark.parametrize("service", ["database", "redis"])
def test_an_outage_answered_503_is_counted_by_service_and_endpoint(client, service):
    outages = f'idp_outages_total{{service="{service}"}}'
    requests = (f'idp_http_requests_total{{endpoint="raise_{service}",method="GET",'
                f'status="503"}}')
    before = scrape(client)

    assert client.get(f"/raise/{service}", buffered=True).status_code == 503

    after = scrape(client)
    assert value(after, outages) == value(before, outages) + 1
    assert value(after, requests) == value(before, requests) + 1


@pytest.fixture
def gunicorn_log():
    """A stand-in for gunicorn's error log, as the app finds it under gunicorn."""
    names = ("gunicorn.error", "idp", "idp.requests", "flask-limiter")
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level,
                    logging.getLogger(name).propagate) for name in names}
    stream = io.StringIO()
    error_log = logging.getLogger("gunicorn.error")
    error_log.handlers[:] = [logging.StreamHandler(stream)]
    error_log.setLevel(logging.WARNING)  # JSON request lines come out whatever the level
    error_log.propagate = False
    yield stream
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)


def test_under_gunicorn_errors_and_requests_are_json_lines(gunicorn_log):
    client = build(IDP_LOG_FORMAT="json").test_client()

    # buffered: the body read and closed, as a server does (the line is written then)
    assert client.get("/raise/bug?code=s3cret", buffered=True,
                      headers={"X-Request-ID": "r-1", "Cookie": "c=s3cret"}).status_code == 500

    lines = [json.loads(line) for line in gunicorn_log.getvalue().splitlines()]
    error, request = lines
    assert error["logger"] == "idp.web" and error["level"] == "error"
    assert "KeyError: 'unexpected'" in error["exception"]
    assert error["message"] == "unexpected error on GET /raise/bug"
    assert (request["logger"], request["endpoint"], request["path"], request["status"],
            request["request_id"]) == ("idp.requests", "raise_bug", "/raise/bug", 500, "r-1")
    assert "s3cret" not in gunicorn_log.getvalue()


def test_under_gunicorn_text_logs_have_no_request_lines(gunicorn_log):
    client = build().test_client()

    assert client.get("/raise/bug", buffered=True).status_code == 500

    text = gunicorn_log.getvalue()
    assert "unexpected error on GET /raise/bug" in text and not text.startswith("{")
    assert "/raise/bug 500" not in text


@pytest.mark.parametrize(("name", "status"), [("bug", 500), ("database", 503)])
def test_an_error_logged_on_a_link_with_a_token_leaves_the_token_out(client, caplog, name,
                                                                      status):
    with caplog.at_level(logging.WARNING, logger="idp"):
        assert client.get(f"/raise/{name}/s3cret-link-token", buffered=True).status_code == \
            status

    assert f"GET /raise/{name}/{{token}}" in caplog.text
    assert "s3cret-link-token" not in caplog.text
