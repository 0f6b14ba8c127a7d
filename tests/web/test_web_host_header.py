"""No Host header value makes the provider answer 500 or log a traceback (any mode)."""

from __future__ import annotations

import logging

import pytest

from tests.support.raw_http import raw_request

HOSTILE_HOSTS = {
    "empty": b"",
    "foreign": b"evil.example",
    "foreign with a port": b"evil.example:8443",
    "another port": b"127.0.0.1:1",
    "very long": b"a" * 4000 + b".example",
    "label longer than 63": b"a" * 64 + b".example",
    "control character": b"local\x01host",
    "space": b"local host",
    "not ascii": "ex\u00e4mple.org".encode(),
    "bracket not closed": b"[::1",
    "empty labels": b"..",
}
MALFORMED = {"empty", "very long", "label longer than 63", "control character", "space",
             "not ascii", "bracket not closed", "empty labels"}

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def endpoints(slug: str) -> list[tuple[str, str, bytes, dict[str, str]]]:
    return [
        ("POST", f"/d/{slug}/token", b"grant_type=authorization_code&code=x", FORM),
        ("POST", f"/d/{slug}/revoke", b"token=x", FORM),
        ("POST", f"/d/{slug}/introspect", b"token=x", FORM),
        ("GET", f"/d/{slug}/userinfo", b"", {"Authorization": "Bearer x"}),
        ("GET", f"/d/{slug}/authorize?response_type=code&client_id=x", b"", {}),
        ("GET", "/", b"", {}),
    ]


@pytest.mark.parametrize("name", HOSTILE_HOSTS)
def test_a_hostile_host_gets_a_proper_answer_and_no_traceback(live, directory, caplog, name):
    port = int(live.url.rsplit(":", 1)[1])
    with caplog.at_level(logging.WARNING):
        for method, target, body, headers in endpoints(directory.slug):
            response = raw_request(port, method, target, HOSTILE_HOSTS[name], body=body,
                                   headers=headers)

            assert response.status < 500, f"{method} {target}: {response.status}"
            assert "Traceback" not in response.text
            if name in MALFORMED:
                assert response.status == 400, f"{method} {target}: {response.status}"
    assert not [record for record in caplog.records if record.exc_info], \
        [record.getMessage() for record in caplog.records]
