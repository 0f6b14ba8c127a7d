"""Settings: defaults, parsing, the config file, precedence, and what production refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from idp.config import (
    DEV_SECRET_KEY,
    KEYS,
    ConfigurationError,
    check_settings,
    describe_settings,
    load_settings,
)

STRONG_SECRET = "s" * 32
PRODUCTION = {
    "IDP_ENV": "production",
    "IDP_BASE_URL": "https://idp.example.org",
    "IDP_SECRET_KEY": STRONG_SECRET,
}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "idp.env"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- defaults -------------------------------------------------------------------------------


def test_without_configuration_every_key_has_its_default():
    settings = load_settings(environ={})
    assert settings == {key.name: key.default for key in KEYS}


@pytest.mark.parametrize(("name", "default"), [
    ("IDP_ENV", "development"),
    ("IDP_BASE_URL", "http://localhost:5000"),
    ("IDP_DATABASE_URL", "sqlite:///instance/idp.sqlite3"),
    ("IDP_SECRET_KEY", DEV_SECRET_KEY),
    ("IDP_REDIS_URL", ""),
    ("IDP_ARGON2_MEMORY_KIB", 19456),
    ("IDP_ARGON2_TIME_COST", 2),
    ("IDP_ARGON2_PARALLELISM", 1),
    ("IDP_SMTP_PORT", 587),
    ("IDP_RATE_LIMITS_ENABLED", True),
    ("IDP_CODE_TTL_SECONDS", 60),
    ("IDP_REFRESH_TOKEN_TTL_SECONDS", 30 * 86400),
    ("IDP_REFRESH_TOKEN_ABSOLUTE_TTL_SECONDS", 90 * 86400),
])
def test_the_documented_defaults(name, default):
    assert load_settings(environ={})[name] == default


def test_every_key_is_described():
    described = describe_settings()
    for key in KEYS:
        assert key.name in described
        assert key.doc


def test_the_development_defaults_pass_their_own_checks():
    check_settings({key.name: key.default for key in KEYS})


# --- parsing the environment ----------------------------------------------------------------


@pytest.mark.parametrize(("value", "parsed"), [("465", 465), ("0", 0), (" 25 ", 25)])
def test_integers_are_parsed_from_the_environment(value, parsed):
    assert load_settings(environ={"IDP_SMTP_PORT": value})["IDP_SMTP_PORT"] == parsed


@pytest.mark.parametrize("value", ["", "abc", "1.5", "0x10", "ten"])
def test_a_malformed_integer_is_refused_naming_the_key(value):
    with pytest.raises(ConfigurationError, match="IDP_SMTP_PORT"):
        load_settings(environ={"IDP_SMTP_PORT": value})


@pytest.mark.parametrize(("value", "parsed"), [
    ("1", True), ("true", True), ("TRUE", True), ("yes", True), ("On", True),
    ("0", False), ("false", False), ("False", False), ("no", False), ("off", False),
    ("", False),
])
def test_booleans_are_parsed_from_the_environment(value, parsed):
    settings = load_settings(environ={"IDP_RATE_LIMITS_ENABLED": value})
    assert settings["IDP_RATE_LIMITS_ENABLED"] is parsed


@pytest.mark.parametrize("value", ["maybe", "2", "enabled", "y e s"])
def test_a_malformed_boolean_is_refused_naming_the_key(value):
    with pytest.raises(ConfigurationError, match="IDP_RATE_LIMITS_ENABLED"):
        load_settings(environ={"IDP_RATE_LIMITS_ENABLED": value})


def test_other_environment_variables_are_ignored():
    settings = load_settings(environ={"PATH": "/bin", "IDP_TEST_BACKENDS": "sqlite",
                                      "HOME": "/root"})
    assert "PATH" not in settings and "IDP_TEST_BACKENDS" not in settings


@pytest.mark.parametrize("base", ["https://idp.example.org/", "https://idp.example.org///"])
def test_a_trailing_slash_is_removed_from_the_base_url(base):
    assert load_settings(environ={"IDP_BASE_URL": base})["IDP_BASE_URL"] == \
        "https://idp.example.org"


# --- the config file ------------------------------------------------------------------------


def test_a_config_file_is_read(tmp_path):
    path = write(tmp_path, "# the provider\nIDP_SMTP_HOST=mail.example.org\n"
                           "IDP_SMTP_PORT=465\nIDP_RATE_LIMITS_ENABLED=false\n")
    settings = load_settings(environ={"IDP_CONFIG_FILE": path})
    assert settings["IDP_SMTP_HOST"] == "mail.example.org"
    assert settings["IDP_SMTP_PORT"] == 465
    assert settings["IDP_RATE_LIMITS_ENABLED"] is False


def test_the_environment_overrides_the_config_file(tmp_path):
    path = write(tmp_path, "IDP_SMTP_HOST=mail.example.org\nIDP_SMTP_PORT=465\n")
    settings = load_settings(environ={"IDP_CONFIG_FILE": path, "IDP_SMTP_PORT": "2525"})
    assert settings["IDP_SMTP_PORT"] == 2525
    assert settings["IDP_SMTP_HOST"] == "mail.example.org"


def test_overrides_win_over_the_environment_and_the_config_file(tmp_path):
    path = write(tmp_path, "IDP_SMTP_PORT=465\nIDP_MAIL_FROM=file@example.org\n")
    settings = load_settings({"IDP_SMTP_PORT": 25, "IDP_CONFIG_FILE": path},
                             environ={"IDP_SMTP_PORT": "2525", "IDP_MAIL_FROM": "env@example.org"})
    assert settings["IDP_SMTP_PORT"] == 25
    assert settings["IDP_MAIL_FROM"] == "env@example.org"


@pytest.mark.parametrize("line", ["IDP_UNKNOWN=1", "IDP_SMTP_HOTS=mail.example.org",
                                  "SMTP_HOST=mail.example.org", "idp_smtp_host=x"])
def test_an_unknown_key_in_the_config_file_is_refused(tmp_path, line):
    path = write(tmp_path, f"IDP_SMTP_PORT=465\n{line}\n")
    with pytest.raises(ConfigurationError, match="unknown configuration key"):
        load_settings(environ={"IDP_CONFIG_FILE": path})


@pytest.mark.parametrize("where", ["environment", "config file", "override"])
def test_the_retired_session_lifetime_key_refuses_to_start_naming_its_replacement(tmp_path,
                                                                                   where):
    environ: dict[str, str] = {}
    overrides: dict[str, object] = {}
    if where == "environment":
        environ["IDP_SESSION_TTL_SECONDS"] = "3600"
    elif where == "config file":
        environ["IDP_CONFIG_FILE"] = write(tmp_path, "IDP_SESSION_TTL_SECONDS=3600\n")
    else:
        overrides["IDP_SESSION_TTL_SECONDS"] = 3600
    with pytest.raises(ConfigurationError, match="IDP_SESSION_TTL_SECONDS is no longer used: "
                                                 "session lifetimes are set per directory"):
        load_settings(overrides, environ=environ)


@pytest.mark.parametrize("name", ["IDP_REFRESH_TOKEN_TTL_SECONDS",
                                  "IDP_REFRESH_TOKEN_ABSOLUTE_TTL_SECONDS"])
def test_refresh_token_lifetimes_below_one_second_are_refused(name):
    with pytest.raises(ConfigurationError, match=name):
        load_settings(environ={name: "0"})


def test_a_malformed_value_in_the_config_file_is_refused(tmp_path):
    path = write(tmp_path, "IDP_SMTP_PORT=five\n")
    with pytest.raises(ConfigurationError, match="IDP_SMTP_PORT"):
        load_settings(environ={"IDP_CONFIG_FILE": path})


def test_a_missing_config_file_is_refused(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(environ={"IDP_CONFIG_FILE": str(tmp_path / "missing.env")})


def test_production_settings_may_come_from_the_config_file(tmp_path):
    path = write(tmp_path, "".join(f"{k}={v}\n" for k, v in PRODUCTION.items()))
    settings = load_settings(environ={"IDP_CONFIG_FILE": path})
    assert settings["IDP_ENV"] == "production"


# --- what every environment refuses ---------------------------------------------------------


@pytest.mark.parametrize("env", ["prod", "Production", "staging", ""])
def test_an_unknown_environment_is_refused(env):
    with pytest.raises(ConfigurationError, match="IDP_ENV"):
        load_settings(environ={"IDP_ENV": env})


@pytest.mark.parametrize("base", ["idp.example.org", "ftp://idp.example.org", "", "//idp"])
def test_a_base_url_without_http_or_https_is_refused(base):
    with pytest.raises(ConfigurationError, match="IDP_BASE_URL"):
        load_settings(environ={"IDP_BASE_URL": base})


@pytest.mark.parametrize("concurrency", ["0", "-1"])
def test_a_hashing_concurrency_below_one_is_refused(concurrency):
    with pytest.raises(ConfigurationError, match="IDP_PASSWORD_HASH_CONCURRENCY"):
        load_settings(environ={"IDP_PASSWORD_HASH_CONCURRENCY": concurrency})


@pytest.mark.parametrize(("name", "value"), [
    ("IDP_REDIS_TIMEOUT_SECONDS", "0"), ("IDP_REDIS_TIMEOUT_SECONDS", "5.5"),
    ("IDP_REDIS_TIMEOUT_SECONDS", "-1"), ("IDP_DATABASE_CONNECT_TIMEOUT_SECONDS", "1"),
    ("IDP_DATABASE_STATEMENT_TIMEOUT_SECONDS", "-1"), ("IDP_DATABASE_LOCK_TIMEOUT_SECONDS", "-1"),
    ("IDP_DATABASE_POOL_TIMEOUT_SECONDS", "0"), ("IDP_DATABASE_PING_IDLE_SECONDS", "-1"),
    ("IDP_JWKS_CACHE_SECONDS", "-1"),
])
def test_a_timeout_out_of_range_is_refused_naming_the_key(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings(environ={name: value})


@pytest.mark.parametrize(("name", "default"), [
    ("IDP_REDIS_TIMEOUT_SECONDS", 0.3), ("IDP_DATABASE_CONNECT_TIMEOUT_SECONDS", 5),
    ("IDP_DATABASE_STATEMENT_TIMEOUT_SECONDS", 15), ("IDP_DATABASE_LOCK_TIMEOUT_SECONDS", 10),
    ("IDP_DATABASE_POOL_TIMEOUT_SECONDS", 5), ("IDP_DATABASE_PING_IDLE_SECONDS", 1.0),
    ("IDP_JWKS_CACHE_SECONDS", 300),
])
def test_the_outage_timeouts_have_safe_defaults(name, default):
    assert load_settings(environ={})[name] == default


@pytest.mark.parametrize("env", ["development", "testing"])
def test_cheap_hashes_are_allowed_outside_production(env):
    settings = load_settings(environ={"IDP_ENV": env, "IDP_ARGON2_MEMORY_KIB": "1024"})
    assert settings["IDP_ARGON2_MEMORY_KIB"] == 1024


# --- what production refuses ----------------------------------------------------------------


def test_safe_production_settings_are_accepted():
    settings = load_settings(environ=PRODUCTION)
    assert settings["IDP_ENV"] == "production"


@pytest.mark.parametrize(("change", "message"), [
    ({"IDP_SECRET_KEY": DEV_SECRET_KEY}, "IDP_SECRET_KEY"),
    ({"IDP_SECRET_KEY": None}, "IDP_SECRET_KEY"),
    ({"IDP_SECRET_KEY": "s" * 31}, "IDP_SECRET_KEY"),
    ({"IDP_SECRET_KEY": ""}, "IDP_SECRET_KEY"),
    ({"IDP_BASE_URL": "http://idp.example.org"}, "https://"),
    ({"IDP_BASE_URL": None}, "https://"),
    ({"IDP_ARGON2_MEMORY_KIB": "19455"}, "19456"),
    ({"IDP_ARGON2_MEMORY_KIB": "1024"}, "19456"),
    ({"IDP_RATE_LIMITS_ENABLED": "false"}, "rate limits"),
    ({"IDP_RATE_LIMITS_ENABLED": "0"}, "rate limits"),
], ids=["dev-secret", "default-secret", "31-char-secret", "empty-secret", "http-base-url",
        "default-base-url", "argon2-memory-just-below", "argon2-memory-cheap",
        "rate-limits-false", "rate-limits-0"])
def test_production_refuses_unsafe_settings(change, message):
    environ = {**PRODUCTION, **{k: v for k, v in change.items() if v is not None}}
    for name in [k for k, v in change.items() if v is None]:
        del environ[name]
    with pytest.raises(ConfigurationError, match=message):
        load_settings(environ=environ)


def test_production_accepts_the_minimum_argon2_memory_and_a_32_character_secret():
    settings = load_settings(environ={**PRODUCTION, "IDP_ARGON2_MEMORY_KIB": "19456"})
    assert settings["IDP_ARGON2_MEMORY_KIB"] == 19456
    assert len(settings["IDP_SECRET_KEY"]) == 32


def test_production_checks_apply_to_overrides_too():
    with pytest.raises(ConfigurationError, match="rate limits"):
        load_settings({"IDP_RATE_LIMITS_ENABLED": False}, environ=PRODUCTION)
    with pytest.raises(ConfigurationError, match="IDP_SECRET_KEY"):
        load_settings({"IDP_SECRET_KEY": DEV_SECRET_KEY}, environ=PRODUCTION)


@pytest.mark.parametrize(("name", "value"), [
    ("IDP_ACCOUNT_FAILURE_LIMIT", "ten per hour"), ("IDP_ACCOUNT_FAILURE_LIMIT", ""),
    ("IDP_ACCOUNT_FAILURE_LIMIT", "10 per 15 minutes; 20 per hour"),
    ("IDP_LOGIN_RATE_LIMIT", "lots"), ("IDP_ACCOUNT_FAILURE_CEILING", "0"),
    ("IDP_KNOWN_BROWSER_DAYS", "0")])
def test_a_malformed_failure_budget_is_refused_naming_the_key(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings(environ={name: value})


@pytest.mark.parametrize("value", ["xml", "JSON", "logfmt"])
def test_a_log_format_other_than_text_or_json_is_refused(value):
    with pytest.raises(ConfigurationError, match="IDP_LOG_FORMAT"):
        load_settings(environ={"IDP_LOG_FORMAT": value})


@pytest.mark.parametrize(("token", "accepted"), [
    ("", True), ("t" * 32, True), ("t" * 31, False), ("guessable", False)])
def test_a_metrics_token_is_empty_or_long(token, accepted):
    if accepted:
        assert load_settings(environ={"IDP_METRICS_TOKEN": token})["IDP_METRICS_TOKEN"] == token
    else:
        with pytest.raises(ConfigurationError, match="IDP_METRICS_TOKEN"):
            load_settings(environ={"IDP_METRICS_TOKEN": token})
