"""App approval: the provider's own app approves the login with number matching and a PIN.

amr (RFC 8176): ``pop`` (the device key signed) and ``pin`` (the server checked the PIN).
The page shows a two-digit number; the app shows three and the person picks the one the
browser shows, so approving blindly does not work. "This wasn't me" ends the login.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from flask_babel import gettext, lazy_gettext
from sqlalchemy import ColumnElement, Select, bindparam, select

from ...domain import MethodInfo
from ...storage import db
from ...storage.models import AppApproval, AppDevice, User
from ..base import (
    Addition,
    Enrolment,
    MethodContext,
    MethodFailed,
    MethodParts,
    MethodThrottled,
    NotAGuess,
    SignInMethod,
    Verified,
)
from ..totp import qr_svg
from .devices import AppDevices, AppError, denied_since, format_code


class LoginDenied(MethodFailed):
    """The person said in the app that this login was not theirs: the login ends."""

    counts_as_failure = False


class AppApprovalMethod(SignInMethod):
    """Approve in the app."""

    name = "app"
    default_points = 10
    info = MethodInfo(("pop", "pin"), frozenset({"possession", "knowledge"}))
    title = lazy_gettext("App approval")
    set_up_label = lazy_gettext("Set up app approval")
    set_up_description = lazy_gettext(
        "This service's own app on your phone: you approve each login in it with your PIN.")
    several = True
    added_notice = lazy_gettext("An app for approving logins was added to your account")
    removed_notice = lazy_gettext("An app for approving logins was removed from your account")
    template = "methods/app.html"
    enrol_template = "methods/app_enrol.html"
    challenges = True

    @classmethod
    def build(cls, parts: MethodParts) -> SignInMethod:
        return cls(AppDevices(parts.passwords), parts.settings.base_url)

    def __init__(self, devices: AppDevices, base_url: str):
        self.devices = devices
        self.base_url = base_url

    def choice_label(self, user: User) -> str:
        return gettext("Approve in the app")

    def holding(self) -> Select:
        # An app counts once it approved a first login, until it is removed or blocked.
        return select(AppDevice.user_id).where(
            AppDevice.directory_id == bindparam("directory"), AppDevice.confirmed_at.is_not(None),
            AppDevice.removed_at.is_(None), AppDevice.blocked_at.is_(None))

    def items(self, user: User, now: float) -> list[Enrolment]:
        # An app counts once it approved a first login, and while it is not blocked.
        return [Enrolment(self.name, f"{self.name}:{row.id}", row.name, row.created_at,
                          row.last_used_at, {"blocked": row.blocked_at is not None,
                                             "confirmed": row.confirmed_at is not None},
                          counts=row.blocked_at is None and row.confirmed_at is not None,
                          shown=(row.name,),
                          warnings=(lazy_gettext("Blocked after too many wrong PINs."),)
                          if row.blocked_at is not None else (),
                          renamable=True,
                          unfinished=Addition("account.profile_app",
                                              lazy_gettext("Finish setting up the app"))
                          if row.confirmed_at is None and row.blocked_at is None else None)
                for row in db.session.scalars(select(AppDevice).where(
                    AppDevice.user_id == user.id, AppDevice.removed_at.is_(None))
                    .order_by(AppDevice.id))]

    def profile_addition(self, user: User, items: list[Enrolment]) -> Addition | None:
        if any(i.method == self.name and not i.detail.get("blocked") for i in items):
            return None
        return Addition("account.profile_app", str(self.set_up_label))

    def remove(self, user: User, item: Enrolment, now: float) -> None:
        device = db.session.get(AppDevice, int(item.key.partition(":")[2]))
        if device is not None and device.user_id == user.id:
            device.removed_at = now

    # Asking the app.

    def _ask(self, ctx: MethodContext, purpose: str) -> str:
        try:
            self.devices.request_approval(
                ctx.directory, ctx.user, ctx.session_id or 0, purpose,
                ctx.extra.get("client_name"), ctx.ip, ctx.extra.get("user_agent"), ctx.now)
        except AppError as exc:
            raise MethodThrottled(exc.description, exc.extra.get("retry_after", 60)) from exc
        return gettext("We asked your app to approve this login.")

    def _state(self, ctx: MethodContext, purpose: str) -> dict[str, Any]:
        approval = self.devices.latest(ctx.session_id or 0, ctx.user, purpose)
        if approval is None or approval.used_at is not None:
            return {"approval": None}
        status = approval.status
        if status == "pending" and approval.expires_at <= ctx.now:
            status = "expired"
        return {"approval": approval, "approval_status": status,
                "seconds_left": max(0, int(approval.expires_at - ctx.now))}

    def _take(self, ctx: MethodContext, purpose: str) -> Verified:
        state = self._state(ctx, purpose)
        approval: AppApproval | None = state["approval"]
        if approval is None:
            raise NotAGuess(gettext("Ask your app to approve first."))
        if state["approval_status"] == "denied":
            raise LoginDenied(gettext("You said in the app that this login was not you. "
                                      "It was stopped."))
        if state["approval_status"] == "refused":
            raise NotAGuess(gettext("The number picked in the app was not the one shown here, "
                                       "or a newer request replaced this one. Ask again."))
        if state["approval_status"] == "expired":
            raise NotAGuess(gettext("The app did not answer in time. Ask again."))
        if state["approval_status"] != "approved" or not self.devices.consume(approval, ctx.now):
            raise NotAGuess(gettext("Not approved yet. Pick the number shown here in your app, "
                                       "enter your PIN, then continue."))
        return Verified(amr=("pop", "pin"))

    def refusal(self, session_id: ColumnElement[int],
                since: ColumnElement[float]) -> ColumnElement[bool]:
        return denied_since(session_id, since)

    def begin(self, ctx: MethodContext) -> dict[str, Any]:
        return self._state(ctx, "login")

    def challenge(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        return self._ask(ctx, "login")

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        return self._take(ctx, "login")

    # Activation (during login or from the profile), then a first approval.

    prepares = True

    def start_enrolment(self, ctx: MethodContext,
                        shown: Mapping[str, str] | None = None) -> dict[str, Any]:
        state = self._state(ctx, "enrol")
        if self.devices.usable(ctx.user, confirmed=False):
            return {"activated": True, **state}
        activation = self.devices.live_activation(ctx.user, ctx.session_id, ctx.now)
        if activation is None:  # asked for with "Get an activation code" (a POST)
            return {"activated": False, "code": None, **state}
        code = ctx.sealer.unseal(activation.code_sealed or b"").decode()
        issuer = f"{self.base_url}/d/{ctx.directory.slug}"
        qr = f"gripidp://activate?issuer={quote(issuer, safe='')}&code={code}"
        return {"activated": False, "code": format_code(code),
                "minutes_left": max(1, int((activation.expires_at - ctx.now + 59) // 60)),
                "link": f"{issuer}/app/activate?code={code}", "qr_svg": qr_svg(qr), **state}

    def prepare_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        if self.devices.usable(ctx.user, confirmed=False):
            raise MethodFailed(gettext("The app is already activated. Send it a request to "
                                       "finish."))
        self.devices.new_activation(ctx.directory, ctx.user, ctx.session_id, ctx.now,
                                    ctx.sealer)
        return gettext("Your activation code is ready. It works once, for 10 minutes.")

    def challenge_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> str:
        if not self.devices.usable(ctx.user, confirmed=False):
            raise NotAGuess(gettext("Activate the app first: enter the code in the app."))
        return self._ask(ctx, "enrol")

    def finish_enrolment(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        return self._take(ctx, "enrol")
