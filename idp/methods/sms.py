"""Text message code: six digits sent by SMS to the user's verified mobile number (amr ``sms``)."""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from ..delivery import Message
from ..delivery.addresses import mask_phone, may_text, parse_mobile, phone_facts, refusal_reason
from ..delivery.messages import code_sms
from ..domain import DestinationPolicy, MethodInfo, destination_refusal
from ..storage import db
from ..storage.models import Directory, User
from ..tenants.brand import brand_of
from ..tenants.directories import sms_policy
from .base import Addition, Enrolment, MethodContext
from .delivered import DeliveredCode


class SmsCode(DeliveredCode):
    """A code by text message; any country's mobile number, proven before it counts."""

    name = "sms"
    default_points = 10
    info = MethodInfo(("sms",), frozenset({"possession"}), restricted=True)
    title = lazy_gettext("Text message code")
    set_up_label = lazy_gettext("Set up text message codes")
    set_up_description = lazy_gettext("A code sent by text message to your mobile phone.")
    added_notice = lazy_gettext("Text message codes were turned on for your account")
    removed_notice = lazy_gettext("Text message codes were turned off for your account")
    template = "methods/code.html"
    enrol_template = "methods/code_enrol.html"
    channel = "sms"
    undeliverable = lazy_gettext("The text message could not be sent right now. Try again in "
                                 "a moment, or choose another way to verify.")

    def destination(self, user: User) -> str | None:
        return user.phone if user.phone and user.phone_verified else None

    def is_enrolled(self, user: User) -> bool:
        # A proven number the directory's destination policy forbids is not offered
        # (``notice`` says why); the send itself checks again.
        return super().is_enrolled(user) and self._refusal(user) is None

    def holders(self, directory: Directory, user_ids: Collection[int] | None = None,
                destinations: DestinationPolicy | None = None) -> set[int]:
        if not self.codes.can_send(self.channel) or (user_ids is not None and not user_ids):
            return set()
        policy = sms_policy(directory) if destinations is None else destinations
        query = select(User.id, User.phone).where(
            User.directory_id == directory.id, User.phone_verified.is_(True), User.phone != "")
        if user_ids is not None:
            query = query.where(User.id.in_(list(user_ids)))
        return {user_id for user_id, phone in db.session.connection().execute(query)
                if may_text(phone, policy)}

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        if not self.enrollable or user.phone_verified:
            return None
        return Addition("account.profile_contact", gettext("Turn on text message codes"),
                        {"name": "phone"})

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        # The number stays the user's contact detail; only its codes are turned off (as
        # for email). Proving it again turns them on.
        user.phone_verified = False

    def removal_note(self, user: User) -> str | None:
        if not user.phone:
            return None
        return gettext("Your mobile number %(number)s stays on your account, marked not "
                       "proven: no more codes are texted to it. To get them again, prove "
                       "the number with a code.", number=user.phone)

    def _refusal(self, user: User) -> str | None:
        """Return, in a few words, why the directory does not text the user's number."""
        phone = self.destination(user)
        if not phone:
            return None
        facts = phone_facts(phone)
        reason = destination_refusal(sms_policy(user.directory), facts)
        return None if reason is None else refusal_reason(reason, facts)

    def notice(self, user: User) -> str | None:
        refusal = self._refusal(user) if self.codes.can_send(self.channel) else None
        if refusal is None:
            return None
        return gettext("Codes are no longer sent by text message to your number "
                       "%(destination)s: in this directory %(reason)s. Choose another way "
                       "to verify.", destination=self.mask(user.phone or ""), reason=refusal)

    def parse_destination(self, user: User, value: str) -> str:
        return parse_mobile(value, sms_policy(user.directory))

    def mask(self, destination: str) -> str:
        return mask_phone(destination)

    def enrolment_default(self, user: User) -> str:
        return user.phone or ""

    def choice_label(self, user: User) -> str:
        return gettext("Text a code to %(destination)s", destination=self.mask(user.phone or ""))

    def compose(self, ctx: MethodContext, destination: str, code: str) -> Message:
        return code_sms(destination, brand_of(ctx.directory), code, self.codes.policy.ttl,
                        self.host)

    def prove(self, ctx: MethodContext, destination: str) -> None:
        ctx.user.phone = destination
        ctx.user.phone_verified = True
        ctx.user.updated_at = ctx.now
