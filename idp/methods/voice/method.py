"""Voice-call code: six digits read out by a call to the user's proven number (amr ``tel``).

Any country's number, fixed lines included (text messages stay mobile-only): the call
reaches people without a mobile phone. Like SMS it goes over the public telephone
network, a restricted authenticator in NIST SP 800-63B 5.1.3.3. The number is the
method's own (``storage.VoiceNumber``): a landline may differ from the mobile number.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection

from flask_babel import gettext, lazy_gettext
from sqlalchemy import Select, bindparam, select

from ...delivery import Message
from ...delivery.addresses import mask_phone, phone_facts
from ...domain import DestinationPolicy, MethodInfo, destination_refusal
from ...storage import db
from ...storage.models import Directory, User
from ...tenants.brand import brand_of
from ..base import Addition, Enrolment, MethodContext, MethodRefused
from ..delivered import DeliveredCode
from .gateway import CHANNEL, Call, build_sender
from .messages import call_language, spoken_code
from .numbers import (
    call_refusal,
    calling_policy,
    may_call,
    parse_callable,
    refusal_reason,
    voice_policy,
)
from .storage import VoiceNumber, remove_voice_number, set_voice_number, voice_number


class VoiceCode(DeliveredCode):
    """A code read out by a call; any country's number, mobile or landline, proven first."""

    name = "voice"
    title = lazy_gettext("Voice call code")
    set_up_label = lazy_gettext("Set up voice call codes")
    set_up_description = lazy_gettext("A phone call, to any number, that reads out a code.")
    template = "methods/voice.html"
    enrol_template = "methods/voice_enrol.html"
    profile_template = "methods/profile_voice.html"
    challenge_fields = {"destination": 64}
    template_folder = os.path.join(os.path.dirname(__file__), "templates")
    translations_folder = os.path.join(os.path.dirname(__file__), "translations")
    channel = CHANNEL
    channel_sender = staticmethod(build_sender)
    default_points = 0  # off until an admin gives it points
    # RFC 8176 "tel": confirmation by telephone call. Over the PSTN, like SMS: restricted.
    info = MethodInfo(("tel",), frozenset({"possession"}), restricted=True)
    undeliverable = lazy_gettext("The call could not be made right now. Try again in a "
                                 "moment, or choose another way to verify.")
    added_notice = lazy_gettext("Voice call codes were turned on for your account")
    removed_notice = lazy_gettext("Voice call codes were turned off for your account")

    def destination(self, user: User) -> str | None:
        row = voice_number(user)
        return row.phone if row is not None else None

    def needing(self) -> Select:
        return select(VoiceNumber.user_id).where(
            VoiceNumber.directory_id == bindparam("directory"))

    def is_enrolled(self, user: User) -> bool:
        # A proven number the directory's destination policy forbids is not offered
        # (``notice`` says why); the send itself checks again.
        return super().is_enrolled(user) and self._refusal(user) is None

    def holders(self, directory: Directory, user_ids: Collection[int] | None = None,
                destinations: DestinationPolicy | None = None) -> set[int]:
        """Return the ids of the users ``is_enrolled`` is true for, in one query: of
        `user_ids`, or of the whole directory; `destinations` is an SMS destination policy
        the admin previews (the directory's own when None)."""
        if not self.codes.can_send(self.channel) or (user_ids is not None and not user_ids):
            return set()
        policy = voice_policy(directory) if destinations is None else calling_policy(
            destinations)
        query = select(VoiceNumber.user_id, VoiceNumber.phone).join(
            User, User.id == VoiceNumber.user_id).where(VoiceNumber.directory_id == directory.id)
        if user_ids is not None:
            query = query.where(VoiceNumber.user_id.in_(list(user_ids)))
        return {user_id for user_id, phone in db.session.connection().execute(query)
                if may_call(phone, policy)}

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        """Forget the user's voice number (removing the method)."""
        remove_voice_number(user)
        user.updated_at = now

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        if not self.enrollable or any(item.method == self.name for item in items):
            return None
        return Addition("account.profile_method", gettext("Turn on voice call codes"),
                        {"name": self.name})

    def _refusal(self, user: User) -> str | None:
        """Return, in a few words, why the directory does not call the user's number."""
        phone = self.destination(user)
        if not phone:
            return None
        facts = phone_facts(phone)
        reason = destination_refusal(voice_policy(user.directory), facts)
        return None if reason is None else refusal_reason(reason, facts)

    def notice(self, user: User) -> str | None:
        refusal = self._refusal(user) if self.codes.can_send(self.channel) else None
        if refusal is None:
            return None
        return gettext("Codes are no longer read out by a call to your number "
                       "%(destination)s: in this directory %(reason)s. Choose another way "
                       "to verify.", destination=self.mask(self.destination(user) or ""),
                       reason=refusal)

    def parse_destination(self, user: User, value: str) -> str:
        return parse_callable(value, voice_policy(user.directory))

    def mask(self, destination: str) -> str:
        return mask_phone(destination)

    def enrolment_default(self, user: User) -> str:
        return self.destination(user) or user.phone or ""

    def choice_label(self, user: User) -> str:
        return gettext("Call %(destination)s with a code",
                       destination=self.mask(self.destination(user) or ""))

    def compose(self, ctx: MethodContext, destination: str, code: str) -> Message:
        minutes = max(1, int(self.codes.policy.ttl // 60))
        return Call(channel=self.channel, to=destination, language=call_language(),
                    text=spoken_code(brand_of(ctx.directory).name, code, minutes))

    def prove(self, ctx: MethodContext, destination: str) -> None:
        set_voice_number(ctx.user, destination, ctx.now)
        ctx.user.updated_at = ctx.now

    def _send(self, ctx: MethodContext, purpose: str, destination: str, *,
              background: bool = False,
              on_undelivered: Callable[[str], None] | None = None) -> str:
        # Every send, not only the typing of a number: a number stored before the
        # directory's policy forbade it is not called.
        refusal = call_refusal(destination, voice_policy(ctx.directory))
        if refusal is not None:
            raise MethodRefused(refusal)
        super()._send(ctx, purpose, destination, background=background,
                      on_undelivered=on_undelivered)
        return gettext("We are calling %(destination)s to read out a code.",
                       destination=self.mask(destination))
