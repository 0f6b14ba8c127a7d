"""Fixtures shared by the whole suite: storage backends, a live provider, fresh directories."""

from __future__ import annotations

import os
import secrets
import time

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings

import idp.clock
from tests.support.live import build_live, new_directory
from tests.support.mailbox import Mailbox
from tests.support.sms_gateway import SmsGateway

# Property tests judge what the rules answer, never how fast: no per-example time limit,
# which a busy machine (parallel workers, CI) would otherwise trip.
hypothesis_settings.register_profile("idp", deadline=None)
hypothesis_settings.load_profile("idp")

POSTGRES = os.environ.get("IDP_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("IDP_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _postgres_schema_url(schema: str) -> str:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{sep}options=-csearch_path%3D{schema}"


def _drop_schema(schema: str) -> None:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session")
def database_url_factory(tmp_path_factory):
    """Return a function making an empty database of a backend; cleaned up at the end."""
    schemas: list[str] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / "idp.sqlite3"
            return f"sqlite:///{path}"
        schema = f"idp_test_{secrets.token_hex(6)}"
        schemas.append(schema)
        return _postgres_schema_url(schema)

    yield make
    for schema in schemas:
        _drop_schema(schema)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """The storage backend a test runs on: every storage test runs on each."""
    return request.param


@pytest.fixture(scope="session")
def sms_gateway():
    """A real HTTP SMS gateway on loopback that records what the provider posts."""
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture(scope="session")
def voice_gateway_server():
    """A real HTTP voice gateway on loopback (the SMS one's recorder) for voice-call codes."""
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture
def voice_gateway(voice_gateway_server):
    """The shared voice gateway, answering normally again after the test."""
    yield voice_gateway_server
    voice_gateway_server.clear()


@pytest.fixture(scope="session")
def mailbox():
    """A real SMTP server on loopback that keeps what the provider sends."""
    with Mailbox() as server:
        yield server


@pytest.fixture(scope="session")
def live(backend, database_url_factory, sms_gateway, mailbox, voice_gateway_server):
    """A provider serving over HTTP on loopback, on the current backend.

    It texts through the loopback gateway and mails through the loopback SMTP server.
    """
    server = build_live(database_url_factory(backend), **delivery_settings(sms_gateway, mailbox),
                        IDP_VOICE_GATEWAY_URL=voice_gateway_server.url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def localhost_live(backend, database_url_factory, sms_gateway, mailbox):
    """A provider known as http://localhost:PORT: the origin passkeys need (RP ID localhost)."""
    server = build_live(database_url_factory(backend), host="localhost",
                        **delivery_settings(sms_gateway, mailbox))
    yield server
    server.stop()


def delivery_settings(gateway: SmsGateway, mail: Mailbox) -> dict[str, object]:
    """Return the settings that send SMS to `gateway` and email to `mail`."""
    return {"IDP_SMS_GATEWAY_URL": gateway.url, "IDP_SMTP_HOST": mail.host,
            "IDP_SMTP_PORT": mail.port, "IDP_SMTP_SECURITY": "none"}


@pytest.fixture
def gateway(sms_gateway):
    """The shared SMS gateway, answering normally again after the test."""
    yield sms_gateway
    sms_gateway.clear()


@pytest.fixture
def mail(mailbox):
    """The shared SMTP server, empty at the start, accepting mail again after the test."""
    mailbox.clear()
    yield mailbox
    mailbox.clear()


class _ShiftedTime:
    """Stands in for the `time` module in idp.clock: real time plus an offset."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def provider_clock(monkeypatch):
    """Return a function that moves the provider's clock forward by some seconds.

    Used instead of sleeping where a test needs a later auth_time, the next TOTP window
    or the end of a wait; the provider and the test users' apps share this clock.
    """
    shifted = _ShiftedTime()
    monkeypatch.setattr(idp.clock, "time", shifted)

    def advance(seconds: float) -> None:
        shifted.offset += seconds

    return advance


@pytest.fixture
def directory(live):
    """A fresh directory of the live provider (default levels: required 30); the
    provider's background sends have ended when the test does."""
    yield new_directory(live)
    live.settle()


@pytest.fixture
def app(live):
    """The Flask app behind the live provider, for direct set-up and inspection."""
    return live.app
