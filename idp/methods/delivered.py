"""What SMS and email codes share: send on request, check once, prove a destination at enrolment.

A subclass names its channel, where a user's verified destination is, how a typed
destination is checked and masked, how the message reads, and what proving a new
destination changes on the user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from flask_babel import gettext, lazy_gettext

from ..delivery import DeliveryFailed, Message
from ..delivery.addresses import ContactError
from ..domain import CodeRefusal
from ..storage.method_use import record_added, record_used, use_times
from ..storage.models import OneTimeCode, User
from .base import (
    Enrolment,
    MethodContext,
    MethodFailed,
    MethodParts,
    MethodRefused,
    MethodThrottled,
    MethodUnavailable,
    NotAGuess,
    SignInMethod,
    Verified,
)
from .one_time_codes import (
    CodeRefused,
    CodeService,
    DestinationRefused,
    tries_left_text,
    wait_text,
)
from .totp import clean_code

#: What the login pages say when no code is sent, or a typed one is not accepted. TOO_SOON
#: is worded with its wait (``send_refusal``), WRONG with tries left (``check_refusal``).
REFUSALS = {
    CodeRefusal.DESTINATION_LIMIT: lazy_gettext(
        "Too many codes were sent to %(destination)s in the last hour. Choose another way "
        "to verify, or try again later."),
    CodeRefusal.USER_LIMIT: lazy_gettext(
        "Too many codes were sent for your account in the last hour. Choose another way to "
        "verify, or try again later."),
    CodeRefusal.IP_LIMIT: lazy_gettext(
        "Too many codes were asked for from your network in the last hour. Choose another "
        "way to verify, or try again later."),
    CodeRefusal.NO_CODE: lazy_gettext(
        "No code was sent to you in this browser. Ask for a code first."),
    CodeRefusal.USED: lazy_gettext("This code was already used. Ask for a new code."),
    CodeRefusal.EXPIRED: lazy_gettext("This code has expired. Ask for a new code."),
    CodeRefusal.LOCKED: lazy_gettext(
        "Too many wrong codes. Choose another way to verify, or try again in an hour."),
    CodeRefusal.WRONG: lazy_gettext(
        "Too many wrong codes. Choose another way to verify, or try again in an hour."),
    CodeRefusal.FORMAT: lazy_gettext("Enter the 6-digit code."),
}


def send_refusal(reason: CodeRefusal, destination: str, retry_after: float) -> str:
    """Return, for the person, why no code is sent now."""
    if reason is CodeRefusal.TOO_SOON:
        return wait_text(retry_after)
    return str(REFUSALS[reason]) % {"destination": destination}


def check_refusal(reason: CodeRefusal, tries_left: int = 0) -> str:
    """Return, for the person, why a typed code is not accepted."""
    if reason is CodeRefusal.WRONG and tries_left:
        return tries_left_text(tries_left)
    return str(REFUSALS[reason])


class DeliveredCode(SignInMethod):
    """A six-digit code sent to the user's verified phone or email."""

    channel: ClassVar[str]
    undeliverable: ClassVar[Any]  # shown (lazily translated) when the channel did not take it
    challenges = True

    @classmethod
    def build(cls, parts: MethodParts) -> SignInMethod:
        return cls(parts.codes, parts.host)

    def __init__(self, codes: CodeService, host: str):
        self.codes = codes
        self.host = host

    # What a channel says about its destinations.

    def destination(self, user: User) -> str | None:
        """Return the user's verified destination on this channel."""
        raise NotImplementedError

    def parse_destination(self, user: User, value: str) -> str:
        """Return a destination typed at enrolment, checked, or raise ContactError."""
        raise NotImplementedError

    def mask(self, destination: str) -> str:
        """Return the destination as shown on pages."""
        raise NotImplementedError

    def compose(self, ctx: MethodContext, destination: str, code: str) -> Message:
        """Return the message carrying `code`."""
        raise NotImplementedError

    def prove(self, ctx: MethodContext, destination: str) -> None:
        """Record on the user that `destination` is theirs and verified."""
        raise NotImplementedError

    def enrolment_default(self, user: User) -> str:
        """Return the destination to offer at enrolment (known but not yet proven)."""
        return ""

    # The method interface.

    def is_enrolled(self, user: User) -> bool:
        # One rule for every page: a proven destination counts only while its channel
        # can send (the login, the census, the profile and the user lists agree).
        return self.codes.can_send(self.channel) and self.destination(user) is not None

    def items(self, user: User, now: float) -> list[Enrolment]:
        # Listed while proven, so it can be removed; it counts only while it can be used.
        destination = self.destination(user)
        if destination is None:
            return []
        added, used = use_times(user.id, self.name)
        return [Enrolment(self.name, self.name, destination, added, used,
                          counts=self.is_enrolled(user), shown=(destination,))]

    @property
    def enrollable(self) -> bool:
        return self.codes.can_send(self.channel)

    def _state(self, ctx: MethodContext, purpose: str) -> dict[str, Any]:
        pending = self.codes.latest(ctx, self.channel, purpose)
        live = pending is not None and pending.used_at is None and pending.expires_at > ctx.now
        return {"sent_to": self.mask(pending.destination) if live and pending else None,
                "resend_in": int(self.codes.wait(ctx, self.channel) + 0.999)}

    def begin(self, ctx: MethodContext) -> dict[str, Any]:
        destination = self.destination(ctx.user)
        return {"destination": self.mask(destination) if destination else "",
                **self._state(ctx, "login")}

    def challenge(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        destination = self.destination(ctx.user)
        if destination is None:
            raise MethodFailed(gettext("There is nowhere to send a code for this account."))
        return self._send(ctx, "login", destination)

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        self._check(ctx, "login", form)
        record_used(ctx.user.id, self.name, ctx.now)
        return Verified(amr=self.info.amr)

    def start_enrolment(self, ctx: MethodContext,
                        shown: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"default": self.enrolment_default(ctx.user), **self._state(ctx, "enrol")}

    def challenge_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        try:
            # Left empty, the known (not yet proven) destination is meant: the page shows
            # it masked, as every page does before the person has proven it is theirs.
            typed = form.get("destination", "").strip() or self.enrolment_default(ctx.user)
            destination = self.parse_destination(ctx.user, typed)
        except ContactError as exc:
            raise MethodFailed(str(exc)) from exc
        return self._send(ctx, "enrol", destination)

    def finish_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        row = self._check(ctx, "enrol", form)
        try:
            self.prove(ctx, row.destination)
        except ContactError as exc:
            raise MethodFailed(str(exc)) from exc
        # Proven now, and the code just accepted is its first use.
        record_added(ctx.user.id, self.name, ctx.now)
        record_used(ctx.user.id, self.name, ctx.now)
        return Verified(amr=self.info.amr)

    # The first proof of a password reset (``idp.users.recovery``): a code to the proven
    # destination, under its own purpose, so a login code never counts for a reset. It is
    # sent in the background: the answer must not wait for the channel, or its time would
    # tell that the account exists.

    def challenge_reset(self, ctx: MethodContext,
                        on_undelivered: Callable[[str], None] | None = None) -> None:
        """Store a reset code for the user's proven destination, to be sent once the
        request's transaction commits; raise MethodFailed.

        A send that fails later removes the code and calls `on_undelivered` with the reason
        (in a transaction of its own, after the request).
        """
        destination = self.destination(ctx.user)
        if destination is None:
            raise MethodFailed(gettext("There is nowhere to send a code for this account."))
        self._send(ctx, "reset", destination, background=True, on_undelivered=on_undelivered)

    def rehearse_reset(self, ctx: MethodContext, destination: str) -> None:
        """Do the work of ``challenge_reset`` for nothing (`ctx.user` a stand-in, never
        stored): nothing is stored or sent."""
        self.codes.rehearse(ctx, self.channel, "reset", destination,
                            lambda code: self.compose(ctx, destination, code))

    def verify_reset(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        """Accept the reset code once; raise MethodFailed."""
        self._check(ctx, "reset", form)
        return Verified(amr=self.info.amr)

    # Shared steps.

    def _send(self, ctx: MethodContext, purpose: str, destination: str, *,
              background: bool = False,
              on_undelivered: Callable[[str], None] | None = None) -> str:
        try:
            self.codes.send(ctx, self.channel, purpose, destination,
                            lambda code: self.compose(ctx, destination, code),
                            background=background, on_undelivered=on_undelivered)
        except DestinationRefused as exc:
            raise MethodRefused(str(exc)) from exc
        except CodeRefused as exc:
            raise MethodThrottled(send_refusal(exc.reason, self.mask(destination),
                                               exc.retry_after), exc.retry_after) from exc
        except DeliveryFailed as exc:
            raise MethodUnavailable(str(self.undeliverable)) from exc
        return gettext("We sent a code to %(destination)s.", destination=self.mask(destination))

    def _check(self, ctx: MethodContext, purpose: str, form: Mapping[str, str]) -> OneTimeCode:
        code = clean_code(form.get("code", ""))
        try:
            return self.codes.check(ctx, self.channel, purpose, code)
        except CodeRefused as exc:
            # Only a wrong code is a guess; a used, expired or locked code, or none sent,
            # cannot be right whatever is typed.
            failure = MethodFailed if exc.reason is CodeRefusal.WRONG else NotAGuess
            refused = failure(check_refusal(exc.reason, exc.tries_left))
            if exc.reason is CodeRefusal.WRONG:
                refused.tries_left = exc.tries_left
            raise refused from exc
