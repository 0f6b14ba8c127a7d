"""Hardware OATH token: a code from a token the directory handed out (amr ``otp``).

At login the person types the code the token shows; an HOTP token pressed too often
since its last use is resynchronised by typing two consecutive codes. To bind a token of
the directory's inventory to themselves (during login or on the profile) the person types
its serial and two consecutive codes, which proves they hold it. Every code is accepted
once: the token's counter (HOTP) or last step (TOTP) moves on by a compare-and-set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext, lazy_gettext
from sqlalchemy import Select, bindparam, select

from ...domain import MethodInfo
from ...storage.models import User
from ..base import (
    Addition,
    Enrolment,
    MethodContext,
    MethodFailed,
    NotAGuess,
    SignInMethod,
    Verified,
)
from .commands import add_commands
from .inventory import (
    assign_token,
    find_token,
    key_of,
    move_counter,
    move_step,
    tokens_of,
    unassign_token,
)
from .models import HardwareToken
from .otp import TokenKey, hotp_match, hotp_resync, totp_pair, totp_step

AMR = ("otp",)


def clean_code(value: str) -> str:
    """Return the code without spaces, or raise NotAGuess if it is not 6 to 8 digits."""
    code = (value or "").replace(" ", "").replace("-", "")
    if not 6 <= len(code) <= 8 or not code.isascii() or not code.isdigit():
        raise NotAGuess(gettext("Enter the code your token shows (6 to 8 digits)."))
    return code


def not_right() -> MethodFailed:
    return MethodFailed(gettext("This code is not right. Press the button on your token and "
                                "enter the new code."))


def already_used() -> NotAGuess:
    return NotAGuess(gettext("This code was already used. Press the button on your token "
                             "for a new one."))


class TokenMethod(SignInMethod):
    """A code from a hardware OATH token (RFC 4226 HOTP or RFC 6238 TOTP)."""

    name = "token"
    default_points = 0  # off until a directory hands tokens out
    info = MethodInfo(AMR, frozenset({"possession"}))
    title = lazy_gettext("Security token")
    set_up_label = lazy_gettext("Set up a security token")
    set_up_description = lazy_gettext(
        "A small device from your organisation that shows a code at the press of a button.")
    template = "methods/token.html"
    enrol_template = "methods/token_enrol.html"
    profile_template = "methods/token_profile.html"
    template_folder = os.path.join(os.path.dirname(__file__), "templates")
    translations_folder = os.path.join(os.path.dirname(__file__), "translations")
    #: The form fields the token's pages post, besides "code": a serial and a second code.
    fields = {"serial": 64, "code2": 64}
    several = True
    added_notice = lazy_gettext("A security token was added to your account")
    removed_notice = lazy_gettext("A security token was removed from your account")

    @classmethod
    def add_commands(cls, sub, *, app, directory, sealer) -> None:
        add_commands(sub, app=app, directory=directory, sealer=sealer)

    def holding(self) -> Select:
        return select(HardwareToken.user_id).where(
            HardwareToken.directory_id == bindparam("directory"),
            HardwareToken.user_id.is_not(None))

    def items(self, user: User, now: float) -> list[Enrolment]:
        # Its label is the serial printed on it, which tells the person's tokens apart.
        return [Enrolment(self.name, f"{self.name}:{token.id}", token.serial,
                          token.assigned_at, token.last_used_at, shown=(token.serial,))
                for token in tokens_of(user)]

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        # The token goes back on the directory's shelf, as ``idp token unassign`` does.
        token_id = int(item.key.partition(":")[2])
        token = next((t for t in tokens_of(user) if t.id == token_id), None)
        if token is not None:
            unassign_token(token)

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        return Addition("account.profile_method", gettext("Add a security token"),
                        {"name": self.name})

    def begin(self, ctx: MethodContext) -> dict[str, Any]:
        tokens = tokens_of(ctx.user)
        return {"resync": any(token.kind == "hotp" for token in tokens)}

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        tokens = tokens_of(ctx.user)
        if not tokens:
            raise MethodFailed(gettext("No security token is assigned to this account."))
        code = clean_code(form.get("code", ""))
        second = form.get("code2", "")
        for token in tokens:
            key = key_of(token, ctx.sealer)
            if second:
                if self._resync(ctx, token, key, code, clean_code(second)):
                    return Verified(amr=AMR)
            elif self._check(ctx, token, key, code):
                return Verified(amr=AMR)
        raise not_right()

    def _check(self, ctx: MethodContext, token: HardwareToken, key: TokenKey,
               code: str) -> bool:
        """Return whether `code` is the token's; raise NotAGuess when it was used already."""
        if len(code) != token.digits:
            return False
        if token.kind == "totp":
            step = totp_step(key, code, ctx.now)
            if step is None:
                return False
            if not move_step(token, step, ctx.now):
                raise already_used()
            return True
        counter = hotp_match(key, code, token.counter)
        if counter is None:
            if token.counter > 0 and key.matches(code, token.counter - 1):
                raise already_used()
            return False
        if not move_counter(token, token.counter, counter + 1, ctx.now):
            raise already_used()
        return True

    def _resync(self, ctx: MethodContext, token: HardwareToken, key: TokenKey, first: str,
                second: str) -> bool:
        """Return whether two consecutive codes of the HOTP token bring it back in step."""
        if token.kind != "hotp" or len(first) != token.digits:
            return False
        counter = hotp_resync(key, first, second, token.counter)
        if counter is None:
            return False
        if not move_counter(token, token.counter, counter + 1, ctx.now):
            raise already_used()
        return True

    # Enrolment: bind a token of the directory's inventory by its serial and two codes.

    def start_enrolment(self, ctx: MethodContext,
                        shown: Mapping[str, str] | None = None) -> dict[str, Any]:
        return {"serial": (shown or {}).get("serial", "")}

    def finish_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        serial = (form.get("serial") or "").strip()
        if not serial:
            raise NotAGuess(gettext("Enter the serial number printed on your token."))
        first, second = clean_code(form.get("code", "")), clean_code(form.get("code2", ""))
        token = find_token(ctx.directory, serial)
        # An unknown serial, one given to someone, or wrong codes: one answer, so that
        # the serials of the inventory cannot be told apart by trying.
        refused = MethodFailed(gettext("The serial number or the codes are not right. Press "
                                       "the button twice and enter both codes."))
        if token is None or token.user_id is not None or len(first) != token.digits:
            raise refused
        key = key_of(token, ctx.sealer)
        if token.kind == "totp":
            step = totp_pair(key, first, second, ctx.now)
            if step is None:
                raise refused
            moved = move_step(token, step, ctx.now)
        else:
            counter = hotp_resync(key, first, second, token.counter)
            if counter is None:
                raise refused
            moved = move_counter(token, token.counter, counter + 1, ctx.now)
        if not moved or not assign_token(token, ctx.user, ctx.now):
            raise NotAGuess(gettext("This token was just bound. Sign in with it."))
        return Verified(amr=AMR)
