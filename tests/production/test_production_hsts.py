"""Strict-Transport-Security: production over https says it; development over http does not."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support.live import build_live, new_directory

YEAR = 365 * 24 * 3600


def max_age(header: str) -> int:
    found = re.fullmatch(r"max-age=(\d+)(;.*)?", header)
    assert found, header
    return int(found.group(1))


@pytest.mark.parametrize("path", [
    "/", "/d/{slug}/.well-known/openid-configuration", "/d/{slug}/jwks",
    "/d/{slug}/authorize?client_id=nobody", "/d/{slug}/no-such-page", "/healthz"])
def test_production_over_https_sends_strict_transport_security_of_a_year(
        https_provider, https_directory, path):
    response = https_provider.http().get(
        https_provider.url + path.format(slug=https_directory.slug), allow_redirects=False,
        timeout=30)

    assert response.url.startswith("https://")
    header = response.headers.get("Strict-Transport-Security")
    assert header, f"{response.status_code} {path}: no Strict-Transport-Security"
    assert max_age(header) >= YEAR
    assert "preload" not in header and "includesubdomains" not in header.lower()


def test_development_over_http_sends_no_strict_transport_security(database_url_factory):
    server = build_live(database_url_factory("sqlite"), IDP_ENV="development")
    try:
        slug = new_directory(server).slug
        for path in ("/", f"/d/{slug}/.well-known/openid-configuration", f"/d/{slug}/jwks"):
            response = requests.get(server.url + path, timeout=30)
            assert response.status_code == 200
            assert "Strict-Transport-Security" not in response.headers, path
    finally:
        server.stop()
