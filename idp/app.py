"""Assemble the Flask app: settings, database, services, protections, blueprints."""

from __future__ import annotations

import ctypes
import logging
import os
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask_babel import get_locale
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings, install_settings, load_settings
from .delivery import build_delivery
from .i18n import PoBabel
from .methods import (
    CHANNEL_SENDERS,
    METHOD_TYPES,
    MethodParts,
    build_registry,
)
from .methods.one_time_codes import CodeService, policy_from
from .methods.password import PasswordMethod
from .observability.logs import json_handlers, provider_levels
from .observability.metrics import worker_started
from .observability.requests import ObservedRequests
from .oidc.server import create_server
from .security.passwords import Argon2Parameters, PasswordService
from .security.sealing import Sealer
from .services import Services
from .storage import db
from .storage.db import begin_at_first_write
from .storage.described import DescribedCursor
from .storage.outages import OneLineOutages, ping_when_idle
from .users.sessions import CookiePolicy
from .web.form_cookie import FormCookie
from .web.host_check import HostCheck
from .web.languages import LANGUAGES, language_url, select_locale
from .web.published import PublishedDocuments
from .web.ratelimit import limiter
from .web.responses import Answer
from .web.short_path import ShortPath

csrf = CSRFProtect()
#: mallopt's parameter for the mmap threshold (glibc's malloc.h).
M_MMAP_THRESHOLD = -3
babel = PoBabel()  # reads the .po catalogues (idp.i18n): no compiled .mo


def _sqlite_pragmas(busy_timeout_ms: int):
    """Return a connect hook: foreign keys on; WAL lets readers and one writer share the file."""
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", f"busy_timeout={busy_timeout_ms}",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()
    return apply


def _postgres_timeouts(statement_ms: int, lock_ms: int):
    """Return a connect hook that sets the server-side timeouts of each new connection."""
    def apply(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, false), "
                           "set_config('lock_timeout', %s, false)",
                           (str(statement_ms), str(lock_ms)))
        dbapi_connection.commit()  # a SET rolled back would be undone
    return apply


def _engine_options(settings: Settings, database_url: str) -> dict[str, Any]:
    """Return SQLAlchemy engine options that keep a stalled database from holding workers.

    Connect, keepalive and pool waits are bounded here; statement and lock timeouts are
    set on each connection (see `_connect_hooks`). libpq parameters already in the URL win.
    PostgreSQL's cursors describe each shape of result once (``idp.storage.described``).
    A pooled connection to a database server is pinged before use only after it was idle
    (``idp.storage.outages.ping_when_idle``, set up in `_connect_hooks`); SQLite's file,
    opened in the process, cannot be dropped so, and its ping would find nothing. There,
    too, a transaction begins at its first write (``idp.storage.db.begin_at_first_write``).
    """
    options: dict[str, Any] = {}
    if database_url not in ("sqlite://", "sqlite:///:memory:"):  # else one shared connection
        options["pool_timeout"] = settings.database_pool_timeout_seconds
    if database_url.startswith("postgresql"):
        connect = settings.database_connect_timeout_seconds
        statement = settings.database_statement_timeout_seconds
        libpq = {"connect_timeout": connect, "keepalives": 1, "keepalives_idle": 30,
                 "keepalives_interval": 5, "keepalives_count": 3,
                 # unacknowledged data: the peer is gone (milliseconds)
                 "tcp_user_timeout": 1000 * max(connect, statement)}
        given = parse_qs(urlsplit(database_url).query)
        options["connect_args"] = {k: v for k, v in libpq.items() if k not in given}
        options["connect_args"]["cursor_factory"] = DescribedCursor
    return options


def _connect_hooks(engine: Any, settings: Settings) -> None:
    lock_ms = 1000 * settings.database_lock_timeout_seconds
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(lock_ms))
    elif engine.dialect.name == "postgresql":
        statement_ms = 1000 * settings.database_statement_timeout_seconds
        event.listen(engine, "connect", _postgres_timeouts(statement_ms, lock_ms))
        ping_when_idle(engine, settings.database_ping_idle_seconds)
        begin_at_first_write(engine)


def _absolute_sqlite(url: str) -> str:
    """Resolve a relative SQLite path against the working directory and create its folder."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    path = url[len(prefix):].split("?")[0]
    if not os.path.isabs(path):
        url = prefix + os.path.abspath(path) + url[len(prefix) + len(path):]
        path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return url


def _configure_flask(app: Flask, settings: Settings) -> None:
    secure = settings.base_url.startswith("https://")
    database_url = settings.database_url
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    database_url = _absolute_sqlite(database_url)
    app.session_interface = FormCookie()
    app.response_class = Answer
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(settings, database_url),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        MAX_FORM_MEMORY_SIZE=settings.max_body_bytes,
        # Flask's own cookie only carries the CSRF token of the forms.
        SESSION_COOKIE_NAME="__Host-idp-csrf" if secure else "idp-csrf",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        RATELIMIT_STORAGE_URI=settings.redis_url or "memory://",
        # Redis down or slow: count in this process's memory until it answers again (the
        # limiter checks every few seconds), rather than refuse every login. Short socket
        # timeouts and no retries keep a hanging Redis from holding a request.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        # A request that checks the limit at the very moment Redis fails, while another
        # already switched the process to memory, would raise: it passes unlimited instead,
        # once (logged in one line, see idp.storage.outages.OneLineOutages).
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_STORAGE_OPTIONS=_redis_options(settings) if settings.redis_url else {},
        # Our answers set Retry-After themselves (a code's resend wait, an account's lock-out);
        # the limiter's headers would replace it with its own window.
        RATELIMIT_HEADERS_ENABLED=False,
        RATELIMIT_ENABLED=settings.rate_limits_enabled,
        # The pages' catalogue, then those a method package keeps of its own.
        BABEL_TRANSLATION_DIRECTORIES=";".join([
            os.path.join(os.path.dirname(__file__), "translations"),
            *(t.translations_folder for t in METHOD_TYPES if t.translations_folder)]),
        TESTING=settings.env == "testing",
    )


def _redis_options(settings: Settings) -> dict[str, Any]:
    """Return the Redis client options of the limiter's storage: short waits, no retries."""
    timeout = settings.redis_timeout_seconds
    return {"socket_connect_timeout": timeout, "socket_timeout": timeout,
            "retry": Retry(NoBackoff(), 0)}


def _give_back_large_blocks() -> None:
    """Let glibc return large freed blocks (argon2's 19 MiB) to the system at once.

    glibc raises its mmap threshold after the first large block is freed, so later ones
    come from the heap and stay: workers grew from about 90 to 170 MiB after password
    hashing. A fixed threshold of 128 KiB (as ``MALLOC_MMAP_THRESHOLD_=131072``) keeps
    them near where they started. The price is that every hash maps its block afresh and
    faults its pages in: with 4 KiB pages about 4 ms of system CPU per hash, which
    ``idp run`` cuts to a fraction with huge pages (``idp.production.tuned_environment``).
    An operator's own ``MALLOC_MMAP_THRESHOLD_`` wins; other C libraries are left alone.
    """
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_MMAP_THRESHOLD, 128 * 1024)


def _configure_logging(log_format: str) -> None:
    """Under gunicorn, log through its error log (handlers and level); else leave logging be.

    The limiter's errors during an outage are one line each, without a traceback. With
    ``IDP_LOG_FORMAT=json`` the lines are JSON objects, written beside gunicorn's own
    lines (same file or stream), and each request's line (``idp.requests``) is logged at
    INFO whatever gunicorn's level.

    Without this the provider's warnings and errors went to stderr, past gunicorn's
    ``--error-logfile``. ``idp run`` configures the logging of its workers itself
    (``idp.production.logging_config``); ``idp serve`` and the tests keep Python's usual
    logging.
    """
    limiter_log = logging.getLogger("flask-limiter")
    if not any(isinstance(f, OneLineOutages) for f in limiter_log.filters):
        limiter_log.addFilter(OneLineOutages())
    gunicorn = logging.getLogger("gunicorn.error")
    if not gunicorn.handlers:
        return
    handlers = json_handlers(gunicorn.handlers) if log_format == "json" else gunicorn.handlers
    for name, level in provider_levels(gunicorn.level, log_format).items():
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if "." not in name:
            logger.handlers[:] = handlers
            logger.propagate = False


def _build_services(settings: Settings) -> Services:
    passwords = PasswordService(
        Argon2Parameters(settings.argon2_memory_kib, settings.argon2_time_cost,
                         settings.argon2_parallelism),
        concurrency=settings.password_hash_concurrency,
        wait_seconds=settings.password_hash_wait_seconds)
    server, protector = create_server(settings)
    delivery = build_delivery(settings, CHANNEL_SENDERS)
    codes = CodeService(delivery, policy_from(settings))
    host = urlsplit(settings.base_url).hostname or "localhost"
    sealer = Sealer(settings.secret_key)
    methods = build_registry(MethodParts(settings, passwords, sealer, codes, host))
    password_method = methods["password"]
    if not isinstance(password_method, PasswordMethod):
        raise TypeError("the password method must be a PasswordMethod")
    return Services(sealer=sealer,
                    passwords=passwords, password_method=password_method,
                    methods=methods,
                    cookies=CookiePolicy(secure=settings.base_url.startswith("https://")),
                    delivery=delivery, server=server, protector=protector)


def _add_method_templates(app: Flask) -> None:
    """Let Jinja find the templates a method package keeps in its own folder."""
    folders = [method.template_folder for method in app.extensions["idp"].methods.values()
               if method.template_folder]
    if folders:
        app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
            [app.jinja_loader, FileSystemLoader(folders)])


def build_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the provider from settings (see ``idp.config``)."""
    settings = Settings.from_mapping(load_settings(overrides))
    app = Flask("idp", template_folder="web/templates", static_folder="web/static",
                static_url_path="/static")
    _give_back_large_blocks()
    _configure_logging(settings.log_format)
    _configure_flask(app, settings)
    # Discovery and JWKS from memory, behind the host check (it refuses foreign hosts).
    app.wsgi_app = PublishedDocuments(  # type: ignore[method-assign]
        app.wsgi_app, settings.cache_seconds)
    # Userinfo's and introspection's common requests, behind the host check as well.
    app.wsgi_app = ShortPath(app.wsgi_app, app)  # type: ignore[method-assign]
    # The host check sees the Host the client used: ProxyFix (outermost) restores it first.
    app.wsgi_app = HostCheck(  # type: ignore[method-assign]
        app.wsgi_app, settings.base_url,
        only_base_host=settings.env == "production")
    if settings.metrics_token:
        worker_started()
    # Counted and logged around all the rest, answers from memory and refusals included.
    if settings.metrics_token or settings.log_format == "json":
        app.wsgi_app = ObservedRequests(  # type: ignore[method-assign]
            app.wsgi_app, count=bool(settings.metrics_token),
            log_lines=settings.log_format == "json")
    if settings.proxy_count:
        count = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count)  # type: ignore[method-assign]
    db.init_app(app)
    with app.app_context():
        _connect_hooks(db.engine, settings)
    install_settings(app, settings)
    app.extensions["idp"] = _build_services(settings)
    _add_method_templates(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(get_locale=get_locale, languages=LANGUAGES,
                                 language_url=language_url)

    from .web import register_web

    register_web(app, csrf)
    return app
