"""A provider running in a thread on a loopback port, with the app for direct set-up."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from idp import create_app
from idp.clock import now
from idp.services import services
from idp.storage import db
from idp.storage.migrate import upgrade_schema
from idp.storage.models import Credential
from idp.tenants.accounts import create_user
from idp.tenants.clients import create_client
from idp.tenants.directories import (
    create_directory,
    ensure_operator_directory,
    issuer_of,
    update_levels,
)

PASSWORD = "correct horse battery staple"
TEST_SETTINGS = {
    "IDP_ENV": "testing",
    # Cheap hashes keep the suite fast; production keeps OWASP's minimum (checked in settings).
    "IDP_ARGON2_MEMORY_KIB": 1024,
    "IDP_ARGON2_TIME_COST": 1,
    "IDP_LOGIN_RATE_LIMIT": "1000 per minute",
    "IDP_ACCOUNT_FAILURE_LIMIT": "1000 per minute",
    "IDP_ACCOUNT_FAILURE_CEILING": 1_000_000,
    # Every test browser is 127.0.0.1: the per-IP code limit is tested on its own server.
    "IDP_OTP_PER_IP_PER_HOUR": 1_000_000,
}


def new_mobile() -> str:
    """Return a fresh, valid Dutch mobile number, so tests never share a destination."""
    return f"+3161{secrets.randbelow(10 ** 7):07d}"


#: Where ``free_port`` looks: below the kernel's ephemeral range (on Linux 32768 and up by
#: default) and above the ports browsers refuse (Chromium's highest is 10080).
FIXED_PORTS = range(20000, 32768)


def free_port() -> int:
    """Return a loopback port that is free now, for a server that binds it itself.

    The port is drawn from ``FIXED_PORTS``, below the range the kernel hands out: no
    outgoing connection and no server binding port 0 takes it before the server binds it,
    as one could take a port the kernel chose. Another process drawing the same port in
    that moment is the one way left to lose it.
    """
    low, high = _ephemeral_ports()
    choices = [port for port in FIXED_PORTS if not low <= port <= high]
    if not choices:  # the kernel hands out every port: let it choose one
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    for _ in range(100):
        port = secrets.choice(choices)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # a server of the machine's, or of another test, listens there
            return port
    raise RuntimeError("no free loopback port outside the ephemeral range")


def _ephemeral_ports() -> tuple[int, int]:
    """Return the range of ports the kernel chooses from (Linux's; others use IANA's)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        return 49152, 65535
    return int(low), int(high)


def loopback_listener() -> socket.socket:
    """Return a socket listening on a free loopback port, for ``wsgi_server``. A server of
    the tests listens on this socket rather than binding a port chosen before: another
    process could take that port in between."""
    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
    except OSError:
        listener.close()
        raise
    return listener


def port_of(listener: socket.socket) -> int:
    """Return the port a listener holds."""
    return listener.getsockname()[1]


def wsgi_server(app: Any, listener: socket.socket) -> BaseWSGIServer:
    """Return a threaded WSGI server of `app` on `listener`, which it takes over (not yet
    serving: call its ``serve_forever``)."""
    with listener:  # the server keeps a duplicate of the socket
        return make_server("127.0.0.1", port_of(listener), app, threaded=True,
                           fd=listener.fileno())


@contextmanager
def served(app: Any, listener: socket.socket) -> Iterator[None]:
    """Serve a WSGI app on `listener` (``loopback_listener``) in a thread until the block
    ends."""
    server = wsgi_server(app, listener)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(timeout=10)


class LiveServer:
    """Serve an app on 127.0.0.1 in a background thread, known as `host` in its URL."""

    def __init__(self, app: Flask, listener: socket.socket, host: str = "127.0.0.1"):
        self.app = app
        self.url = f"http://{host}:{port_of(listener)}"
        self._listener = listener
        self._serving = ExitStack()

    def start(self) -> LiveServer:
        self._serving.enter_context(served(self.app, self._listener))
        return self

    def stop(self) -> None:
        self._serving.close()

    def settle(self, timeout: float = 20) -> None:
        """Wait until every message the provider sends in the background is sent or failed
        (a password reset's first code), so none arrives during the next test."""
        delivery = services_of(self.app).delivery
        assert delivery is None or delivery.settle(timeout), "background sends still running"


def services_of(app: Flask):
    """Return the services of an app, outside any request."""
    with app.app_context():
        return services()


def build_live(database_url: str, host: str = "127.0.0.1", **overrides) -> LiveServer:
    """Create a migrated app on a free port and start serving it.

    `host` names the server in its URLs; "localhost" gives a WebAuthn RP ID (browsers
    refuse IP addresses as RP IDs) while the server still listens on 127.0.0.1.
    """
    listener = loopback_listener()
    try:
        settings = {**TEST_SETTINGS, "IDP_DATABASE_URL": database_url,
                    "IDP_BASE_URL": f"http://{host}:{port_of(listener)}", **overrides}
        app = create_app(settings)
        with app.app_context():
            upgrade_schema()
    except BaseException:
        listener.close()
        raise
    return LiveServer(app, listener, host).start()


@dataclass
class TestClient:
    """A registered client and its secret."""

    client_id: str
    secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str
    #: The private key the client signs with, when it registered its public key.
    key: Any = None


@dataclass
class TestUser:
    """A user with the password and the TOTP secret (if enrolled) the tests use."""

    username: str
    password: str
    subject: str
    totp_secret: str | None = None
    phone: str | None = None
    email: str | None = None

    def totp(self, at: float | None = None) -> str:
        """Return the current code of the user's authenticator app."""
        assert self.totp_secret, "this user has no authenticator app"
        return pyotp.TOTP(self.totp_secret).at(at if at is not None else now())


@dataclass
class TestDirectory:
    """A fresh directory of the live provider: every test gets its own."""

    live: LiveServer
    slug: str
    clients: dict[str, TestClient] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"{self.live.url}/d/{self.slug}"

    def add_user(self, username: str | None = None, *, password: str = PASSWORD,
                 totp: bool = False, email: str | None = None, phone: str | None = None,
                 phone_verified: bool = True, email_verified: bool = False,
                 admin: bool = False) -> TestUser:
        """Create a user, optionally with a confirmed authenticator app, a proven phone, or
        the directory's admin role."""
        username = username or f"user{secrets.token_hex(4)}"
        with self.live.app.app_context():
            svc = services()
            directory = _get(self.slug)
            user = create_user(directory, username=username, password=password,
                               passwords=svc.passwords, now=now(),
                               email=email or f"{username}@example.org", name=username.title(),
                               phone=phone, is_admin=admin)
            user.phone_verified = bool(phone) and phone_verified
            user.email_verified = email_verified
            secret = None
            if totp:
                secret = pyotp.random_base32(32)
                db.session.add(Credential(user_id=user.id, method="totp", label="app",
                                          secret_sealed=svc.sealer.seal(secret.encode()),
                                          counter=0, data={}, created_at=now(),
                                          confirmed_at=now()))
            db.session.commit()
            return TestUser(username, password, user.subject, secret, phone=user.phone,
                            email=user.email)

    def add_client(self, client_id: str | None = None, *, public: bool = False,
                   min_acr: int | None = None, first_party: bool = True,
                   id_token_alg: str = "RS256", introspect_all: bool = False,
                   redirect_uri: str = "https://rp.example.org/callback",
                   service_scopes: str | None = None,
                   jwt_access_tokens: bool = False,
                   pairwise_subject: bool = False, key: Any = None,
                   jwks_uri: str | None = None, private_key_jwt: bool = False,
                   require_par: bool = False, require_dpop: bool = False,
                   backchannel_logout_uri: str | None = None,
                   device_grant: bool = False) -> TestClient:
        """Register a client with one redirect URI and one post-logout URI (`introspect_all`:
        a resource server that may introspect every app's tokens; `service_scopes`: a service
        account granted these admin scopes; `jwt_access_tokens`: RFC 9068 access tokens;
        `pairwise_subject`: a sub of its own for each person; `key`: a joserfc private key
        whose public half is registered, or published at `jwks_uri`; `private_key_jwt`:
        it authenticates with that key; `require_par`: its requests must be pushed;
        `require_dpop`: it gets tokens only with a DPoP proof; `backchannel_logout_uri`:
        where it is told that a session ended; `device_grant`: it may sign in devices with a
        code)."""
        client_id = client_id or f"client-{secrets.token_hex(4)}"
        logout_uri = redirect_uri.rsplit("/", 1)[0] + "/logged-out"
        with self.live.app.app_context():
            _client, secret = create_client(
                _get(self.slug), client_id=client_id, redirect_uris=[redirect_uri],
                post_logout_redirect_uris=[logout_uri], now=now(), public=public,
                min_acr=min_acr, first_party=first_party, id_token_alg=id_token_alg,
                introspect_all=introspect_all, service_account=service_scopes is not None,
                service_scopes=service_scopes or "", jwt_access_tokens=jwt_access_tokens,
                pairwise_subject=pairwise_subject, private_key_jwt=private_key_jwt,
                jwks={"keys": [key.as_dict(private=False)]} if key and not jwks_uri else None,
                jwks_uri=jwks_uri, require_par=require_par, require_dpop=require_dpop,
                backchannel_logout_uri=backchannel_logout_uri, device_grant=device_grant)
            db.session.commit()
        client = TestClient(client_id, secret, redirect_uri, logout_uri, key)
        self.clients[client_id] = client
        return client

    def set_levels(self, required_level: int | None = None,
                   counts_for: dict[str, int | None] | None = None, **points: int) -> None:
        """Change the directory's required level, method points and how long methods count
        (seconds)."""
        with self.live.app.app_context():
            update_levels(_get(self.slug), required_level, points or None, counts_for)
            db.session.commit()


def _get(slug: str):
    from idp.tenants.directories import get_directory

    directory = get_directory(slug)
    assert directory is not None
    return directory


def operators_directory(live: LiveServer) -> TestDirectory:
    """Return the operators' directory of the live provider (made once, as `idp init` does)."""
    with live.app.app_context():
        directory, _created = ensure_operator_directory(services().sealer, now())
        db.session.commit()
        return TestDirectory(live, directory.slug)


def new_directory(live: LiveServer) -> TestDirectory:
    """Create a directory with a random slug and its keys."""
    slug = f"t{secrets.token_hex(5)}"
    with live.app.app_context():
        directory = create_directory(slug, f"Test {slug}", services().sealer, now())
        db.session.commit()
        assert issuer_of(directory, services().base_url) == f"{live.url}/d/{slug}"
    return TestDirectory(live, slug)
