"""Invitations: a single-use, expiring link that lets a new user set their own password.

A link emailed as ``idp.users.links`` keeps them: once, until it expires, the newest only.
It works only for a user who has no password yet: an invitation is never a way to take
over an account. A changed email address ends it.
"""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext
from sqlalchemy import update

from .. import audit
from ..delivery import Delivery, DeliveryFailed, Message
from ..security.passwords import PasswordService
from ..storage import db
from ..storage.method_use import record_added
from ..storage.models import Client, Directory, Invitation, User
from ..tenants.accounts import PasswordRefused, check_password_policy, words_of
from ..tenants.brand import brand_of
from ..tenants.directories import issuer_of
from ..tenants.policies import directory_policies
from .links import invitations


class InvitationError(ValueError):
    """The invitation cannot be made or used; the message says why, for the person."""


def create_invitation(user: User, created_by: User | None, now: float,
                      ttl_seconds: float) -> str:
    """Replace the user's open invitations with a new one; return its token (shown once)."""
    if user.password_hash is not None:
        raise InvitationError(gettext("This user already has a password. An invitation "
                                      "would let someone else set a new one."))
    if user.disabled:
        raise InvitationError(gettext("This user is disabled: enable them before inviting "
                                      "them."))
    if not user.email:
        raise InvitationError(gettext("An invitation is sent by email: enter the user's email "
                                      "address first."))
    return invitations.issue(user, created_by, now, ttl_seconds)


def find_invitation(directory: Directory, token: str, now: float) -> Invitation | None:
    """Return the open invitation this token names in this directory, if it still works."""
    row = invitations.find(directory.id, token, now)
    if row is None:
        return None
    user = db.session.get(User, row.user_id)
    if user is None or user.disabled or user.password_hash is not None:
        return None
    return row


def accept_invitation(directory: Directory, token: str, password: str, repeat: str,
                      passwords: PasswordService, now: float,
                      ip: str | None = None, user_agent: str | None = None) -> User:
    """Set the invited user's password once; the link proved their email address.

    Raises InvitationError when the passwords differ or break the policy, and when the
    link no longer works (used, expired, replaced, or the user has a password by now).
    """
    row = find_invitation(directory, token, now)
    if row is None:
        raise InvitationError(gettext("This invitation link has expired or was already used. "
                                      "Ask an administrator to send a new one."))
    if password != repeat:
        raise InvitationError(gettext("The two passwords are not the same."))
    user = db.session.get(User, row.user_id)
    try:
        check_password_policy(password, words_of(user), directory_policies(user.directory))
    except PasswordRefused as exc:
        raise InvitationError(str(exc)) from exc
    password_hash = passwords.hash(password)  # slow: before the claim, not inside it
    claimed = invitations.claim(row, now)
    # The user row is claimed too: a password set any other way meanwhile wins.
    claimed_user = claimed and db.session.execute(update(User).where(
        User.id == row.user_id, User.password_hash.is_(None), User.disabled.is_(False))
        .values(password_hash=password_hash, email_verified=True, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not claimed_user:
        db.session.rollback()
        raise InvitationError(gettext("This invitation link has expired or was already used. "
                                      "Ask an administrator to send a new one."))
    # The password is set, and the invitation proved the address.
    record_added(row.user_id, "password", now)
    record_added(row.user_id, "email", now)
    audit.record(directory.id, audit.events.INVITATION_ACCEPTED, now, user_id=row.user_id, ip=ip,
                 user_agent=user_agent)
    user = db.session.get(User, row.user_id)
    db.session.refresh(user)
    return user


def send_invitation(directory: Directory, user: User, actor: User | Client | None, now: float,
                    *, delivery: Delivery | None, base_url: str, ttl_hours: int) -> None:
    """Make a new invitation, commit it, and email its link; audit it once it is sent.

    Nothing is held open while the mail server answers. If it refuses, the new link is
    ended at once (it was never seen) and InvitationError says so. No `actor`: the
    installation's operator invites (``idp directory add --admin-email``).
    """
    token = create_invitation(user, actor if isinstance(actor, User) else None, now,
                              ttl_hours * 3600)
    db.session.commit()
    link = f"{issuer_of(directory, base_url)}/invitation/{token}"
    message = invitation_message(user, directory, link, ttl_hours,
                                 (actor.name or getattr(actor, "username", None))
                                 if actor else None)
    try:
        if delivery is None:
            raise DeliveryFailed("no delivery configured")
        delivery.send(message)
    except DeliveryFailed as exc:
        invitations.end(token, now)
        db.session.commit()
        raise InvitationError(gettext("The invitation email could not be sent. Try again in a "
                                      "moment, or check the mail settings.")) from exc
    audit.record(directory.id, audit.events.ADMIN_INVITATION_SENT, now, user_id=user.id,
                 **audit.actor_of(actor))
    db.session.commit()


def invitation_message(user: User, directory: Directory, link: str, hours: int,
                       invited_by: str | None) -> Message:
    """Return the invitation email, plain text and HTML, in the language of the page."""
    brand = brand_of(directory)
    values = {"directory": brand.name, "link": link, "hours": hours,
              "username": user.username, "name": user.name or user.username,
              "invited_by": invited_by}
    return Message(
        channel="email", to=user.email or "", sender=brand.sender,
        subject=gettext("You are invited to %(directory)s", directory=brand.name),
        text=render_template("messages/invitation_email.txt", **values),
        html=render_template("messages/invitation_email.html", **values))
