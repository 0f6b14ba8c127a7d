"""Password: the first step, which also says who the user is."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from ..domain import DestinationPolicy, MethodInfo
from ..security.passwords import PasswordService
from ..storage.method_use import record_used, use_times
from ..storage.models import Directory, User
from ..tenants.accounts import DisabledAccount, check_password, named_by
from .base import (
    AccountDisabled,
    Enrolment,
    MethodContext,
    MethodFailed,
    MethodParts,
    SignInMethod,
    Verified,
    holder_ids,
)

WRONG_CREDENTIALS = "The username or password is not right."  # in English, as tests match it


def wrong_credentials() -> MethodFailed:
    """Return the refusal of a wrong login, in the page's language."""
    return MethodFailed(gettext("The username or password is not right."))


class PasswordMethod(SignInMethod):
    """Username or email plus password (amr ``pwd``)."""

    name = "password"
    default_points = 20
    info = MethodInfo(("pwd",), frozenset({"knowledge"}), identifies=True,
                      offered_in_step_up=False)
    title = lazy_gettext("Password")
    removable = False
    template = "login.html"

    @classmethod
    def build(cls, parts: MethodParts) -> SignInMethod:
        return cls(parts.passwords)

    def __init__(self, passwords: PasswordService | None = None):
        self.passwords = passwords

    def is_enrolled(self, user: User) -> bool:
        return user.password_hash is not None

    def holders(self, directory: Directory, user_ids: Collection[int] | None = None,
                destinations: DestinationPolicy | None = None) -> set[int]:
        return holder_ids(select(User.id).where(User.directory_id == directory.id,
                                                User.password_hash.is_not(None)),
                          User.id, user_ids)

    def items(self, user: User, now: float) -> list[Enrolment]:
        # Changed on its own page, never removed.
        if user.password_hash is None:
            return []
        added, used = use_times(user.id, self.name)
        return [Enrolment(self.name, self.name, "Password", added, used,
                          removable=self.removable)]

    def identify(self, directory: Directory, login: str, password: str,
                 now: float) -> User:
        """Return the user whose login and password match, or raise MethodFailed
        (AccountDisabled when they match a disabled account)."""
        return self.identify_named(named_by(directory, login), password, now)

    def identify_named(self, named: User | None, password: str, now: float) -> User:
        """``identify``, of the user a login was found to name (``named_by``; None when
        it names nobody)."""
        assert self.passwords is not None, "PasswordMethod needs a PasswordService"
        try:
            user = check_password(named, password, self.passwords, now)
        except DisabledAccount as exc:
            raise AccountDisabled(exc.user) from exc
        if user is None:
            raise wrong_credentials()
        record_used(user.id, self.name, now)
        return user

    def verify(self, ctx: MethodContext, form: Mapping[str, str]) -> Verified:
        user = self.identify(ctx.directory, form.get("username", ""),
                             form.get("password", ""), ctx.now)
        if user.id != ctx.user.id:
            raise wrong_credentials()
        return Verified(amr=("pwd",))
