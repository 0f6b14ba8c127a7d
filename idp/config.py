"""Every configuration key of the provider, documented in one place.

Values come, in order of precedence, from keyword overrides given to
``create_app()``, from ``IDP_*`` environment variables, from the file named by
``IDP_CONFIG_FILE`` (``KEY=value`` lines, see ``config/``), and from the
defaults below. In production (``IDP_ENV=production``) the insecure
development defaults refuse to start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from flask import Flask, current_app
from limits import parse_many


class ConfigurationError(RuntimeError):
    """A configuration value is missing, malformed or unsafe."""


DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me"  # noqa: S105


def _int(value: str) -> int:
    return int(value)


def _float(value: str) -> float:
    return float(value)


def _bool(value: str) -> bool:
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _str(value: str) -> str:
    return value


@dataclass(frozen=True)
class Key:
    """One configuration key: its default, how it is parsed, what it means."""

    name: str
    default: Any
    parse: Callable[[str], Any]
    doc: str


KEYS: tuple[Key, ...] = (
    Key("IDP_ENV", "development", _str,
        "development, testing or production. Production refuses insecure defaults; "
        "development shows the outbox page."),
    Key("IDP_BASE_URL", "http://localhost:5000", _str,
        "Public URL of the provider without a trailing slash; issuers are {BASE_URL}/d/{slug}. "
        "With https, cookies are Secure and __Host- prefixed."),
    Key("IDP_DATABASE_URL", "sqlite:///instance/idp.sqlite3", _str,
        "SQLAlchemy URL. SQLite by default (a relative path is taken from the working "
        "directory); postgresql://... (psycopg 3) in production."),
    Key("IDP_SECRET_KEY", DEV_SECRET_KEY, _str,
        "Secret for CSRF tokens, device cookies, sealing private keys and TOTP secrets "
        "at rest, and keying the codes' hashes (SMS, email) and recovery codes' tags. Must "
        "be set (32+ random bytes) in production; changing it makes sealed data unreadable "
        "and issued recovery codes unusable."),
    Key("IDP_REDIS_URL", "", _str,
        "Optional redis:// URL for rate-limit counters shared by all processes. Without it "
        "each process counts on its own."),
    Key("IDP_REDIS_TIMEOUT_SECONDS", 0.3, _float,
        "Longest wait for Redis to connect or answer (above 0, at most 5). When Redis is "
        "unreachable or slower, each process counts rate limits in its own memory until "
        "Redis is back, so an outage costs a request at most about this long."),
    Key("IDP_PROXY_COUNT", 0, _int,
        "Number of trusted reverse proxies in front of the provider (X-Forwarded-* headers). "
        "In production a request whose Host (after these proxies) is not IDP_BASE_URL's host "
        "and port is refused with 400."),
    Key("IDP_DATABASE_CONNECT_TIMEOUT_SECONDS", 5, _int,
        "Longest wait for a new PostgreSQL connection (libpq connect_timeout, at least 2); "
        "TCP keepalives and tcp_user_timeout notice a dead link as fast."),
    Key("IDP_DATABASE_STATEMENT_TIMEOUT_SECONDS", 15, _int,
        "PostgreSQL statement_timeout of the web app's connections: a slower query is "
        "cancelled and the request answers 503. 0 turns it off; the idp command's "
        "maintenance work (init, purge, ...) runs without it."),
    Key("IDP_DATABASE_LOCK_TIMEOUT_SECONDS", 10, _int,
        "Longest wait for a lock held by another transaction: PostgreSQL lock_timeout, "
        "SQLite busy_timeout. 0 turns it off on PostgreSQL."),
    Key("IDP_DATABASE_POOL_TIMEOUT_SECONDS", 5, _int,
        "Longest wait for a free connection of the process's pool before answering 503."),
    Key("IDP_DATABASE_PING_IDLE_SECONDS", 1.0, _float,
        "A pooled PostgreSQL connection unused for longer than this is pinged before a "
        "request uses it, and replaced if it has gone; one used more recently is not. 0 "
        "pings before every use."),
    Key("IDP_JWKS_CACHE_SECONDS", 300, _int,
        "How long relying apps may cache the JWKS (its Cache-Control max-age). `idp keys "
        "rotate` publishes new keys this long before they sign."),
    Key("IDP_CACHE_SECONDS", 5, _int,
        "Directories, their logos and apps, discovery and JWKS are kept in each process's "
        "memory; a change made "
        "by another process (the idp command, another worker or instance) is seen within "
        "this many seconds. 0 keeps nothing."),
    Key("IDP_SMTP_HOST", "", _str, "SMTP server for email codes; empty uses the dev outbox."),
    Key("IDP_SMTP_PORT", 587, _int, "SMTP port (587 STARTTLS, 465 SSL)."),
    Key("IDP_SMTP_USER", "", _str, "SMTP user name."),
    Key("IDP_SMTP_PASSWORD", "", _str, "SMTP password."),
    Key("IDP_MAIL_FROM", "idp@localhost", _str, "Sender address of emails."),
    Key("IDP_SMS_GATEWAY_URL", "", _str,
        "HTTP endpoint receiving SMS as JSON {\"to\", \"message\"}; empty uses the dev outbox."),
    Key("IDP_SMTP_SECURITY", "auto", _str,
        "auto, starttls, ssl or none. auto is ssl on port 465 and starttls elsewhere; none "
        "(plain text) is refused in production unless IDP_SMTP_HOST is a loopback host."),
    Key("IDP_SMTP_CA_FILE", "", _str,
        "Optional CA bundle (PEM) that verifies the SMTP server's certificate; empty uses the "
        "system's trusted CAs."),
    Key("IDP_SMS_GATEWAY_TOKEN", "", _str,
        "Bearer token sent to the SMS gateway; empty sends no Authorization header."),
    Key("IDP_VOICE_GATEWAY_URL", "", _str,
        "HTTP endpoint that calls a number and reads a code out, taking JSON {\"to\", "
        "\"message\", \"language\"}; empty uses the dev outbox."),
    Key("IDP_VOICE_GATEWAY_TOKEN", "", _str,
        "Bearer token sent to the voice gateway; empty sends no Authorization header."),
    Key("IDP_DELIVERY_TIMEOUT_SECONDS", 5.0, _float,
        "Longest time one SMS or email send may take, retries included (above 0, at most 30)."),
    Key("IDP_DELIVERY_CONCURRENCY", 2, _int,
        "SMS and email sends in flight per process; more wait half a second, then are refused "
        "with a 'try again' message, so a hanging gateway cannot hold every worker thread. "
        "Messages sent in the background (a password reset's first code) have as many "
        "threads of their own."),
    Key("IDP_DELIVERY_BACKLOG", 32, _int,
        "Messages per process that may wait for a background send thread; one more is not "
        "sent, and audited (0 or more)."),
    Key("IDP_ARGON2_MEMORY_KIB", 19456, _int,
        "argon2id memory cost per password hash (OWASP minimum: 19 MiB)."),
    Key("IDP_ARGON2_TIME_COST", 2, _int, "argon2id iterations (OWASP minimum: 2)."),
    Key("IDP_ARGON2_PARALLELISM", 1, _int, "argon2id lanes (OWASP: 1)."),
    Key("IDP_PASSWORD_HASH_CONCURRENCY", 2, _int,
        "Password hashes in flight per process; bounds memory to this times the memory cost."),
    Key("IDP_PASSWORD_HASH_WAIT_SECONDS", 10, _int,
        "How long a login waits for a hashing slot before answering 503."),
    Key("IDP_CODE_TTL_SECONDS", 60, _int, "Lifetime of authorization codes."),
    Key("IDP_ACCESS_TOKEN_TTL_SECONDS", 3600, _int,
        "Lifetime of access tokens; a directory's admin may choose another on its Policies "
        "page."),
    Key("IDP_ID_TOKEN_TTL_SECONDS", 3600, _int, "Lifetime of ID tokens."),
    Key("IDP_REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600, _int,
        "Idle lifetime of a refresh token: an unused one expires this long after it was "
        "issued; every use rotates it and starts a new one (never past the absolute lifetime). "
        "The default of each directory's Policies page."),
    Key("IDP_REFRESH_TOKEN_ABSOLUTE_TTL_SECONDS", 90 * 24 * 3600, _int,
        "Absolute lifetime of a grant's refresh tokens, from the code exchange that started "
        "it: however often it is rotated, the app must then send the user to log in again. "
        "The default of each directory's Policies page."),
    Key("IDP_INTERACTION_TTL_SECONDS", 30 * 60, _int,
        "How long a pending login (between authorize and code) may take."),
    Key("IDP_OTP_TTL_SECONDS", 600, _int,
        "Lifetime of SMS and email codes (at most 600: ten minutes)."),
    Key("IDP_OTP_RESEND_SECONDS", 30, _int,
        "Wait before a new SMS or email code may be sent; it doubles with every further send "
        "(30 s, 60 s, 120 s, ... at most 10 minutes)."),
    Key("IDP_OTP_PER_DESTINATION_PER_HOUR", 5, _int,
        "Codes sent to one phone number or email address per hour (all directories)."),
    Key("IDP_OTP_PER_USER_PER_HOUR", 10, _int, "Codes sent for one user per hour."),
    Key("IDP_OTP_PER_IP_PER_HOUR", 20, _int, "Codes asked for from one client IP per hour."),
    Key("IDP_DEVICE_TTL_DAYS", 90, _int,
        "How long a remembered device counts (its cookie lives as long); a directory's admin "
        "may choose another on its Policies page."),
    Key("IDP_FRESH_LOGIN_SECONDS", 600, _int,
        "Changing how someone signs in (their methods, email, phone or password) and a "
        "directory's authentication settings need a login at its required level, password "
        "or passkey included, no older than this; an older one is asked again."),
    Key("IDP_CLIENT_SECRET_GRACE_SECONDS", 24 * 3600, _int,
        "After an admin makes a new client secret, the old one keeps working this long "
        "(at most 30 days), so the app can be given the new one without an outage; "
        "0 stops the old secret at once."),
    Key("IDP_INVITATION_TTL_HOURS", 72, _int,
        "How long an invitation link (set your password) stays valid; it works once."),
    Key("IDP_AUDIT_RETENTION_DAYS", 365, _int,
        "Audit events older than this are deleted by `idp purge`."),
    Key("IDP_MAX_BODY_BYTES", 64 * 1024, _int, "Largest request body accepted (413 above)."),
    Key("IDP_LOGIN_RATE_LIMIT", "60 per minute; 600 per hour", _str,
        "Requests per client IP to every endpoint that checks a secret or sends a code, "
        "together (login form, codes, enrolment, profile checks, the app's API). Shared by "
        "all processes through Redis when IDP_REDIS_URL is set, else counted per process."),
    Key("IDP_ACCOUNT_FAILURE_LIMIT", "10 per 15 minutes", _str,
        "Wrong answers (password, codes, passkeys, the current password) for one account from "
        "one source before that source must wait: a browser that completed a full login as "
        "the user before counts on its own, any other by its IP address (IPv6 by its /64). "
        "The first wait is the window given (15 minutes), then it doubles with each further "
        "lock-out, up to a day. Counted in the database: shared by every process and "
        "instance, with or without Redis. The default of each directory's Policies page."),
    Key("IDP_ACCOUNT_FAILURE_CEILING", 100, _int,
        "Wrong answers for one account from all the sources it never completed a login in, "
        "together, before all of them must wait (NIST SP 800-63B-4 3.2.2: at most 100 in a "
        "row). Browsers that logged in as the user before keep their own budget, so the "
        "owner is not locked out by strangers. The default of each directory's Policies "
        "page."),
    Key("IDP_KNOWN_BROWSER_DAYS", 180, _int,
        "How long a browser keeps its own failure budget for a user after its last full "
        "login as that user (a signed, HttpOnly cookie; it gives no points)."),
    Key("IDP_RATE_LIMITS_ENABLED", True, _bool,
        "Turn the per-IP limits off (only for load tests; never in production). The accounts' "
        "failure budgets always apply."),
    Key("IDP_METRICS_TOKEN", "", _str,
        "Turns on Prometheus metrics at /metrics, asked for with `Authorization: Bearer "
        "<token>` (at least 32 characters). Empty: /metrics answers 404. Under gunicorn with "
        "several workers, set PROMETHEUS_MULTIPROC_DIR too (see the README)."),
    Key("IDP_LOG_FORMAT", "text", _str,
        "text or json. json: under gunicorn the provider's log lines are JSON objects, one "
        "per line, and every request is logged in one line (method, endpoint, path without "
        "its query, directory, client id, status, duration, X-Request-ID)."),
    Key("IDP_CONFIG_FILE", "", _str, "Optional KEY=value file read before the environment."),
)

KEYS_BY_NAME: Mapping[str, Key] = {key.name: key for key in KEYS}

#: Keys that no longer exist, and what replaced them: set anywhere, they refuse to start,
#: so that nobody believes a setting holds that does not.
RETIRED: Mapping[str, str] = {
    "IDP_SESSION_TTL_SECONDS": "session lifetimes are set per directory now: "
                               "`idp directory set SLUG --session-hours N --idle-minutes N` "
                               "or the admin's Authentication page",
}


@dataclass(frozen=True)
class Settings:
    """Every setting, typed: field `x` holds the key IDP_X of ``KEYS``.

    Built once when the app is created (``install_settings``) and read through
    ``current_settings()``; nothing else reads a setting by its name.
    """

    env: str
    base_url: str
    database_url: str
    secret_key: str
    redis_url: str
    redis_timeout_seconds: float
    proxy_count: int
    database_connect_timeout_seconds: int
    database_statement_timeout_seconds: int
    database_lock_timeout_seconds: int
    database_pool_timeout_seconds: int
    database_ping_idle_seconds: float
    jwks_cache_seconds: int
    cache_seconds: int
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    mail_from: str
    sms_gateway_url: str
    smtp_security: str
    smtp_ca_file: str
    sms_gateway_token: str
    voice_gateway_url: str
    voice_gateway_token: str
    delivery_timeout_seconds: float
    delivery_concurrency: int
    delivery_backlog: int
    argon2_memory_kib: int
    argon2_time_cost: int
    argon2_parallelism: int
    password_hash_concurrency: int
    password_hash_wait_seconds: int
    code_ttl_seconds: int
    access_token_ttl_seconds: int
    id_token_ttl_seconds: int
    refresh_token_ttl_seconds: int
    refresh_token_absolute_ttl_seconds: int
    interaction_ttl_seconds: int
    otp_ttl_seconds: int
    otp_resend_seconds: int
    otp_per_destination_per_hour: int
    otp_per_user_per_hour: int
    otp_per_ip_per_hour: int
    device_ttl_days: int
    fresh_login_seconds: int
    client_secret_grace_seconds: int
    invitation_ttl_hours: int
    audit_retention_days: int
    max_body_bytes: int
    login_rate_limit: str
    account_failure_limit: str
    account_failure_ceiling: int
    known_browser_days: int
    rate_limits_enabled: bool
    metrics_token: str
    log_format: str
    config_file: str

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Return the settings of `values` (``load_settings``); a missing key has its default."""
        return cls(**{field.name: values.get(_key_name(field.name),
                                            KEYS_BY_NAME[_key_name(field.name)].default)
                      for field in fields(cls)})


def _key_name(field_name: str) -> str:
    return "IDP_" + field_name.upper()


_EXTENSION = "idp.settings"


def install_settings(app: Flask, settings: Settings) -> None:
    """Make `settings` the app's settings, read by ``current_settings()``."""
    app.extensions[_EXTENSION] = settings


def current_settings() -> Settings:
    """Return the settings of the current app."""
    return current_app.extensions[_EXTENSION]


def load_settings(overrides: Mapping[str, Any] | None = None,
                  environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings from defaults, config file, environment and overrides."""
    environ = os.environ if environ is None else environ
    for name, replacement in RETIRED.items():
        if name in environ or name in (overrides or {}):
            raise ConfigurationError(f"{name} is no longer used: {replacement}")
    raw: dict[str, Any] = {}
    config_file = (overrides or {}).get("IDP_CONFIG_FILE") or environ.get("IDP_CONFIG_FILE")
    if config_file:
        if not os.path.exists(config_file):
            raise ConfigurationError(f"IDP_CONFIG_FILE {config_file!r} does not exist")
        raw.update({k: v for k, v in dotenv_values(config_file).items() if v is not None})
    raw.update({k: v for k, v in environ.items() if k in KEYS_BY_NAME})
    settings = {key.name: key.default for key in KEYS}
    for name, value in raw.items():
        if name in RETIRED:
            raise ConfigurationError(f"{name} is no longer used: {RETIRED[name]}")
        if name not in KEYS_BY_NAME:
            raise ConfigurationError(f"unknown configuration key {name}")
        try:
            settings[name] = KEYS_BY_NAME[name].parse(str(value))
        except ValueError as exc:
            raise ConfigurationError(f"{name}: {exc}") from exc
    for name, value in (overrides or {}).items():
        if name not in KEYS_BY_NAME:
            raise ConfigurationError(f"unknown configuration key {name}")
        try:
            settings[name] = KEYS_BY_NAME[name].parse(value) if isinstance(value, str) else value
        except ValueError as exc:
            raise ConfigurationError(f"{name}: {exc}") from exc
    settings["IDP_BASE_URL"] = str(settings["IDP_BASE_URL"]).rstrip("/")
    check_settings(settings)
    return settings


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse settings that are unsafe or inconsistent."""
    if settings["IDP_ENV"] not in {"development", "testing", "production"}:
        raise ConfigurationError("IDP_ENV must be development, testing or production")
    base = settings["IDP_BASE_URL"]
    if not base.startswith(("http://", "https://")):
        raise ConfigurationError("IDP_BASE_URL must start with http:// or https://")
    if settings["IDP_ENV"] == "production" and (
            settings["IDP_ARGON2_MEMORY_KIB"] < 19456 or settings["IDP_ARGON2_TIME_COST"] < 2):
        raise ConfigurationError("argon2 below OWASP's minimum (19456 KiB memory, time cost 2)")
    if not 0 <= settings["IDP_CLIENT_SECRET_GRACE_SECONDS"] <= 30 * 86400:
        raise ConfigurationError("IDP_CLIENT_SECRET_GRACE_SECONDS must be between 0 and "
                                 "2592000 (30 days)")
    if not 1 <= settings["IDP_OTP_TTL_SECONDS"] <= 600:
        raise ConfigurationError("IDP_OTP_TTL_SECONDS must be between 1 and 600")
    for name, most in (("IDP_ACCOUNT_FAILURE_LIMIT", 1), ("IDP_LOGIN_RATE_LIMIT", 10)):
        try:
            limits = parse_many(str(settings[name]))
        except ValueError:
            limits = []
        if not 1 <= len(limits) <= most:
            raise ConfigurationError(f"{name} must read like '10 per 15 minutes'"
                                     + (" (one limit only)" if most == 1 else ""))
    for name in ("IDP_ACCOUNT_FAILURE_CEILING", "IDP_KNOWN_BROWSER_DAYS",
                 "IDP_REFRESH_TOKEN_TTL_SECONDS", "IDP_REFRESH_TOKEN_ABSOLUTE_TTL_SECONDS",
                 "IDP_OTP_RESEND_SECONDS", "IDP_OTP_PER_DESTINATION_PER_HOUR",
                 "IDP_OTP_PER_USER_PER_HOUR", "IDP_OTP_PER_IP_PER_HOUR", "IDP_DEVICE_TTL_DAYS",
                 "IDP_FRESH_LOGIN_SECONDS", "IDP_INVITATION_TTL_HOURS",
                 "IDP_AUDIT_RETENTION_DAYS"):
        if settings[name] < 1:
            raise ConfigurationError(f"{name} must be at least 1")
    redis_timeout = settings["IDP_REDIS_TIMEOUT_SECONDS"]
    if isinstance(redis_timeout, bool) or not isinstance(redis_timeout, int | float) \
            or not 0 < redis_timeout <= 5:
        raise ConfigurationError("IDP_REDIS_TIMEOUT_SECONDS must be above 0 and at most 5")
    if settings["IDP_DATABASE_CONNECT_TIMEOUT_SECONDS"] < 2:
        raise ConfigurationError("IDP_DATABASE_CONNECT_TIMEOUT_SECONDS must be at least 2")
    for name in ("IDP_DATABASE_STATEMENT_TIMEOUT_SECONDS", "IDP_DATABASE_LOCK_TIMEOUT_SECONDS",
                 "IDP_DATABASE_PING_IDLE_SECONDS", "IDP_JWKS_CACHE_SECONDS",
                 "IDP_CACHE_SECONDS"):
        if settings[name] < 0:
            raise ConfigurationError(f"{name} must not be negative")
    if settings["IDP_DATABASE_POOL_TIMEOUT_SECONDS"] < 1:
        raise ConfigurationError("IDP_DATABASE_POOL_TIMEOUT_SECONDS must be at least 1")
    if settings["IDP_DELIVERY_CONCURRENCY"] < 1:
        raise ConfigurationError("IDP_DELIVERY_CONCURRENCY must be at least 1")
    if settings["IDP_DELIVERY_BACKLOG"] < 0:
        raise ConfigurationError("IDP_DELIVERY_BACKLOG must be 0 or more")
    if settings["IDP_PASSWORD_HASH_CONCURRENCY"] < 1:
        raise ConfigurationError("IDP_PASSWORD_HASH_CONCURRENCY must be at least 1")
    if settings["IDP_ENV"] == "production":
        if settings["IDP_SECRET_KEY"] == DEV_SECRET_KEY or len(settings["IDP_SECRET_KEY"]) < 32:
            raise ConfigurationError("set IDP_SECRET_KEY to 32 or more random characters")
        if not settings["IDP_RATE_LIMITS_ENABLED"]:
            raise ConfigurationError("rate limits cannot be turned off in production")
        if not base.startswith("https://"):
            raise ConfigurationError("IDP_BASE_URL must be https:// in production")
    if settings["IDP_LOG_FORMAT"] not in {"text", "json"}:
        raise ConfigurationError("IDP_LOG_FORMAT must be text or json")
    if settings["IDP_METRICS_TOKEN"] and len(settings["IDP_METRICS_TOKEN"]) < 32:
        raise ConfigurationError("IDP_METRICS_TOKEN must be empty or 32 or more characters")
    if settings["IDP_SMTP_SECURITY"] not in {"auto", "starttls", "ssl", "none"}:
        raise ConfigurationError("IDP_SMTP_SECURITY must be auto, starttls, ssl or none")
    timeout = settings["IDP_DELIVERY_TIMEOUT_SECONDS"]
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 30:
        raise ConfigurationError("IDP_DELIVERY_TIMEOUT_SECONDS must be above 0 and at most 30")
    if settings["IDP_SMTP_CA_FILE"] and not os.path.isfile(settings["IDP_SMTP_CA_FILE"]):
        raise ConfigurationError(f"IDP_SMTP_CA_FILE {settings['IDP_SMTP_CA_FILE']!r} is not a file")
    gateways = ("IDP_SMS_GATEWAY_URL", "IDP_VOICE_GATEWAY_URL")
    for name in gateways:
        if settings[name] and not settings[name].startswith(("http://", "https://")):
            raise ConfigurationError(f"{name} must start with http:// or https://")
    if settings["IDP_ENV"] == "production":
        # Plain text (codes, passwords) may only travel on this machine.
        loopback = {"localhost", "127.0.0.1", "::1", "[::1]"}
        if (settings["IDP_SMTP_SECURITY"] == "none"
                and settings["IDP_SMTP_HOST"].lower() not in loopback):
            raise ConfigurationError(
                "IDP_SMTP_SECURITY=none needs a loopback IDP_SMTP_HOST in production")
        for name in gateways:
            gateway = settings[name]
            if (gateway.startswith("http://")
                    and (urlsplit(gateway).hostname or "") not in loopback):
                raise ConfigurationError(
                    f"{name} must be https:// in production unless it is on loopback")


def describe_settings() -> str:
    """Return every key with its default and meaning, for `idp config`."""
    lines = []
    for key in KEYS:
        lines.append(f"{key.name} (default: {key.default!r})\n    {key.doc}")
    return "\n".join(lines)
