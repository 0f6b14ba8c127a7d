"""Self-registration: a person proves an email address with a code, then gets an account.

Only where the directory's policy allows it (``Policies.self_registration``). The answer to
an address is the same whether or not an account has it: a new address is emailed a code,
one that has an account a note saying so (no code), and both are stored alike and count
alike against the waits and limits of codes (``idp.domain.codes``), so neither the page,
the waits nor the limits tell them apart. A code is six digits from the CSPRNG, stored as
a keyed hash, bound to the directory and the pending login it was asked in; it lives as
long as the installation's codes (ten minutes at most) and allows as many wrong tries.

The new account's username is the proven address; its password passes the one password
policy (``create_user`` applies ``check_password_policy`` with the directory's policies).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, select, update

from .. import audit
from ..delivery import Delivery, DeliveryFailed, Message
from ..delivery.addresses import EMAIL_PATTERN
from ..domain import (
    CodePolicy,
    CodeRefusal,
    RecentSends,
    SentCode,
    carried_failures,
    code_problem,
    refuse_send,
    resend_wait,
)
from ..methods.one_time_codes import tries_left_text, wait_text
from ..security.passwords import PasswordService
from ..security.sealing import Sealer
from ..storage import db
from ..storage.method_use import record_added
from ..storage.models import Directory, Registration, User
from ..tenants.accounts import (
    USERNAME_PATTERN,
    AccountError,
    PasswordRefused,
    create_user,
    find_user,
    normalize_login,
)
from ..tenants.brand import brand_of
from ..tenants.policies import directory_policies

DIGITS = 6
MAX_ADDRESS = 150  # the longest username, and the address becomes the username


class RegistrationRefused(Exception):
    """A sign-up step is refused; `errors` maps each form field ("" for the form) to why,
    for the person. `retry_after`: seconds to wait before asking again, when that helps."""

    def __init__(self, errors: dict[str, str], *, retry_after: float = 0):
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.retry_after = retry_after


@dataclass
class SignUp:
    """Where a sign-up happens: the directory, the pending login, when, and from where."""

    directory: Directory
    interaction_id: str
    now: float
    ip: str | None
    sealer: Sealer
    policy: CodePolicy
    user_agent: str | None = None
    login_url: str = ""  # where an account's owner logs in (the note names it)


def registration_open(directory: Directory) -> bool:
    """Say whether the directory lets people create their own account."""
    return directory_policies(directory).self_registration


def check_address(value: str) -> str:
    """Return the typed address trimmed, or refuse one that cannot be a username."""
    address = (value or "").strip()
    if len(address) > MAX_ADDRESS or not EMAIL_PATTERN.match(address) \
            or not USERNAME_PATTERN.match(address):
        raise RegistrationRefused({"email": gettext(
            "Enter an email address like name@example.com.")})
    return address


def latest_registration(ctx: SignUp) -> Registration | None:
    """Return the newest code sent in this pending login, if any."""
    return db.session.scalars(select(Registration).where(
        Registration.directory_id == ctx.directory.id,
        Registration.interaction_id == ctx.interaction_id,
    ).order_by(Registration.sent_at.desc(), Registration.id.desc())).first()


def _sent(row: Registration) -> SentCode:
    return SentCode(sent_at=row.sent_at, expires_at=row.expires_at, failures=row.failures,
                    used_at=row.used_at)


def _within_window(ctx: SignUp):
    return select(Registration).where(Registration.sent_at > ctx.now - ctx.policy.window)


def _login_sends(ctx: SignUp) -> list[float]:
    """Return when emails were sent for this pending login, this window."""
    return list(db.session.scalars(_within_window(ctx).with_only_columns(Registration.sent_at)
                                   .where(Registration.interaction_id == ctx.interaction_id)))


def _recent(ctx: SignUp, email_key: str) -> RecentSends:
    """Return the sends within the window: of this login, to this address (in any
    directory: it is one mailbox), and from this IP."""
    def count(*conditions) -> int:
        return db.session.scalar(_within_window(ctx).with_only_columns(
            func.count(Registration.id)).where(*conditions)) or 0

    return RecentSends(session=_login_sends(ctx),
                       destination=count(Registration.email_key == email_key),
                       ip=count(Registration.ip == ctx.ip) if ctx.ip else 0)


def seconds_to_resend(ctx: SignUp) -> float:
    """Return the seconds before this login may have another code sent."""
    return resend_wait(_login_sends(ctx), ctx.now, ctx.policy)


#: What the sign-up pages say when no code is sent, or a typed one is not accepted.
#: TOO_SOON is worded with its wait, WRONG with tries left (``idp.methods.one_time_codes``).
REFUSALS = {
    CodeRefusal.IP_LIMIT: lazy_gettext("Too many codes were asked for from your network in "
                                       "the last hour. Try again later."),
    CodeRefusal.DESTINATION_LIMIT: lazy_gettext("Too many codes were sent to this address in "
                                                "the last hour. Try again later."),
    CodeRefusal.USER_LIMIT: lazy_gettext("Too many codes were sent to this address in the "
                                         "last hour. Try again later."),
    CodeRefusal.EXPIRED: lazy_gettext("This code has expired. Ask for a new code."),
    CodeRefusal.USED: lazy_gettext("This code was already used. Ask for a new code."),
    CodeRefusal.FORMAT: lazy_gettext("Enter the 6-digit code."),
    CodeRefusal.NO_CODE: lazy_gettext("No code was sent in this browser. Enter your email "
                                      "address first."),
    CodeRefusal.LOCKED: lazy_gettext("Too many wrong codes. Start again in an hour."),
    CodeRefusal.WRONG: lazy_gettext("Too many wrong codes. Start again in an hour."),
}


def send_refusal(reason: CodeRefusal, retry_after: float) -> str:
    """Return, for the person, why no code is sent now."""
    if reason is CodeRefusal.TOO_SOON:
        return wait_text(retry_after)
    return str(REFUSALS[reason])


def send_code(ctx: SignUp, value: str, delivery: Delivery | None) -> Registration:
    """Email a code to a new address, or its owner a note when it has an account.

    Raises RegistrationRefused for an address that cannot be a username, a send refused
    by the waits and limits, or a mail server that did not take the message. Nothing is
    written before the mail server took the message, so a failed send is not counted.
    """
    address = check_address(value)
    key = normalize_login(address)
    refusal = refuse_send(_recent(ctx, key), ctx.now, ctx.policy)
    if refusal is not None:
        raise RegistrationRefused({"email": send_refusal(refusal.reason, refusal.retry_after)},
                                  retry_after=refusal.retry_after)
    owner = find_user(ctx.directory, address)
    owner_id = owner.id if owner is not None else None
    code = None if owner is not None else f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    message = (code_message(ctx, address, code) if code is not None
               else existing_message(ctx, address))
    previous = latest_registration(ctx)
    failures = carried_failures(_sent(previous) if previous else None, ctx.now, ctx.policy)
    db.session.commit()  # no transaction waits on the mail server
    try:
        if delivery is None or not delivery.can_send("email"):
            raise DeliveryFailed("no email channel")
        delivery.send(message)
    except DeliveryFailed as exc:
        raise RegistrationRefused({"email": gettext(
            "The email could not be sent. Try again in a moment.")}) from exc
    row = Registration(directory_id=ctx.directory.id, interaction_id=ctx.interaction_id,
                       email=address, email_key=key,
                       code_hash=ctx.sealer.digest(code) if code is not None else None,
                       ip=ctx.ip, sent_at=ctx.now, expires_at=ctx.now + ctx.policy.ttl,
                       failures=failures)
    db.session.add(row)
    if owner_id is not None:
        audit.record(ctx.directory.id, audit.events.REGISTRATION_EXISTING_ADDRESS, ctx.now,
                     user_id=owner_id, ip=ctx.ip, user_agent=ctx.user_agent)
    db.session.flush()
    return row


def _minutes(seconds: float) -> int:
    return max(1, int(seconds // 60))


def _email(to: str, subject: str, values: dict) -> Message:
    return Message(channel="email", to=to, subject=subject, sender=values.pop("sender"),
                   text=render_template("messages/notice_email.txt", **values),
                   html=render_template("messages/notice_email.html", **values))


def code_message(ctx: SignUp, address: str, code: str) -> Message:
    """Return the email with the code that proves a new address (in the page's language)."""
    brand = brand_of(ctx.directory)
    return _email(address, gettext("%(code)s is your code to create your %(directory)s "
                                   "account", code=code, directory=brand.name), {
        "sender": brand.sender,
        "heading": gettext("Confirm your email address"),
        "lead": gettext("Someone asked to create an account of %(directory)s with this "
                        "address. If that was you, enter this code on the page where you "
                        "asked:", directory=brand.name),
        "code": code, "facts": [],
        "closing": [
            gettext("It expires in %(minutes)s minutes and works once, in the browser where "
                    "you asked for it.", minutes=_minutes(ctx.policy.ttl)),
            gettext("If it was not you, ignore this email: no account is made without the "
                    "code."),
        ]})


def existing_message(ctx: SignUp, address: str) -> Message:
    """Return the email telling an account's owner that someone tried to sign up with it."""
    brand = brand_of(ctx.directory)
    return _email(address, gettext("You already have a %(directory)s account",
                                   directory=brand.name), {
        "sender": brand.sender,
        "heading": gettext("You already have an account"),
        "lead": gettext("Someone tried to create an account of %(directory)s with this "
                        "address. You already have one, so no new account was made.",
                        directory=brand.name),
        "code": None, "facts": [],
        "closing": [
            gettext("If that was you, log in with this address and your password at "
                    "%(url)s. If you forgot your password, ask your administrator for help.",
                    url=ctx.login_url),
            gettext("If it was not you, ignore this email: nothing changed."),
        ]})


def check_refusal(reason: CodeRefusal, tries_left: int = 0) -> str:
    """Return, for the person, why a typed sign-up code is not accepted."""
    if reason is CodeRefusal.WRONG and tries_left:
        return tries_left_text(tries_left)
    return str(REFUSALS[reason])


def _clean(typed: str) -> str | None:
    code = (typed or "")[:64].replace(" ", "").replace("-", "")
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


def _count_failure(row: Registration) -> int:
    """Add a failure to the code atomically and durably; return the new count."""
    db.session.execute(update(Registration).where(Registration.id == row.id)
                       .values(failures=Registration.failures + 1)
                       .execution_options(synchronize_session=False))
    failures = db.session.scalar(
        select(Registration.failures).where(Registration.id == row.id)) or 0
    db.session.commit()
    return failures


def complete_registration(ctx: SignUp, typed: str, password: str, repeat: str,
                          passwords: PasswordService) -> User:
    """Check the code and the new password, and create the account with the proven address.

    Only a wrong code counts as a try (one used, expired or locked is refused before its
    digits are compared). A password the policy refuses leaves the code unused, to try
    again with another password. Raises RegistrationRefused naming the fields at fault.
    """
    row = latest_registration(ctx)
    problem = code_problem(_sent(row) if row else None, ctx.now, ctx.policy)
    if row is None or problem is not None:
        raise RegistrationRefused({"code": check_refusal(problem or CodeRefusal.NO_CODE)})
    code = _clean(typed)
    errors: dict[str, str] = {}
    if code is None:
        errors["code"] = check_refusal(CodeRefusal.FORMAT)
    if password != repeat:
        errors["repeat_password"] = gettext("The two passwords are not the same.")
    if errors:
        raise RegistrationRefused(errors)
    # A note to an address with an account has no code: every code is wrong for it.
    if not hmac.compare_digest(ctx.sealer.digest(code or ""), row.code_hash or "-"):
        failures = _count_failure(row)
        raise RegistrationRefused({"code": check_refusal(
            CodeRefusal.WRONG, max(0, ctx.policy.max_failures - failures))})
    try:
        user = create_user(ctx.directory, username=row.email, email=row.email,
                           password=password, passwords=passwords, now=ctx.now)
    except PasswordRefused as exc:
        db.session.rollback()
        raise RegistrationRefused({"new_password": str(exc)}) from exc
    except AccountError as exc:  # the address got an account meanwhile
        db.session.rollback()
        raise RegistrationRefused({"": gettext(
            "This email address cannot be used for a new account. Log in with it instead."
        )}) from exc
    # Compare-and-set: of two requests racing with the right code, one wins.
    claimed = db.session.execute(
        update(Registration).where(
            Registration.id == row.id, Registration.used_at.is_(None),
            Registration.failures < ctx.policy.max_failures,
            Registration.expires_at > ctx.now)
        .values(used_at=ctx.now).execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.rollback()
        raise RegistrationRefused({"code": check_refusal(CodeRefusal.USED)})
    user.email_verified = True
    record_added(user.id, "email", ctx.now)
    audit.record(ctx.directory.id, audit.events.REGISTRATION_COMPLETED, ctx.now,
                 user_id=user.id, ip=ctx.ip, user_agent=ctx.user_agent)
    db.session.flush()
    return user
