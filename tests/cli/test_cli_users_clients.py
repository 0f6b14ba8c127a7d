"""`idp user add` and `idp client add`: what they create, and one clear line when they refuse."""

from __future__ import annotations

import json
import re

import pytest
from joserfc.jwk import ECKey

from idp.security.tokens import secret_matches
from idp.services import services
from idp.tenants.accounts import find_user
from idp.tenants.clients import get_client
from idp.tenants.directories import get_directory
from tests.cli.helpers import provider, run_idp

PASSWORD = "a long enough password"


def test_user_add_reads_the_password_from_stdin(any_database, idp):
    idp(any_database, "init").assert_ok()

    run = run_idp(any_database, "user", "add", "--directory", "default", "--username", "carol",
                  "--email", "carol@example.org", "--phone", "+31612345678", "--admin",
                  stdin=PASSWORD + "\n").assert_ok()
    again = idp(any_database, "user", "add", "--directory", "default", "--username", "CAROL",
                stdin=PASSWORD + "\n")

    assert re.match(r"Added user carol \(sub \S+\) to default\.", run.stdout), run.stdout
    assert PASSWORD not in run.stdout + run.stderr
    again.assert_one_line_error("already exists")
    with provider(any_database):
        user = find_user(get_directory("default"), "carol@example.org")
        assert user.username == "carol"
        assert user.phone == "+31612345678"
        assert user.is_admin
        assert services().passwords.verify(user.password_hash, PASSWORD)
        assert PASSWORD not in user.password_hash


def test_user_add_without_admin_makes_an_ordinary_user(initialized, idp):
    idp(initialized, "user", "add", "--directory", "default", "--username", "dave",
        "--phone", "+1 650 253 0000", stdin=PASSWORD).assert_ok()

    with provider(initialized):
        user = find_user(get_directory("default"), "dave")
        assert not user.is_admin
        assert user.phone == "+16502530000", "numbers from any country, stored in E.164"
        assert user.email is None


USER_ERRORS = {
    "duplicate email": (["--username", "erin2", "--email", "ERIN@example.org"], PASSWORD,
                        "already exists"),
    "short password": (["--username", "frank"], "short", "8 characters"),
    "no password": (["--username", "frank"], "", "password"),
    "bad phone": (["--username", "frank", "--phone", "0612345678"], PASSWORD, "phone"),
    "impossible phone": (["--username", "frank", "--phone", "+31 1"], PASSWORD, "phone"),
    "bad email": (["--username", "frank", "--email", "frank@"], PASSWORD, "email"),
    "bad username": (["--username", "frank smith"], PASSWORD, "username"),
    "unknown directory": (["--username", "frank"], PASSWORD, "no directory"),
    "duplicate username": (["--username", "Erin"], PASSWORD, "already exists"),
    "control character in email": (["--username", "frank", "--email", "fr\x01nk@example.org"],
                                   PASSWORD, "email"),
}


def test_a_refused_user_is_one_line_on_stderr_and_exit_1(initialized):
    run = run_idp(initialized, "user", "add", "--directory", "default", "--username", "frank",
                  stdin="short\n")

    run.assert_one_line_error("8 characters")


@pytest.mark.parametrize("case", USER_ERRORS.values(), ids=USER_ERRORS.keys())
def test_user_add_refuses_bad_input_with_one_line(initialized, idp, case):
    args, stdin, fragment = case
    directory = "nowhere" if fragment == "no directory" else "default"
    idp(initialized, "user", "add", "--directory", "default", "--username", "erin",
        "--email", "erin@example.org", stdin=PASSWORD)

    run = idp(initialized, "user", "add", "--directory", directory, *args, stdin=stdin + "\n")

    run.assert_one_line_error(fragment)
    with provider(initialized):
        assert find_user(get_directory("default"), "frank") is None


def test_client_add_public_prints_no_secret(initialized):
    run = run_idp(initialized, "client", "add", "--directory", "default", "--client-id", "spa",
                  "--redirect-uri", "https://spa.example.org/cb",
                  "--redirect-uri", "http://127.0.0.1:8080/cb", "--min-acr", "40",
                  "--public").assert_ok()

    assert "client_id: spa" in run.stdout
    assert "secret" not in run.stdout.replace("no secret", "")
    with provider(initialized):
        client = get_client(get_directory("default"), "spa")
        assert client.public and client.secret_hash is None
        assert client.min_acr == 40
        assert client.redirect_uris == ["https://spa.example.org/cb", "http://127.0.0.1:8080/cb"]


def test_client_add_confidential_prints_its_secret_once(initialized):
    run = run_idp(initialized, "client", "add", "--directory", "default", "--client-id", "web",
                  "--redirect-uri", "https://web.example.org/callback").assert_ok()

    secret = re.search(r"^client_secret: (\S+)$", run.stdout, re.M)
    assert secret and len(secret.group(1)) >= 32, run.stdout
    with provider(initialized):
        client = get_client(get_directory("default"), "web")
        assert not client.public and client.min_acr is None
        assert secret_matches(secret.group(1), client.secret_hash)
        assert secret.group(1) not in client.secret_hash


@pytest.mark.parametrize(("flag", "attribute"), [
    ("--introspect-all", "introspect_all"),  # a resource server
    ("--jwt-access-tokens", "jwt_access_tokens"),  # RFC 9068 access tokens
    ("--pairwise-subject", "pairwise_subject"),  # a sub of its own (OIDC Core 8.1)
    ("--require-par", "require_par"),  # pushed authorization requests (RFC 9126)
    ("--require-dpop", "require_dpop"),  # sender-constrained tokens (RFC 9449)
    ("--device-grant", "device_grant"),  # signs in devices with a code (RFC 8628)
])
def test_client_add_flags_set_their_choice_on_that_client_only(initialized, idp, flag,
                                                               attribute):
    chosen, plain = f"with-{flag[2:]}", f"without-{flag[2:]}"
    idp(initialized, "client", "add", "--directory", "default", "--client-id", chosen,
        "--redirect-uri", "https://api.example.org/cb", flag).assert_ok()
    idp(initialized, "client", "add", "--directory", "default", "--client-id", plain,
        "--redirect-uri", "https://app.example.org/cb").assert_ok()

    with provider(initialized):
        assert getattr(get_client(get_directory("default"), chosen), attribute)
        assert not getattr(get_client(get_directory("default"), plain), attribute)


def test_client_add_service_account_gets_its_admin_scopes_and_needs_no_redirect_uri(
        initialized, idp):
    run = idp(initialized, "client", "add", "--directory", "default", "--client-id", "sync",
              "--service-account", "admin:audit,admin:users").assert_ok()

    assert re.search(r"^client_secret: \S{32,}$", run.stdout, re.M), run.stdout
    with provider(initialized):
        client = get_client(get_directory("default"), "sync")
        assert client.service_account and client.redirect_uris == []
        assert client.service_scopes == "admin:users admin:audit"
        assert not client.public


def test_client_add_device_app_needs_no_redirect_uri(initialized, idp):
    idp(initialized, "client", "add", "--directory", "default", "--client-id", "tv",
        "--public", "--device-grant").assert_ok()

    with provider(initialized):
        client = get_client(get_directory("default"), "tv")
        assert client.device_grant and client.public and client.redirect_uris == []


CLIENT_ERRORS = {
    "http off loopback": (["--client-id", "c1", "--redirect-uri", "http://rp.example.org/cb"],
                          "loopback"),
    "javascript": (["--client-id", "c2", "--redirect-uri", "javascript:alert(1)"], "redirect"),
    "fragment": (["--client-id", "c3", "--redirect-uri", "https://rp.example.org/cb#x"],
                 "redirect"),
    "relative": (["--client-id", "c4", "--redirect-uri", "/cb"], "redirect"),
    "bad client id": (["--client-id", "has space", "--redirect-uri", "https://a.example/cb"],
                      "client id"),
    "duplicate": (["--client-id", "taken", "--redirect-uri", "https://a.example/cb"],
                  "already exists"),
    "negative min acr": (["--client-id", "c5", "--redirect-uri", "https://a.example/cb",
                          "--min-acr", "-1"], "acr"),
    "unknown directory": (["--client-id", "c6", "--redirect-uri", "https://a.example/cb"],
                          "no directory"),
    "public introspecting": (["--client-id", "c7", "--redirect-uri", "https://a.example/cb",
                              "--public", "--introspect-all"], "introspect"),
    "no redirect uri": (["--client-id", "c8"], "redirect URI"),
    "public service account": (["--client-id", "c9", "--public",
                                "--service-account", "admin:users"], "service account"),
    "unknown admin scope": (["--client-id", "c10", "--service-account", "admin:users,root"],
                            "admin scope"),
}


def test_a_refused_client_is_one_line_on_stderr_and_exit_1(initialized):
    run = run_idp(initialized, "client", "add", "--directory", "default", "--client-id", "c1",
                  "--redirect-uri", "http://rp.example.org/cb")

    run.assert_one_line_error("loopback")


@pytest.mark.parametrize("case", CLIENT_ERRORS.values(), ids=CLIENT_ERRORS.keys())
def test_client_add_refuses_bad_input_with_one_line(initialized, idp, case):
    args, fragment = case
    directory = "nowhere" if fragment == "no directory" else "default"
    idp(initialized, "client", "add", "--directory", "default", "--client-id", "taken",
        "--redirect-uri", "https://a.example/cb")

    run = idp(initialized, "client", "add", "--directory", directory, *args)

    run.assert_one_line_error(fragment)
    with provider(initialized):
        assert args[1] == "taken" or get_client(get_directory("default"), args[1]) is None


@pytest.mark.parametrize("uri", ["http://localhost:3000/cb", "http://[::1]:3000/cb",
                                 "http://127.0.0.1/cb", "https://rp.example.org/cb?x=1"])
def test_http_redirect_uris_are_allowed_on_loopback(initialized, idp, uri):
    client_id = "ok-" + "".join(ch for ch in uri if ch.isalnum())[-20:]

    idp(initialized, "client", "add", "--directory", "default", "--client-id", client_id,
        "--redirect-uri", uri, "--public").assert_ok()


def test_client_add_registers_the_apps_keys_and_back_channel_logout_uri(initialized, idp, tmp_path):
    key = ECKey.generate_key("P-256", auto_kid=True)
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    idp(initialized, "client", "add", "--directory", "default", "--client-id", "keyed",
        "--redirect-uri", "https://api.example.org/cb", "--jwks", str(keys),
        "--private-key-jwt", "--backchannel-logout-uri", "https://api.example.org/bye"
        ).assert_ok()
    idp(initialized, "client", "add", "--directory", "default", "--client-id", "keyless",
        "--redirect-uri", "https://api.example.org/cb", "--private-key-jwt"
        ).assert_one_line_error("private_key_jwt")
    keys.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    idp(initialized, "client", "add", "--directory", "default", "--client-id", "leaky",
        "--redirect-uri", "https://api.example.org/cb", "--jwks", str(keys)
        ).assert_one_line_error("private key")

    with provider(initialized):
        keyed = get_client(get_directory("default"), "keyed")
        assert keyed.private_key_jwt and keyed.jwks["keys"][0]["kid"] == key.kid
        assert keyed.backchannel_logout_uri == "https://api.example.org/bye"
        assert get_client(get_directory("default"), "keyless") is None
        assert get_client(get_directory("default"), "leaky") is None
