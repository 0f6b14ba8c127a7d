"""Assemble the Flask app: settings, database, services, protections, blueprints."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_babel import get_locale
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from .app_devices import AppDevices
from .delivery import build_delivery
from .i18n import PoBabel
from .methods import (
    AppApprovalMethod,
    PasskeyMethod,
    RecoveryCodes,
    RememberedDeviceMethod,
    build_registry,
)
from .methods.password import PasswordMethod
from .oidc.server import create_server
from .one_time_codes import CodeService, policy_from
from .passkeys import RelyingParty
from .ratelimit import limiter
from .security.passwords import Argon2Parameters, PasswordService
from .security.sealing import Sealer
from .services import Services
from .sessions import CookiePolicy
from .settings import load_settings
from .storage import db
from .web.languages import LANGUAGES, language_url, select_locale

csrf = CSRFProtect()
babel = PoBabel()  # reads the .po catalogues (idp.i18n): no compiled .mo


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys; WAL lets readers and one writer share the file."""
    cursor = dbapi_connection.cursor()
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=10000",
                   "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


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


def _configure_flask(app: Flask, settings: dict[str, Any]) -> None:
    secure = settings["IDP_BASE_URL"].startswith("https://")
    database_url = settings["IDP_DATABASE_URL"]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    database_url = _absolute_sqlite(database_url)
    app.config.update(
        SECRET_KEY=settings["IDP_SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=settings["IDP_MAX_BODY_BYTES"],
        MAX_FORM_MEMORY_SIZE=settings["IDP_MAX_BODY_BYTES"],
        # Flask's own cookie only carries the CSRF token of the forms.
        SESSION_COOKIE_NAME="__Host-idp-csrf" if secure else "idp-csrf",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        RATELIMIT_STORAGE_URI=settings["IDP_REDIS_URL"] or "memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_ENABLED=settings["IDP_RATE_LIMITS_ENABLED"],
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(os.path.dirname(__file__), "translations"),
        TESTING=settings["IDP_ENV"] == "testing",
    )


def _build_services(settings: dict[str, Any]) -> Services:
    passwords = PasswordService(
        Argon2Parameters(settings["IDP_ARGON2_MEMORY_KIB"], settings["IDP_ARGON2_TIME_COST"],
                         settings["IDP_ARGON2_PARALLELISM"]),
        concurrency=settings["IDP_PASSWORD_HASH_CONCURRENCY"],
        wait_seconds=settings["IDP_PASSWORD_HASH_WAIT_SECONDS"])
    password_method = PasswordMethod(passwords)
    server, protector = create_server(settings)
    delivery = build_delivery(settings)
    codes = CodeService(delivery, policy_from(settings))
    device = RememberedDeviceMethod(settings["IDP_SECRET_KEY"],
                                    settings["IDP_DEVICE_TTL_DAYS"] * 86400)
    host = urlsplit(settings["IDP_BASE_URL"]).hostname or "localhost"
    sealer = Sealer(settings["IDP_SECRET_KEY"])
    return Services(settings=settings, sealer=sealer,
                    passwords=passwords, password_method=password_method,
                    methods=build_registry(
                        password_method, codes, host, device,
                        PasskeyMethod(RelyingParty.from_base_url(settings["IDP_BASE_URL"])),
                        AppApprovalMethod(AppDevices(passwords), settings["IDP_BASE_URL"]),
                        RecoveryCodes(passwords, sealer)),
                    cookies=CookiePolicy(secure=settings["IDP_BASE_URL"].startswith("https://")),
                    delivery=delivery, server=server, protector=protector)


def build_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the provider from settings (see ``idp.settings``)."""
    settings = load_settings(overrides)
    app = Flask("idp", template_folder="web/templates", static_folder="web/static",
                static_url_path="/static")
    _configure_flask(app, settings)
    if settings["IDP_PROXY_COUNT"]:
        count = settings["IDP_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count,
                                x_port=count)  # type: ignore[method-assign]
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    app.extensions["idp"] = _build_services(settings)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(get_locale=get_locale, languages=LANGUAGES,
                                 language_url=language_url)

    from .web import register_web

    register_web(app, csrf)
    return app
