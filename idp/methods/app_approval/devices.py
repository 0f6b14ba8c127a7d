"""The provider's authenticator app: activation, signed requests, and login approvals.

An app is activated with a single-use, 10-minute code shown in the browser; it sends a
P-256 public key and the user's PIN (stored as an argon2id hash). Each later request is
signed with the device key over a fresh server nonce (used once, 60 s), so a captured
request cannot be replayed. The rules (weak PINs, choices, lifetimes, blocking) are in
``idp.domain.approval``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from flask_babel import ngettext
from sqlalchemy import ColumnElement, exists, select, update

from ... import audit
from ...domain.approval import (
    ACTIVATION_TTL,
    APPROVAL_TTL,
    PIN_ATTEMPTS,
    ApprovalState,
    answer_problem,
    may_push,
    pin_problem,
    valid_choices,
    wrong_pin_outcome,
)
from ...errors import IdpError
from ...security.passwords import PasswordService
from ...security.sealing import Sealer
from ...security.tokens import hash_secret
from ...storage import db
from ...storage.models import AppActivation, AppApproval, AppDevice, AppNonce, Directory, User

NONCE_TTL = 60.0
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CODE_LENGTH = 10  # 50 bits, for 10 minutes, single use, rate-limited
MAX_NAME = 100

def denied_since(session_id: ColumnElement[int],
                 since: ColumnElement[float]) -> ColumnElement[bool]:
    """The condition that the app said "This wasn't me" to a login of browser session
    `session_id` at or after `since` (the start of a pending login)."""
    return exists().where(AppApproval.session_id == session_id,
                          AppApproval.status == "denied", AppApproval.decided_at >= since)


class AppError(IdpError):
    """A request of the app is refused: an error code, a status and a message for people.

    Answered as JSON by the app API's own handler, which adds the `extra` fields.
    """

    def __init__(self, error: str, description: str, status: int = 400, **extra: Any):
        super().__init__(description, error=error, status=status)
        self.extra = extra


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url strictly."""
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def normalize_code(typed: str) -> str:
    """Return an activation code as stored: upper case, no dashes or spaces, look-alikes fixed."""
    kept = "".join(ch for ch in (typed or "")[:64].upper() if ch.isascii() and ch.isalnum())
    return kept.translate(str.maketrans({"I": "1", "L": "1", "O": "0"}))


def format_code(code: str) -> str:
    """Return a code grouped for reading aloud: ABCD-EFGH-JK."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def public_key_of(jwk: Any) -> ec.EllipticCurvePublicKey:
    """Return the P-256 public key of a JWK, or raise AppError."""
    try:
        if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
            raise ValueError("not a P-256 key")
        x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            raise ValueError("wrong coordinate size")
        return ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                             ec.SECP256R1()).public_key()
    except (KeyError, ValueError, TypeError) as exc:
        raise AppError("invalid_request", "public_key must be a P-256 public key as a JWK.") \
            from exc


def signing_input(method: str, path: str, nonce: str, body: bytes) -> bytes:
    """Return what the app signs: method, path, nonce and the body's SHA-256, one per line."""
    return f"{method}\n{path}\n{nonce}\n{hashlib.sha256(body).hexdigest()}".encode()


@dataclass
class AppDevices:
    """Activate apps, authenticate their requests, and carry approvals between app and page."""

    passwords: PasswordService

    # Activation.

    def new_activation(self, directory: Directory, user: User, session_id: int | None,
                       now: float, sealer: Sealer) -> str:
        """Replace the unused activation codes this browser session asked for with a new
        one; return it.

        Made only on the person's request (a POST); the code is kept sealed too, so the
        set-up pages of the same browser session can show it again until it is used or
        expires (``live_activation``). Another browser of the same person asks for its own.
        """
        same_session = AppActivation.session_id.is_(None) if session_id is None \
            else AppActivation.session_id == session_id
        db.session.execute(update(AppActivation).where(
            AppActivation.user_id == user.id, AppActivation.used_at.is_(None), same_session,
        ).values(used_at=now))
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        db.session.add(AppActivation(directory_id=directory.id, user_id=user.id,
                                     session_id=session_id, code_hash=hash_secret(code),
                                     code_sealed=sealer.seal(code.encode()), created_at=now,
                                     expires_at=now + ACTIVATION_TTL))
        return code

    def live_activation(self, user: User, session_id: int | None,
                        now: float) -> AppActivation | None:
        """Return the newest activation this browser session asked for that can still be
        used, if any (none without a session)."""
        if session_id is None:
            return None
        return db.session.scalars(select(AppActivation).where(
            AppActivation.user_id == user.id, AppActivation.session_id == session_id,
            AppActivation.used_at.is_(None), AppActivation.expires_at > now,
            AppActivation.code_sealed.is_not(None),
        ).order_by(AppActivation.id.desc())).first()

    def activate(self, directory: Directory, body: dict[str, Any], now: float) -> AppDevice:
        """Bind a new app to the user of an activation code; the code works once."""
        code = normalize_code(str(body.get("code") or ""))
        name = " ".join(str(body.get("device_name") or "").split())[:MAX_NAME]
        pin = body.get("pin")
        key = public_key_of(body.get("public_key"))
        if not name:
            raise AppError("invalid_request", "device_name is required.")
        if not isinstance(pin, str) or pin_problem(pin) == "format":
            raise AppError("invalid_request", "pin must be 5 digits.")
        if pin_problem(pin) == "weak":
            raise AppError("weak_pin", "This PIN is too easy to guess. Choose another one.")
        claimed = db.session.execute(update(AppActivation).where(
            AppActivation.code_hash == hash_secret(code),
            AppActivation.directory_id == directory.id,
            AppActivation.used_at.is_(None), AppActivation.expires_at > now,
        ).values(used_at=now).returning(AppActivation.user_id)).first() if code else None
        if claimed is None:
            raise AppError("invalid_code", "This activation code is wrong, used or expired. "
                                           "Ask for a new one on the sign-in page.")
        numbers = key.public_numbers()
        jwk = {"kty": "EC", "crv": "P-256",
               "x": _b64url(numbers.x.to_bytes(32, "big")),
               "y": _b64url(numbers.y.to_bytes(32, "big"))}
        device = AppDevice(directory_id=directory.id, user_id=claimed.user_id,
                           public_id="dv_" + secrets.token_urlsafe(24), name=name,
                           public_jwk=jwk,
                           pin_hash=self.passwords.hash(pin), pin_failures=0, created_at=now)
        db.session.add(device)
        db.session.flush()
        return device

    # Devices.

    def devices(self, user: User) -> list[AppDevice]:
        """Return the user's apps that are not removed, oldest first."""
        return list(db.session.scalars(select(AppDevice).where(
            AppDevice.user_id == user.id, AppDevice.removed_at.is_(None)).order_by(AppDevice.id)))

    def usable(self, user: User, *, confirmed: bool = True) -> bool:
        """Return whether the user has an app that can approve (not removed, not blocked).

        An app counts as a sign-in method once it approved a first login (`confirmed`);
        until then it is only activated.
        """
        return any(d.blocked_at is None and (d.confirmed_at is not None or not confirmed)
                   for d in self.devices(user))

    def remove(self, device: AppDevice, now: float) -> None:
        """Remove a device: its key and PIN no longer work."""
        device.removed_at = now

    def _device(self, directory: Directory, public_id: Any) -> AppDevice:
        device = db.session.scalars(select(AppDevice).where(
            AppDevice.public_id == str(public_id)[:64],
            AppDevice.directory_id == directory.id)).first() if public_id else None
        if device is None or device.removed_at is not None:
            raise AppError("unknown_device", "This app is not activated here.", 404)
        if device.blocked_at is not None:
            raise AppError("device_blocked", "This app is blocked after too many wrong PINs. "
                                             "Activate it again from the sign-in page.", 403)
        return device

    def new_nonce(self, directory: Directory, public_id: Any, now: float) -> str:
        """Return a fresh nonce for the device to sign once."""
        device = self._device(directory, public_id)
        nonce = secrets.token_urlsafe(32)
        db.session.add(AppNonce(device_id=device.id, nonce_hash=hash_secret(nonce),
                                expires_at=now + NONCE_TTL))
        return nonce

    def authenticate(self, directory: Directory, headers: Any, method: str, path: str,
                     body: bytes, now: float) -> AppDevice:
        """Return the device that signed this request over an unused nonce, or raise AppError."""
        public_id, nonce = headers.get("X-Device-Id"), headers.get("X-Nonce") or ""
        device = self._device(directory, public_id)
        try:
            signature = b64url_decode(headers.get("X-Signature") or "")
            if len(signature) != 64 or len(nonce) > 100:
                raise ValueError("malformed")
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                       int.from_bytes(signature[32:], "big"))
            public_key_of(device.public_jwk).verify(
                der, signing_input(method, path, nonce, body), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature, AppError) as exc:
            raise AppError("invalid_signature", "The request is not signed by this app.",
                           401) from exc
        used = db.session.execute(update(AppNonce).where(
            AppNonce.nonce_hash == hash_secret(nonce), AppNonce.device_id == device.id,
            AppNonce.used_at.is_(None), AppNonce.expires_at > now).values(used_at=now)).rowcount
        if used != 1:
            raise AppError("invalid_signature", "This request was already used or has expired. "
                                                "Fetch a new nonce.", 401)
        device.last_used_at = now
        return device

    # Approvals.

    def request_approval(self, directory: Directory, user: User, session_id: int,
                         purpose: str, client_name: str | None, ip: str | None,
                         user_agent: str | None, now: float) -> AppApproval:
        """Push a new approval to the user's app; the previous pending one of this session ends."""
        recent = db.session.scalars(select(AppApproval.created_at).where(
            AppApproval.user_id == user.id, AppApproval.created_at > now - 3600))
        wait = may_push(list(recent), now)
        if wait > 0:
            # Shown on the login page (the person asked from there), so in its language.
            raise AppError("slow_down", ngettext(
                "Too many requests to your app. Try again in %(num)s minute, or choose "
                "another way.",
                "Too many requests to your app. Try again in %(num)s minutes, or choose "
                "another way.", int(wait // 60) + 1), 429, retry_after=wait)
        db.session.execute(update(AppApproval).where(
            AppApproval.session_id == session_id, AppApproval.status == "pending"
        ).values(status="refused", decided_at=now))
        choices = secrets.SystemRandom().sample(range(10, 100), 3)
        approval = AppApproval(
            public_id="ap_" + secrets.token_urlsafe(24), directory_id=directory.id,
            user_id=user.id,
            session_id=session_id, purpose=purpose, client_name=(client_name or "")[:200] or None,
            ip=ip, user_agent=(user_agent or "")[:300] or None, number=choices[0],
            choices=sorted(choices), status="pending", created_at=now,
            expires_at=now + APPROVAL_TTL)
        assert valid_choices(approval.number, approval.choices)
        db.session.add(approval)
        db.session.flush()
        return approval

    def latest(self, session_id: int, user: User, purpose: str) -> AppApproval | None:
        """Return the newest approval asked for in this browser session."""
        return db.session.scalars(select(AppApproval).where(
            AppApproval.session_id == session_id, AppApproval.user_id == user.id,
            AppApproval.purpose == purpose
        ).order_by(AppApproval.id.desc())).first()

    def pending(self, device: AppDevice, now: float) -> list[AppApproval]:
        """Return the approvals the device's user may still answer, newest first."""
        return list(db.session.scalars(select(AppApproval).where(
            AppApproval.user_id == device.user_id, AppApproval.status == "pending",
            AppApproval.expires_at > now).order_by(AppApproval.id.desc())))

    def answer(self, device: AppDevice, public_id: str, body: Any, now: float) -> str:
        """Apply the app's decision on an approval; return the new status or raise AppError."""
        if not isinstance(body, dict) or body.get("decision") not in ("approve", "deny"):
            raise AppError("invalid_request", "decision must be approve or deny.")
        approval = db.session.scalars(select(AppApproval).where(
            AppApproval.public_id == str(public_id)[:64])).first()
        if approval is not None and approval.user_id != device.user_id:
            approval = None  # another user's login is not this app's business
        problem = answer_problem(
            ApprovalState(approval.status, approval.expires_at) if approval else None, now)
        if problem or approval is None:
            raise AppError(*{
                "not_found": ("not_found", "There is no such login to approve.", 404),
                "already_decided": ("already_decided", "This login was already answered.", 409),
                "expired": ("expired", "This login waited too long. Start it again.", 410),
            }[problem or "not_found"])
        if body["decision"] == "deny":
            # "This wasn't me" ends the login at once (``denied_since``): audited now, with
            # where the browser that asked was, and saved with the decision.
            audit.record(device.directory_id, audit.events.LOGIN_DENIED, now,
                         user_id=device.user_id, ip=approval.ip, user_agent=approval.user_agent,
                         method="app")
            return self._decide(approval, device, "denied", now)
        number, pin = body.get("number"), body.get("pin")
        if not isinstance(number, int) or isinstance(number, bool) or not isinstance(pin, str):
            raise AppError("invalid_request", "number (an integer) and pin (5 digits) are needed.")
        if not hmac.compare_digest(str(number), str(approval.number)):
            # Recorded with the decision: the answer to the app is an error, after which
            # nothing more is written.
            audit.record(device.directory_id, audit.events.APP_ANSWERS["refused"], now,
                         user_id=device.user_id, device=device.name)
            self._decide(approval, device, "refused", now)
            raise AppError("wrong_number", "That is not the number the browser shows. The login "
                                           "was stopped; start it again if it was you.")
        failures = self._reserve_pin_try(device)
        if not self.passwords.verify(device.pin_hash, pin[:16]):
            self._wrong_pin(device, failures, now)
        db.session.execute(update(AppDevice).where(AppDevice.id == device.id).values(
            pin_failures=0).execution_options(synchronize_session=False))
        return self._decide(approval, device, "approved", now)

    def _reserve_pin_try(self, device: AppDevice) -> int:
        """Count one more PIN try before it is checked, atomically; return the tries so far.

        Concurrent answers each reserve their try in turn, so no more than PIN_ATTEMPTS
        wrong PINs are ever checked; a right PIN gives the tries back.
        """
        db.session.commit()
        reserved = db.session.execute(update(AppDevice).where(
            AppDevice.id == device.id, AppDevice.pin_failures < PIN_ATTEMPTS,
            AppDevice.blocked_at.is_(None), AppDevice.removed_at.is_(None),
        ).values(pin_failures=AppDevice.pin_failures + 1).returning(AppDevice.pin_failures)
        .execution_options(synchronize_session=False)).scalar()
        db.session.commit()
        if reserved is None:
            raise AppError("device_blocked", "Too many wrong PINs: this app is blocked. "
                                             "Activate it again from the sign-in page.", 403)
        return reserved

    def _wrong_pin(self, device: AppDevice, failures: int, now: float) -> None:
        """Keep the reserved try as a wrong PIN; block the device at the limit."""
        _, blocked = wrong_pin_outcome(failures - 1)
        if blocked and db.session.execute(update(AppDevice).where(
                AppDevice.id == device.id, AppDevice.blocked_at.is_(None)).values(
                blocked_at=now).execution_options(synchronize_session=False)).rowcount:
            audit.record(device.directory_id, audit.events.APP_BLOCKED, now, user_id=device.user_id,
                         device=device.name, failures=failures)
        db.session.commit()
        if blocked:
            raise AppError("device_blocked", "Too many wrong PINs: this app is blocked. "
                                             "Activate it again from the sign-in page.", 403)
        raise AppError("wrong_pin", "This PIN is not right.",
                       attempts_left=PIN_ATTEMPTS - failures)

    def _decide(self, approval: AppApproval, device: AppDevice, status: str, now: float) -> str:
        claimed = db.session.execute(update(AppApproval).where(
            AppApproval.id == approval.id, AppApproval.status == "pending"
        ).values(status=status, decided_at=now, device_id=device.id)).rowcount
        if claimed != 1:
            raise AppError("already_decided", "This login was already answered.", 409)
        db.session.commit()
        return status

    def consume(self, approval: AppApproval, now: float) -> bool:
        """Use an approved approval for the login, once; its app is confirmed by it."""
        used = db.session.execute(update(AppApproval).where(
            AppApproval.id == approval.id, AppApproval.status == "approved",
            AppApproval.used_at.is_(None)).values(used_at=now)).rowcount == 1
        if used and approval.device_id is not None:
            db.session.execute(update(AppDevice).where(
                AppDevice.id == approval.device_id, AppDevice.confirmed_at.is_(None)
            ).values(confirmed_at=now))
        return used


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
