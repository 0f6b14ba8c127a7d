"""`idp config`, and settings that production refuses before touching anything."""

from __future__ import annotations

import os
import socket

import pytest

from idp.config import DEV_SECRET_KEY, KEYS
from tests.cli.helpers import run_idp

STRONG_SECRET = "k" * 48
PRODUCTION = {"IDP_ENV": "production", "IDP_ARGON2_MEMORY_KIB": "19456",
              "IDP_ARGON2_TIME_COST": "2"}


def test_config_lists_every_key_with_its_default(sqlite_url):
    run = run_idp(sqlite_url, "config").assert_ok()

    for key in KEYS:
        assert f"{key.name} (default: " in run.stdout, key.name
    assert "IDP_DATABASE_URL" in run.stdout and "IDP_SMS_GATEWAY_URL" in run.stdout


def test_production_refuses_the_development_secret_key(sqlite_url, tmp_path):
    run = run_idp(sqlite_url, "init", **PRODUCTION, IDP_BASE_URL="https://login.example.org")

    run.assert_one_line_error("IDP_SECRET_KEY")
    assert not os.path.exists(tmp_path / "idp.sqlite3"), "nothing was created"


def test_production_refuses_an_http_base_url(sqlite_url):
    run = run_idp(sqlite_url, "init", **PRODUCTION, IDP_BASE_URL="http://login.example.org",
                  IDP_SECRET_KEY=STRONG_SECRET)

    run.assert_one_line_error("IDP_BASE_URL must be https://")


UNSAFE = {
    "development secret key": ({"IDP_SECRET_KEY": DEV_SECRET_KEY}, "IDP_SECRET_KEY"),
    "short secret key": ({"IDP_SECRET_KEY": "short"}, "IDP_SECRET_KEY"),
    "http base url": ({"IDP_BASE_URL": "http://login.example.org"}, "https"),
    "rate limits off": ({"IDP_RATE_LIMITS_ENABLED": "0"}, "rate limits"),
    "cheap password hashes": ({"IDP_ARGON2_MEMORY_KIB": "1024"}, "ARGON2"),
}


@pytest.mark.parametrize("case", UNSAFE.values(), ids=UNSAFE.keys())
def test_production_refuses_unsafe_settings_with_a_clear_message(sqlite_url, idp, case):
    env, fragment = case
    safe = {**PRODUCTION, "IDP_BASE_URL": "https://login.example.org",
            "IDP_SECRET_KEY": STRONG_SECRET}

    idp(sqlite_url, "init", **{**safe, **env}).assert_one_line_error(fragment)


def test_production_with_safe_settings_starts(sqlite_url):
    run = run_idp(sqlite_url, "init", **PRODUCTION, IDP_BASE_URL="https://login.example.org",
                  IDP_SECRET_KEY=STRONG_SECRET).assert_ok()

    assert "issuer https://login.example.org/d/default" in run.stdout


MALFORMED = {
    "unknown environment": ({"IDP_ENV": "staging"}, "IDP_ENV"),
    "not a number": ({"IDP_CODE_TTL_SECONDS": "a minute"}, "IDP_CODE_TTL_SECONDS"),
    "not a boolean": ({"IDP_RATE_LIMITS_ENABLED": "maybe"}, "IDP_RATE_LIMITS_ENABLED"),
    "not a url": ({"IDP_BASE_URL": "login.example.org"}, "IDP_BASE_URL"),
    "missing config file": ({"IDP_CONFIG_FILE": "/nonexistent/idp.env"}, "IDP_CONFIG_FILE"),
}


@pytest.mark.parametrize("case", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_settings_are_refused_with_a_clear_message(sqlite_url, idp, case):
    env, fragment = case

    idp(sqlite_url, "init", **env).assert_one_line_error(fragment)


def test_settings_can_come_from_a_config_file(sqlite_url, tmp_path, idp):
    config = tmp_path / "idp.env"
    config.write_text("IDP_BASE_URL=https://from-file.example.org\n")

    run = idp(sqlite_url, "init", IDP_CONFIG_FILE=str(config)).assert_ok()

    assert "issuer https://from-file.example.org/d/default" in run.stdout


def test_the_command_runs_with_a_metrics_folder_not_made_yet(sqlite_url, tmp_path):
    # As the README's production commands: `idp init` before gunicorn made the folder.
    folder = tmp_path / "not-yet" / "metrics"

    run_idp(sqlite_url, "init", PROMETHEUS_MULTIPROC_DIR=str(folder)).assert_ok()

    assert folder.is_dir()


@pytest.mark.parametrize("case", UNSAFE.values(), ids=UNSAFE.keys())
def test_run_refuses_unsafe_settings_before_any_worker_starts(sqlite_url, case):
    env, fragment = case
    safe = {**PRODUCTION, "IDP_BASE_URL": "https://login.example.org",
            "IDP_SECRET_KEY": STRONG_SECRET}

    run = run_idp(sqlite_url, "run", "--port", "1", "--workers", "1", **{**safe, **env})

    run.assert_one_line_error(fragment)


@pytest.mark.parametrize("args", [("--certfile", "cert.pem"), ("--keyfile", "key.pem"),
                                  ("--workers", "0"), ("--threads", "0")])
def test_run_refuses_options_that_cannot_serve(sqlite_url, args):
    run_idp(sqlite_url, "run", "--port", "1", *args).assert_one_line_error(args[0])


def test_run_refuses_an_address_in_use_in_one_line(sqlite_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])

        run = run_idp(sqlite_url, "run", "--port", port, "--workers", "1")

    run.assert_one_line_error(f"cannot listen on 127.0.0.1 port {port}")


def test_run_refuses_a_certificate_it_cannot_read(sqlite_url, tmp_path):
    key = tmp_path / "key.pem"
    key.write_text("not read: the certificate is missing")

    run = run_idp(sqlite_url, "run", "--port", "1", "--certfile", str(tmp_path / "no.pem"),
                  "--keyfile", str(key))

    run.assert_one_line_error("cannot read", "no.pem")
