"""A request for another host than IDP_BASE_URL's gets a plain 400 in production, at once."""

from __future__ import annotations

import pytest
from flask import Flask

from idp import create_app
from tests.support.live import TEST_SETTINGS
from tests.support.raw_http import raw_request
from tests.support.served import PRODUCTION

# {port} is the instance's own port.
HOSTILE_HOSTS = {
    "empty": b"",
    "absent": None,
    "foreign": b"evil.example",
    "foreign with our port": b"evil.example:{port}",
    "our name on another port": b"localhost:1",
    "our address instead of our name": b"127.0.0.1:{port}",
    "very long": b"a" * 4000 + b".example",
    "label longer than 63": b"a" * 64 + b".example:{port}",
    "control character": b"local\x01host:{port}",
    "space": b"local host:{port}",
    "not ascii": "l\u043ecalhost:{port}".encode(),  # a Cyrillic o
    "port out of range": b"localhost:99999",
}

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def endpoints(slug: str) -> list[tuple[str, str, bytes, dict[str, str]]]:
    return [
        ("POST", f"/d/{slug}/token", b"grant_type=authorization_code&code=x", FORM),
        ("POST", f"/d/{slug}/revoke", b"token=x", FORM),
        ("POST", f"/d/{slug}/introspect", b"token=x", FORM),
        ("GET", f"/d/{slug}/userinfo", b"", {"Authorization": "Bearer x"}),
        ("GET", f"/d/{slug}/authorize?response_type=code&client_id=x", b"", {}),
        ("GET", "/", b"", {}),
        ("GET", f"/d/{slug}/account/", b"", {}),
    ]


def host_value(template: bytes | None, port: int) -> bytes | None:
    return None if template is None else template.replace(b"{port}", str(port).encode())


@pytest.mark.parametrize("host", HOSTILE_HOSTS.values(), ids=HOSTILE_HOSTS.keys())
def test_a_request_for_another_host_is_a_plain_400_without_a_traceback(
        https_provider, https_directory, host):
    value = host_value(host, https_provider.port)
    for method, target, body, headers in endpoints(https_directory.slug):
        response = raw_request(https_provider.port, method, target, value, body=body,
                               headers=headers, cafile=str(https_provider.cert))

        assert response.status == 400, f"{method} {target}: {response.status} {response.text}"
        # Ours is text/plain; the server refuses a control character in a header by itself,
        # with no body.
        assert "Bad Request" in response.text or response.text == "", response.text
        assert "Traceback" not in response.text
    assert "Traceback" not in https_provider.log()


def test_our_own_host_is_served(https_provider, https_directory):
    target = f"/d/{https_directory.slug}/.well-known/openid-configuration"
    for host in (f"localhost:{https_provider.port}", f"LOCALHOST:{https_provider.port}"):
        response = raw_request(https_provider.port, "GET", target, host.encode(),
                               cafile=str(https_provider.cert))
        assert response.status == 200, response.text


def test_load_balancer_probes_by_address_are_answered(https_provider):
    for path in ("/healthz", "/readyz"):
        response = raw_request(https_provider.port, "GET", path,
                               f"127.0.0.1:{https_provider.port}".encode(),
                               cafile=str(https_provider.cert))
        assert response.status == 200, f"{path}: {response.text}"


def test_a_scraper_asking_by_address_gets_the_metrics(tmp_path):
    token = "t" * 32
    app = create_app({**TEST_SETTINGS, **PRODUCTION, "IDP_BASE_URL": "https://login.example",
                      "IDP_METRICS_TOKEN": token,
                      "IDP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    client = app.test_client()
    by_address = "https://10.0.0.5:8000"

    scraped = client.get("/metrics", base_url=by_address,
                         headers={"Authorization": f"Bearer {token}"})
    refused = client.get("/metrics", base_url=by_address)
    elsewhere = client.get("/", base_url=by_address)

    assert scraped.status_code == 200 and b"idp_http_requests_total" in scraped.data
    assert refused.status_code == 401
    assert elsewhere.status_code == 400


@pytest.fixture(scope="module")
def behind_a_proxy(tmp_path_factory) -> Flask:
    """A production app behind one trusted proxy (IDP_PROXY_COUNT=1), known as login.example."""
    return create_app({**TEST_SETTINGS, **PRODUCTION, "IDP_PROXY_COUNT": 1,
                       "IDP_BASE_URL": "https://login.example",
                       "IDP_DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('p')}/x.db"})


@pytest.mark.parametrize("forwarded, status", [
    ({"X-Forwarded-Host": "login.example", "X-Forwarded-Proto": "https"}, 200),
    ({"X-Forwarded-Host": "login.example:443", "X-Forwarded-Proto": "https"}, 200),
    ({"X-Forwarded-Host": "login.example", "X-Forwarded-Port": "443"}, 200),
    ({"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}, 400),
    ({"X-Forwarded-Host": "login.example", "X-Forwarded-Port": "8443"}, 400),
    ({}, 400),  # the proxy's own Host (internal:8000) is not the public one
], ids=["host", "host with default port", "forwarded port", "foreign", "another port",
        "not forwarded"])
def test_the_host_is_checked_as_the_trusted_proxy_forwarded_it(behind_a_proxy, forwarded,
                                                               status):
    response = behind_a_proxy.test_client().get(
        "/", headers={"Host": "internal:8000", **forwarded})

    assert response.status_code == status, response.get_data(as_text=True)[:200]
