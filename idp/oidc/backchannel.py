"""OpenID Connect Back-Channel Logout 1.0: the logout tokens, and posting them to the apps.

When a session ends, each app that got tokens in it and registered a
``backchannel_logout_uri`` is sent a logout token (section 2.4) once the end is committed
(``idp.tenants.logout_notices``): a JWT signed with the directory's key of the app's
ID-token algorithm, ``typ`` ``logout+jwt``, carrying ``iss``, ``aud`` (the app), ``iat``,
``exp``, ``jti``, the ``events`` member of a back-channel logout, the person's ``sub`` as
the app knows it and the session's ``sid`` as its ID tokens carry it. It has no ``nonce``.

The posts run in ``WORKERS`` background threads, never in the request that ended the
session. Each is tried at most ``len(ATTEMPT_DELAYS)`` times, waiting the next delay
before another try, while the app answers with a server error or not at all; an answer
of 200 or 204 ends it, and so does any 4xx (the app refused the token; trying again would
not change that). At most ``BACKLOG`` logouts wait their turn; more are logged and dropped.
A process that ends (the ``idp`` command, a worker restarting) waits at most
``DRAIN_SECONDS`` for those still queued. Nothing is kept across a restart: an app that
must never miss one also checks the session at its next token refresh, which fails once
the grant is revoked.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

import requests
from joserfc import jwt

from ..clock import now
from ..observability import metrics
from ..security.tokens import new_secret
from ..services import services
from ..storage import db
from ..storage.models import Client, Directory, User
from ..tenants.directories import issuer_of
from ..tenants.keys import signing_key
from ..tenants.logout_notices import LogoutNotice
from .claims import app_session_id, app_subject

log = logging.getLogger(__name__)

EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_SECONDS = 120
ATTEMPT_DELAYS = (0.0, 2.0, 10.0)
TIMEOUT = (3.0, 5.0)
WORKERS = 2
BACKLOG = 1000

#: How long a process that ends (the ``idp`` command, a worker restarting) waits for the
#: logouts still to be posted before it stops anyway.
DRAIN_SECONDS = 15.0


class _Senders:
    """``WORKERS`` daemon threads posting queued logouts; at most ``BACKLOG`` wait. At
    exit, the process waits up to ``DRAIN_SECONDS`` for the queue to empty."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[Any, LogoutNotice]] = queue.Queue(BACKLOG)
        self._started = False
        self._lock = threading.Lock()

    def submit(self, app: Any, notice: LogoutNotice) -> bool:
        """Queue a logout; False when the backlog is full."""
        with self._lock:
            if not self._started:
                for number in range(WORKERS):
                    threading.Thread(target=self._work, daemon=True,
                                     name=f"backchannel-logout-{number}").start()
                atexit.register(self.drain)
                self._started = True
        try:
            self._queue.put_nowait((app, notice))
        except queue.Full:
            return False
        return True

    def _work(self) -> None:
        while True:
            app, notice = self._queue.get()
            try:
                _deliver(app, notice)
            finally:
                self._queue.task_done()

    def drain(self, seconds: float = DRAIN_SECONDS) -> None:
        """Wait until every queued logout was posted, at most `seconds`."""
        until = time.monotonic() + seconds
        while self._queue.unfinished_tasks and time.monotonic() < until:
            time.sleep(0.05)


_senders = _Senders()


def logout_token(directory: Directory, client: Client, user: User,
                 session_id: int | None) -> str:
    """Return the signed logout token telling `client` that the session ended."""
    moment = int(now())
    claims: dict[str, Any] = {
        "iss": issuer_of(directory, services().base_url), "aud": client.client_id,
        "iat": moment, "exp": moment + TOKEN_SECONDS, "jti": new_secret(16),
        "events": {EVENT: {}}, "sub": app_subject(client, user)}
    sid = app_session_id(session_id)
    if sid is not None:
        claims["sid"] = sid
    key = signing_key(directory.id, client.id_token_alg, services().sealer, now())
    header = {"alg": client.id_token_alg, "kid": key.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, key)


def send_logouts(app: Any, notices: Sequence[LogoutNotice]) -> None:
    """Hand committed notices to the background senders (``set_sender``'s callback)."""
    for notice in notices:
        if not _senders.submit(app, notice):
            log.warning("back-channel logout: %d logouts wait already; one is dropped",
                        BACKLOG)
            metrics.LOGOUT_NOTICES.labels("dropped").inc()


def _deliver(app: Any, notice: LogoutNotice) -> None:
    try:
        with app.app_context():
            try:
                client = db.session.get(Client, notice.client_pk)
                directory = db.session.get(Directory, notice.directory_id)
                user = db.session.get(User, notice.user_id)
                if client is None or directory is None or user is None \
                        or not client.backchannel_logout_uri:
                    return
                uri = client.backchannel_logout_uri
                token = logout_token(directory, client, user, notice.session_id)
            finally:
                db.session.remove()
        _post(uri, token, notice)
    except Exception:  # a background thread: log, never let it end the thread
        log.exception("back-channel logout failed for app %s", notice.client_pk)


def _post(uri: str, token: str, notice: LogoutNotice) -> None:
    for attempt, delay in enumerate(ATTEMPT_DELAYS, start=1):
        if delay:
            time.sleep(delay)
        try:
            response = requests.post(uri, data={"logout_token": token}, timeout=TIMEOUT,
                                     allow_redirects=False)
        except requests.RequestException as exc:
            log.info("back-channel logout to app %s: attempt %d: %s", notice.client_pk,
                     attempt, type(exc).__name__)
            continue
        if response.status_code < 500:
            delivered = response.status_code in (200, 204)
            if not delivered:
                log.warning("back-channel logout refused by app %s: HTTP %d",
                            notice.client_pk, response.status_code)
            metrics.LOGOUT_NOTICES.labels("delivered" if delivered else "refused").inc()
            return
        log.info("back-channel logout to app %s: attempt %d: HTTP %d", notice.client_pk,
                 attempt, response.status_code)
    log.warning("back-channel logout to app %s not delivered after %d attempts",
                notice.client_pk, len(ATTEMPT_DELAYS))
    metrics.LOGOUT_NOTICES.labels("failed").inc()

