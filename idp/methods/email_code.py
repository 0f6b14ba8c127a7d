"""Email code: six digits sent to the user's verified email address (amr ``otp``)."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext

from ..delivery import Message
from ..delivery.addresses import ContactError, check_email, mask_email
from ..delivery.messages import code_email
from ..domain import MethodInfo
from ..storage.models import User
from ..tenants.accounts import find_user, normalize_login
from .base import MethodContext
from .delivered import DeliveredCode


class EmailCode(DeliveredCode):
    """A code by email; the address proves itself with its first code before it counts."""

    name = "email"
    default_points = 10
    # NIST does not count an email code as possession; for amr/mfa we do.
    info = MethodInfo(("otp",), frozenset({"possession"}))
    title = lazy_gettext("Email code")
    template = "methods/code.html"
    enrol_template = "methods/code_enrol.html"
    channel = "email"
    undeliverable = lazy_gettext("The email could not be sent right now. Try again in a "
                                 "moment, or choose another way to verify.")

    def destination(self, user: User) -> str | None:
        return user.email if user.email and user.email_verified else None

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
        return code_email(destination, ctx.directory.name, code, self.codes.policy.ttl)

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
