"""Email code: six digits sent to the user's verified email address (amr ``otp``)."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from ..delivery import Message
from ..delivery.addresses import ContactError, check_email, mask_email
from ..delivery.messages import code_email
from ..domain import DestinationPolicy, MethodInfo
from ..storage.models import Directory, User
from ..tenants.accounts import find_user, normalize_login
from ..tenants.brand import brand_of
from .base import Addition, Enrolment, MethodContext, holder_ids
from .delivered import DeliveredCode


class EmailCode(DeliveredCode):
    """A code by email; the address proves itself with its first code before it counts."""

    name = "email"
    default_points = 10
    # No factor: NIST SP 800-63B (5.1.3.1) does not count an email code as something you
    # have, so it adds points but never makes a login multi-factor (no amr "mfa").
    info = MethodInfo(("otp",), frozenset())
    title = lazy_gettext("Email code")
    set_up_label = lazy_gettext("Set up email codes")
    set_up_description = lazy_gettext("A code sent to your email address.")
    added_notice = lazy_gettext("Email codes were turned on for your account")
    removed_notice = lazy_gettext("Email codes were turned off for your account")
    template = "methods/code.html"
    enrol_template = "methods/code_enrol.html"
    channel = "email"
    undeliverable = lazy_gettext("The email could not be sent right now. Try again in a "
                                 "moment, or choose another way to verify.")

    def destination(self, user: User) -> str | None:
        return user.email if user.email and user.email_verified else None

    def holders(self, directory: Directory, user_ids: Collection[int] | None = None,
                destinations: DestinationPolicy | None = None) -> set[int]:
        if not self.codes.can_send(self.channel):
            return set()
        return holder_ids(select(User.id).where(
            User.directory_id == directory.id, User.email.is_not(None), User.email != "",
            User.email_verified.is_(True)), User.id, user_ids)

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        if not self.enrollable or user.email_verified:
            return None
        return Addition("account.profile_contact", gettext("Turn on email codes"),
                        {"name": "email"})

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        # The address stays the user's contact and login; only its codes are turned off.
        user.email_verified = False

    def removal_note(self, user: User) -> str | None:
        if not user.email:
            return None
        return gettext("Your email address %(address)s stays on your account and you can "
                       "still log in with it, marked not proven: no more codes are sent to "
                       "it. To get them again, prove the address with a code.",
                       address=user.email)

    def parse_destination(self, user: User, value: str) -> str:
        # The address on the account is the one to prove; changing it is a profile matter.
        if user.email:
            return user.email
        address = check_email(value)
        other = find_user(user.directory, address)
        if other is not None and other.id != user.id:
            raise ContactError(gettext("This email address cannot be used. Enter another one."))
        return address

    def mask(self, destination: str) -> str:
        return mask_email(destination)

    def enrolment_default(self, user: User) -> str:
        return user.email or ""

    def choice_label(self, user: User) -> str:
        return gettext("Email a code to %(destination)s",
                       destination=self.mask(user.email or ""))

    def compose(self, ctx: MethodContext, destination: str, code: str) -> Message:
        return code_email(destination, brand_of(ctx.directory), code, self.codes.policy.ttl)

    def prove(self, ctx: MethodContext, destination: str) -> None:
        user = ctx.user
        if user.email != destination:
            other = find_user(user.directory, destination)
            if other is not None and other.id != user.id:
                raise ContactError(gettext("This email address cannot be used. "
                                           "Enter another one."))
            user.email, user.email_key = destination, normalize_login(destination)
        user.email_verified = True
        user.updated_at = ctx.now
