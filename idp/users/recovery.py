"""Account recovery: prove it is you without the password, then choose a new one.

A reset runs inside a pending login and keeps its state there (``Interaction.state``,
server-side), never in the browser session: what is proven during a reset logs nobody in.

1. The person names the account. Whether or not it exists, the answer, its time and the
   work are the same: a known account with a proven email address (else a proven mobile
   number) is sent a code, in the background once the answer's transaction has committed
   and the answer is written (it never waits for the mail server or SMS gateway, nor
   shares the interpreter with the send: ``idp.web.later``); for an unknown name, or an
   account with neither, a code is made, composed and hashed all the same, within the same
   limit queries, and sent nowhere. Nothing about the account is shown before a first proof.
2. A first proof of possession: that code, or a passkey (whose user handle names the
   account). Wrong codes are counted in the reset for every name alike, so the tries left
   say nothing either.
3. A step-up to the directory's reset level with the sign-in methods other than the password
   and the remembered device (``idp.domain.recovery``), on the login's own method pages.
   Someone whose methods cannot reach it is told to contact their admin.
4. A new password (the one password policy), then every session and app sign-in of the user
   ends and every address of the account is told.

An admin's reset link (``PasswordReset``) skips 1 to 3: the link reached the proven email
address the admin sent it to, as an invitation does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_babel import gettext, lazy_gettext

from .. import audit, clock
from ..delivery import Delivery, DeliveryFailed, Message
from ..domain import StepUpPlan, plan_reset
from ..methods import MethodContext, MethodFailed, SignInMethod, enrolled_methods
from ..methods.delivered import DeliveredCode
from ..methods.one_time_codes import tries_left_text
from ..methods.totp import clean_code
from ..security.passwords import PasswordService
from ..security.sealing import Sealer
from ..storage import db
from ..storage.models import Client, Directory, PasswordReset, User
from ..tenants.accounts import PasswordRefused, active_user, find_user, set_password
from ..tenants.brand import brand_of
from ..tenants.directories import issuer_of, level_settings
from .links import reset_links
from .notifications import Origin, notify_reset
from .sessions import Ended, end_sessions

#: Where the first code goes, in order: the proven email address, else the proven number.
FIRST_CHANNELS = ("email", "sms")
MAX_NAME = 254

CODE_EXPIRED = lazy_gettext("This code has expired. Start again to get a new one.")
TOO_MANY = lazy_gettext("Too many wrong codes. Start again in an hour.")


class ResetRefused(Exception):
    """A step of a reset is refused; the message says why, for the person. `field` names
    the form field at fault ("" for the form)."""

    def __init__(self, message: str, field: str = "", reset: Reset | None = None):
        super().__init__(message)
        self.field = field
        self.reset = reset  # a wrong first code: the reset with the try counted


@dataclass
class ResetContext:
    """Where a reset happens: the directory, the browser session, when, from where."""

    directory: Directory
    methods: Mapping[str, SignInMethod]
    sealer: Sealer
    now: float
    session_id: int | None
    ip: str | None = None
    user_agent: str | None = None
    max_failures: int = 5
    code_ttl: float = 600

    def method_context(self, user: User) -> MethodContext:
        """Return the context a sign-in method runs in for `user`."""
        return MethodContext(directory=self.directory, user=user, now=self.now,
                             sealer=self.sealer, session_id=self.session_id, ip=self.ip)


@dataclass(frozen=True)
class Reset:
    """A reset in progress, as kept in the pending login: the account (None: the name is
    unknown, or it has nowhere to send a code), where its first code went, what the person
    proved so far, and the wrong codes typed."""

    user_id: int | None
    channel: str | None
    proven: tuple[str, ...] = ()
    failures: int = 0
    sent_at: float = 0.0
    name: str = ""
    reported: tuple[str, ...] = ()  # the audit events of the outcome, recorded once

    @classmethod
    def from_state(cls, state: Mapping[str, Any] | None) -> Reset | None:
        data = (state or {}).get("reset")
        if not isinstance(data, dict):
            return None
        return cls(user_id=data.get("user"), channel=data.get("channel"),
                   proven=tuple(data.get("proven") or ()), failures=int(data.get("failures")
                                                                         or 0),
                   sent_at=float(data.get("sent_at") or 0), name=str(data.get("name") or ""),
                   reported=tuple(data.get("reported") or ()))

    def to_state(self) -> dict[str, Any]:
        return {"user": self.user_id, "channel": self.channel, "proven": list(self.proven),
                "failures": self.failures, "sent_at": self.sent_at, "name": self.name,
                "reported": list(self.reported)}

    @property
    def first_proof_done(self) -> bool:
        return bool(self.proven)


def reset_user(ctx: ResetContext, reset: Reset) -> User | None:
    """Return the account of a reset, while it exists and is enabled."""
    return active_user(ctx.directory.id, reset.user_id)


def first_channel(ctx: ResetContext, user: User | None) -> DeliveredCode | None:
    """Return the channel of the first code: the proven email address, else the number."""
    if user is None:
        return None
    for name in FIRST_CHANNELS:
        method = ctx.methods.get(name)
        if isinstance(method, DeliveredCode) and method.is_enrolled(user):
            return method
    return None


def start_reset(ctx: ResetContext, typed: str) -> Reset:
    """Store the first code for the named account, or do the same work for nothing.

    The returned reset is the same in shape whatever the name: the page that follows
    is too, and so is its time: the code is sent in the background once the request's
    transaction commits, and an unknown name rehearses the same checks, queries and hash.
    A send the code limits refuse is not told either (the person gets no code and may
    start again later); it is audited, as is a send that fails in the background.
    """
    name = (typed or "").strip()[:MAX_NAME]
    if not name:
        raise ResetRefused(gettext("Enter your username or email address."), "username")
    found = find_user(ctx.directory, name)
    user = found if found is not None and not found.disabled else None
    method = first_channel(ctx, user)
    sent = False
    if user is not None and method is not None:
        try:
            method.challenge_reset(ctx.method_context(user),
                                   on_undelivered=_undelivered(ctx, user.id, method.name))
            sent = True
        except MethodFailed:
            db.session.rollback()
    if not sent:
        _rehearse(ctx, name)
    audit.record(ctx.directory.id, audit.events.PASSWORD_RESET_STARTED, ctx.now,
                 user_id=user.id if user is not None else None, ip=ctx.ip,
                 user_agent=ctx.user_agent, method=method.name if sent and method else None)
    return Reset(user_id=user.id if sent and user is not None else None,
                 channel=method.name if sent and method else None, sent_at=ctx.now,
                 name=name)


def _rehearse(ctx: ResetContext, name: str) -> None:
    """Cost what a first code costs, for a name that gets none: a code made, its message
    and keyed hash, and the queries of the code limits, with nothing stored or sent."""
    method = next((m for m in (ctx.methods.get(n) for n in FIRST_CHANNELS)
                   if isinstance(m, DeliveredCode) and m.enrollable), None)
    if method is None:
        ctx.sealer.digest(f"{secrets.randbelow(10 ** 6):06d}")
        return
    # A stand-in, never added to the session: the queries find no code of it. The typed
    # name stands for the destination (printable only: PostgreSQL refuses NUL in text).
    nobody = User(directory_id=ctx.directory.id, username=name)
    method.rehearse_reset(ctx.method_context(nobody), "".join(filter(str.isprintable, name)))


def _undelivered(ctx: ResetContext, user_id: int, channel: str) -> Callable[[str], None]:
    """Return what audits that the first code of this reset could not be sent: called
    after the request, in a transaction of its own."""
    directory_id, ip, user_agent = ctx.directory.id, ctx.ip, ctx.user_agent

    def record(reason: str) -> None:
        audit.record(directory_id, audit.events.PASSWORD_RESET_CODE_UNDELIVERED, clock.now(),
                     user_id=user_id, ip=ip, user_agent=user_agent, method=channel,
                     reason=reason)

    return record


def check_first_code(ctx: ResetContext, reset: Reset, typed: str) -> Reset:
    """Accept the first code, or raise ResetRefused with the same words for every name.

    The tries are counted in the reset itself (and on the code, for a real one), so the
    tries left, the expiry and the lock-out read alike whether a code was sent or not.
    """
    try:
        code = clean_code((typed or "")[:64])
    except MethodFailed as exc:
        raise ResetRefused(str(exc), "code") from exc
    if reset.failures >= ctx.max_failures:
        raise ResetRefused(str(TOO_MANY), "code")
    if ctx.now > reset.sent_at + ctx.code_ttl:
        raise ResetRefused(str(CODE_EXPIRED), "code")
    user = reset_user(ctx, reset)
    method = ctx.methods.get(reset.channel or "")
    if user is not None and isinstance(method, DeliveredCode):
        try:
            method.verify_reset(ctx.method_context(user), {"code": code})
        except MethodFailed:
            db.session.rollback()
        else:
            return _proven(ctx, reset, user, method.name)
    else:
        ctx.sealer.digest(code)  # the same comparison's work, against nothing
    counted = with_failure(reset)
    left = ctx.max_failures - counted.failures
    raise ResetRefused(tries_left_text(left) if left > 0 else str(TOO_MANY), "code", counted)


def passkey_proof(ctx: ResetContext, reset: Reset | None, user: User) -> Reset:
    """Start (or go on with) a reset proven by a passkey, which named the account."""
    if reset is not None and reset.user_id not in (None, user.id):
        reset = None  # a passkey of another account starts afresh
    base = reset if reset is not None and reset.user_id == user.id else Reset(
        user_id=user.id, channel=None, sent_at=ctx.now, name=user.username)
    return _proven(ctx, base, user, "passkey")


def record_proof(ctx: ResetContext, reset: Reset, user: User, method: str) -> Reset:
    """Add a method proven on the login's method pages during a reset."""
    return _proven(ctx, reset, user, method)


def _proven(ctx: ResetContext, reset: Reset, user: User, method: str) -> Reset:
    proven = tuple(dict.fromkeys((*reset.proven, method)))
    plan = reset_plan(ctx, user, proven)
    audit.record(ctx.directory.id, audit.events.PASSWORD_RESET_PROOF, ctx.now, user_id=user.id,
                 ip=ctx.ip, user_agent=ctx.user_agent, method=method, level=plan.level)
    return Reset(user_id=user.id, channel=reset.channel, proven=proven,
                 failures=reset.failures, sent_at=reset.sent_at, name=reset.name,
                 reported=reset.reported)


def with_failure(reset: Reset) -> Reset:
    """Return the reset with one more wrong first code."""
    return Reset(user_id=reset.user_id, channel=reset.channel, proven=reset.proven,
                 failures=reset.failures + 1, sent_at=reset.sent_at, name=reset.name,
                 reported=reset.reported)


def reset_plan(ctx: ResetContext, user: User, proven: tuple[str, ...]) -> StepUpPlan:
    """Return where the person stands against the reset level, and what can still help."""
    return plan_reset(level_settings(ctx.directory), ctx.directory.reset_level, proven,
                      enrolled_methods(user, ctx.methods))


def report_outcome(ctx: ResetContext, reset: Reset, user: User, plan: StepUpPlan) -> Reset:
    """Audit, once per reset, that the level was reached or cannot be (the person is stuck)."""
    key = "reached" if plan.satisfied else "stuck" if not plan.reachable else None
    if key is None or key in reset.reported:
        return reset
    if plan.satisfied:
        audit.record(ctx.directory.id, audit.events.PASSWORD_RESET_LEVEL_REACHED, ctx.now,
                     user_id=user.id, ip=ctx.ip, user_agent=ctx.user_agent, level=plan.level,
                     methods=list(reset.proven))
    else:
        audit.record(ctx.directory.id, audit.events.PASSWORD_RESET_STUCK, ctx.now,
                     user_id=user.id, ip=ctx.ip, user_agent=ctx.user_agent, level=plan.level,
                     methods=list(reset.proven))
    return Reset(user_id=reset.user_id, channel=reset.channel, proven=reset.proven,
                 failures=reset.failures, sent_at=reset.sent_at, name=reset.name,
                 reported=(*reset.reported, key))


def choose_password(user: User, password: str, repeat: str, passwords: PasswordService,
                    now: float) -> None:
    """Set the new password after the one password policy; raise ResetRefused."""
    if password != repeat:
        raise ResetRefused(gettext("The two passwords are not the same."), "repeat_password")
    try:
        set_password(user, password, passwords, now)
    except PasswordRefused as exc:
        raise ResetRefused(str(exc), "new_password") from exc


def finish_reset(directory: Directory, user: User, origin: Origin, purpose: str, *,
                 delivery: Delivery | None, locale: str, account_url: str) -> Ended:
    """End every session and app sign-in of the user, audit the reset, commit, and tell
    every address of the account. The password is already set (``choose_password``)."""
    ended = end_sessions(directory, user.id, origin.at, "password_reset", ip=origin.ip)
    audit.record(directory.id, audit.events.PASSWORD_RESET_COMPLETED, origin.at, user_id=user.id,
                 ip=origin.ip, user_agent=origin.user_agent, purpose=purpose,
                 sessions=ended.sessions, grants=ended.grants)
    db.session.commit()
    notify_reset(delivery, user, origin, locale=locale, account_url=account_url)
    return ended


# --- An admin's reset link ---------------------------------------------------------------

def create_reset_link(user: User, created_by: User | None, now: float,
                      ttl_seconds: float) -> str:
    """Replace the user's open reset links with a new one; return its token (shown once).

    Only to a proven email address: the link is the proof that its owner asked.
    """
    if user.disabled:
        raise ResetRefused(gettext("This user is disabled: enable them before sending a "
                                   "password reset link."))
    if not user.email or not user.email_verified:
        raise ResetRefused(gettext("This user has no proven email address, so a reset link "
                                   "cannot be sent. Ask them to prove an address, or remove "
                                   "a lost method so they can set up a new one."))
    return reset_links.issue(user, created_by, now, ttl_seconds)


def find_reset_link(directory: Directory, token: str, now: float) -> PasswordReset | None:
    """Return the open reset link this token names in this directory, if it still works."""
    row = reset_links.find(directory.id, token, now)
    if row is None:
        return None
    user = active_user(directory.id, row.user_id)
    if user is None or not user.email_verified:
        return None
    return row


def use_reset_link(directory: Directory, token: str, password: str, repeat: str,
                   passwords: PasswordService, now: float) -> User:
    """Set the new password once through the link; raise ResetRefused.

    The link is claimed with a compare-and-set, so of two tabs one wins.
    """
    row = find_reset_link(directory, token, now)
    if row is None:
        raise ResetRefused(str(LINK_GONE))
    user = db.session.get(User, row.user_id)
    choose_password(user, password, repeat, passwords, now)
    if not reset_links.claim(row, now):
        db.session.rollback()
        raise ResetRefused(str(LINK_GONE))
    return user


LINK_GONE = lazy_gettext("This password reset link has expired or was already used. Ask your "
                         "administrator to send a new one.")


def send_reset_link(directory: Directory, user: User, actor: User | Client, now: float, *,
                    delivery: Delivery | None, base_url: str, ttl_hours: int) -> None:
    """Make a reset link, commit it, email it to the proven address; audit it once sent.

    If the mail server refuses, the new link is ended at once and ResetRefused says so.
    """
    token = create_reset_link(user, actor if isinstance(actor, User) else None, now,
                              ttl_hours * 3600)
    db.session.commit()
    link = f"{issuer_of(directory, base_url)}/reset/{token}"
    try:
        if delivery is None or not delivery.can_send("email"):
            raise DeliveryFailed("no email channel")
        delivery.send(reset_link_message(user, directory, link, ttl_hours))
    except DeliveryFailed as exc:
        reset_links.end(token, now)
        db.session.commit()
        raise ResetRefused(gettext("The email could not be sent. Try again in a moment, or "
                                   "check the mail settings.")) from exc
    audit.record(directory.id, audit.events.ADMIN_RESET_LINK_SENT, now, user_id=user.id,
                 **audit.actor_of(actor))
    db.session.commit()


def reset_link_message(user: User, directory: Directory, link: str, hours: int) -> Message:
    """Return the email with the reset link (in the language of the page)."""
    brand = brand_of(directory)
    values = {
        "heading": gettext("Choose a new password"),
        "lead": gettext("An administrator of %(directory)s sent you this link to choose a new "
                        "password for your account %(username)s:", directory=brand.name,
                        username=user.username),
        "code": None, "facts": [],
        "closing": [
            link,
            gettext("It works once and expires in %(hours)s hours. Choosing a new password "
                    "ends every session of your account.", hours=hours),
            gettext("If you did not ask for it, ignore this email and tell your "
                    "administrator: nothing changes without the link."),
        ],
    }
    return Message(channel="email", to=user.email or "", sender=brand.sender,
                   subject=gettext("Choose a new password for %(directory)s",
                                   directory=brand.name),
                   text=render_template("messages/notice_email.txt", **values),
                   html=render_template("messages/notice_email.html", **values))
