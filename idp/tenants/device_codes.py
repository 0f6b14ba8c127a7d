"""A directory's device authorizations (RFC 8628): started by a device, answered by a person's
login in a browser, polled and redeemed once by the device.

The device code is a high-entropy secret kept as its hash; the user code (``idp.domain.
device_codes``) has only 34 bits and is kept as a keyed hash, so the table alone does not
give it away. Whatever must happen once is a conditional UPDATE: a decision only on a
request still pending and live, a redemption only of an approved request not yet redeemed,
and a poll sooner than its interval is told so once (RFC 8628 3.5). Two requests at the
same moment never both get their way.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..security.sealing import Sealer
from ..security.tokens import hash_secret, presented_digest
from ..storage import db
from ..storage.models import Client, DeviceAuthorization, Directory

PENDING, APPROVED, DENIED = "pending", "approved", "denied"
#: What slow_down adds to a device's polling interval (RFC 8628 3.5).
SLOW_DOWN_SECONDS = 5
#: The longest device code looked up: ours are 43 characters.
MAX_DEVICE_CODE = 200
#: New user codes tried when one is taken (by a request not yet purged).
USER_CODE_TRIES = 5


class DeviceCodeRefused(Exception):
    """A typed user code names no request a login may answer now.

    `reason`: ``unknown`` (no such code: a wrong guess), ``spent`` (expired, or answered
    already) or ``app`` (the app may no longer use the grant); only ``unknown`` is a guess.
    """

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @property
    def guess(self) -> bool:
        """Say whether the code counts as a wrong guess at a user code."""
        return self.reason == "unknown"


class NoUserCode(RuntimeError):
    """Every user code tried was taken (never seen in practice: 20^8 codes)."""


def user_code_digest(sealer: Sealer, directory_id: int, letters: str) -> str:
    """Return the stored form of a user code: a keyed hash, bound to its directory."""
    return sealer.digest(f"device-user-code:{directory_id}:{letters}")


def start_request(directory: Directory, client: Client, *, scope: str,
                  acr_values: str | None, device_code: str,
                  new_user_code: Callable[[], str], sealer: Sealer, now: float,
                  seconds: int, interval: int) -> str:
    """Store a device's request and commit it; return its user code's letters.

    A user code another stored request holds is replaced by a fresh one (the unique hash
    refuses it), so a code typed names one request only.
    """
    directory_id, client_pk = directory.id, client.id
    for _ in range(USER_CODE_TRIES):
        letters = new_user_code()
        db.session.add(DeviceAuthorization(
            directory_id=directory_id, client_pk=client_pk,
            device_code_hash=hash_secret(device_code),
            user_code_hash=user_code_digest(sealer, directory_id, letters), scope=scope,
            acr_values=acr_values, created_at=now, expires_at=now + seconds,
            poll_interval=interval, status=PENDING))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        return letters
    raise NoUserCode("no free user code")


def find_by_device_code(directory_id: int, device_code: object) -> DeviceAuthorization | None:
    """Return the directory's request whose device code this is, in whatever state."""
    digest = presented_digest(device_code, MAX_DEVICE_CODE)
    if digest is None:
        return None
    return db.session.scalars(select(DeviceAuthorization).where(
        DeviceAuthorization.device_code_hash == digest,
        DeviceAuthorization.directory_id == directory_id)).first()


def waiting_request(directory: Directory, letters: str, sealer: Sealer,
                    now: float) -> DeviceAuthorization:
    """Return the pending, live request a typed user code names; raise DeviceCodeRefused."""
    row = db.session.scalars(select(DeviceAuthorization).where(
        DeviceAuthorization.user_code_hash == user_code_digest(sealer, directory.id, letters),
        DeviceAuthorization.directory_id == directory.id)).first()
    if row is None:
        raise DeviceCodeRefused("unknown")
    if row.status != PENDING or row.expires_at <= now:
        raise DeviceCodeRefused("spent")
    if not device_app(row):
        raise DeviceCodeRefused("app")
    return row


def device_app(row: DeviceAuthorization) -> Client | None:
    """Return the app that asked, while it may use the grant (enabled, switch on)."""
    client = db.session.get(Client, row.client_pk)
    if client is None or client.disabled or not client.device_grant:
        return None
    return client


def pending_request(directory_id: int, request_id: object,
                    now: float) -> DeviceAuthorization | None:
    """Return the request a pending login answers, while it is pending and live."""
    if not isinstance(request_id, str) or not request_id.isascii() \
            or not request_id.isdigit() or len(request_id) > 18:
        return None
    row = db.session.get(DeviceAuthorization, int(request_id))
    if row is None or row.directory_id != directory_id or row.status != PENDING \
            or row.expires_at <= now:
        return None
    return row


def _decide(request_id: int, now: float, **values) -> bool:
    return db.session.execute(update(DeviceAuthorization).where(
        DeviceAuthorization.id == request_id, DeviceAuthorization.status == PENDING,
        DeviceAuthorization.expires_at > now).values(decided_at=now, **values)
        .execution_options(synchronize_session=False)).rowcount == 1


def approve_request(request_id: int, *, user_id: int, session_id: int, acr: str,
                    amr: list[str], auth_time: int, now: float) -> bool:
    """Approve a pending request with a login's outcome; False when it was answered already
    or has expired (not committed here)."""
    return _decide(request_id, now, status=APPROVED, user_id=user_id, session_id=session_id,
                   acr=acr, amr=amr, auth_time=auth_time)


def deny_request(request_id: int, *, user_id: int | None, now: float) -> bool:
    """Deny a pending request; False when it was answered already or has expired (not
    committed here)."""
    return _decide(request_id, now, status=DENIED, user_id=user_id)


def note_poll(row: DeviceAuthorization, now: float) -> bool:
    """Record a poll of a pending request; return False when it came sooner than the
    device's interval after the last one, which then grows by 5 seconds for this and
    every later poll (RFC 8628 3.5 ``slow_down``)."""
    on_time = db.session.execute(update(DeviceAuthorization).where(
        DeviceAuthorization.id == row.id,
        or_(DeviceAuthorization.last_polled_at.is_(None),
            DeviceAuthorization.last_polled_at + DeviceAuthorization.poll_interval <= now))
        .values(last_polled_at=now).execution_options(synchronize_session=False)).rowcount
    if on_time == 1:
        return True
    db.session.execute(update(DeviceAuthorization).where(DeviceAuthorization.id == row.id)
                       .values(last_polled_at=now, poll_interval=DeviceAuthorization
                               .poll_interval + SLOW_DOWN_SECONDS)
                       .execution_options(synchronize_session=False))
    return False


def redeem_request(row: DeviceAuthorization, now: float) -> bool:
    """Claim an approved request's tokens once; False when they were claimed before.

    Not committed here but with the tokens: a second redemption at the same moment waits
    for this one's row lock, then finds it claimed.
    """
    return db.session.execute(update(DeviceAuthorization).where(
        DeviceAuthorization.id == row.id, DeviceAuthorization.status == APPROVED,
        DeviceAuthorization.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
