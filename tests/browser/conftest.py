"""Fixtures of the browser tests: Chromium through Playwright and the sample portal."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import pytest

from clients.api import create_api
from clients.portal import create_portal
from idp.clock import now
from idp.storage import db
from idp.tenants.clients import create_client
from idp.tenants.directories import get_directory
from tests.support.live import (
    TestClient,
    TestDirectory,
    loopback_listener,
    port_of,
    served,
)

CHROMIUM = "/usr/bin/chromium"
# Long enough for a slow machine, short enough that a missing element fails quickly.
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium shared by the session (Debian's, not Playwright's download)."""
    if not os.path.exists(CHROMIUM):
        message = f"browser tests need Chromium at {CHROMIUM}, which is not installed"
        if os.environ.get("IDP_REQUIRE_BROWSER"):  # CI: a missing browser is a failure
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser profile (no cookies) and a page in it, in English."""
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@dataclass
class Portal:
    """The sample portal serving on loopback, registered as a client of a directory."""

    url: str
    client: TestClient
    directory: TestDirectory
    # Extra pages served on the portal's origin (path -> HTML), e.g. a page framing the provider.
    extra_pages: dict[str, str] = field(default_factory=dict)


def with_extra_pages(app, pages: dict[str, str]):
    """Wrap a WSGI app so that it also serves the static HTML pages in `pages`."""

    def wsgi(environ, start_response):
        body = pages.get(environ.get("PATH_INFO", ""))
        if body is None:
            return app(environ, start_response)
        data = body.encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    return wsgi


def register_portal_client(directory: TestDirectory, portal_url: str,
                           jwt_access_tokens: bool = False) -> TestClient:
    """Register the portal as a confidential client: callback, "/" after logout and its
    back-channel logout endpoint (with `jwt_access_tokens`, RFC 9068 access tokens for the
    sample API)."""
    client_id = f"portal-{secrets.token_hex(4)}"
    redirect_uri = portal_url + "/callback"
    logout_uri = portal_url + "/"
    with directory.live.app.app_context():
        _client, secret = create_client(
            get_directory(directory.slug), client_id=client_id, name="Sample portal",
            redirect_uris=[redirect_uri], post_logout_redirect_uris=[logout_uri], now=now(),
            jwt_access_tokens=jwt_access_tokens,
            backchannel_logout_uri=portal_url + "/backchannel-logout")
        db.session.commit()
    client = TestClient(client_id, secret, redirect_uri, logout_uri)
    directory.clients[client_id] = client
    return client


@contextmanager
def serve_portal(directory: TestDirectory, host: str = "127.0.0.1",
                 api: bool = False, api_clock=now) -> Iterator[Portal]:
    """Serve the sample portal in a thread as a client of `directory`, known as `host`; with
    `api`, the sample API too (its time: `api_clock`), which the Invoices page calls."""
    with ExitStack() as stack:
        # Closed at the end if no server took them over (closing one twice does nothing).
        listener = stack.enter_context(loopback_listener())
        api_listener = stack.enter_context(loopback_listener())
        url = f"http://{host}:{port_of(listener)}"
        client = register_portal_client(directory, url, jwt_access_tokens=api)
        app = create_portal({
            "PORTAL_ISSUER": directory.issuer,
            "PORTAL_CLIENT_ID": client.client_id,
            "PORTAL_CLIENT_SECRET": client.secret,
            "PORTAL_BASE_URL": url,
            "PORTAL_SECRET_KEY": secrets.token_hex(32),
            "PORTAL_API_URL": f"http://127.0.0.1:{port_of(api_listener)}" if api else "",
        })
        pages: dict[str, str] = {}
        if api:
            stack.enter_context(served(create_api({"API_ISSUER": directory.issuer,
                                                   "API_AUDIENCE": client.client_id},
                                                  clock=api_clock), api_listener))
        stack.enter_context(served(with_extra_pages(app, pages), listener))
        yield Portal(url, client, directory, pages)


@pytest.fixture
def portal(directory) -> Iterator[Portal]:
    """The sample portal in a thread, as a client of the test's directory."""
    with serve_portal(directory) as running:
        yield running
