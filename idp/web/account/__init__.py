"""The account pages of a directory: the self-service profile and the admin settings.

One blueprint; each page group is its own module that adds its routes to it. Every
page needs a browser session at the directory's required level (see ``gate``); the
admin pages also need the admin role, and changing how someone signs in (their methods,
email, phone or password) or the authentication settings a recent login.
A POST route always has a GET page at the same path: a login asked for in the middle
of a POST returns there.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g
from flask_babel import format_datetime

from ...domain.policies import Policies
from ...tenants.policies import directory_policies
from ..context import directory_blueprint

account = directory_blueprint("account", __name__)


@account.context_processor
def _helpers() -> dict:
    return {"account_nav": account_nav, "when": when, "iso": iso,
            "password_rules": password_rules}


def password_rules() -> Policies:
    """Return the directory's policies, for the pages that say what a new password needs."""
    return directory_policies(g.directory)


def when(at: float | None) -> str:
    """Return a time for people (UTC, in the page's language), or a dash."""
    if at is None:
        return "\u2013"
    return format_datetime(datetime.fromtimestamp(at, UTC), "medium")


def iso(at: float) -> str:
    """Return a time for the ``datetime`` attribute of <time>."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def account_nav() -> list[tuple[str, str]]:
    """Return the account navigation (endpoint, label): the admin pages only for admins."""
    from flask_babel import gettext

    from ...tenants.directories import is_operator_directory

    items = [("account.profile", gettext("Your account"))]
    user = g.get("account_user")
    if user is not None and user.is_admin:
        items += [("account.admin_settings", gettext("Authentication")),
                  ("account.admin_policies", gettext("Policies")),
                  ("account.admin_users", gettext("Users")),
                  ("account.admin_clients", gettext("Apps")),
                  ("account.admin_brand", gettext("Brand")),
                  ("account.admin_claims", gettext("Profile details")),
                  ("account.admin_audit", gettext("Audit log"))]
        if is_operator_directory(g.directory):
            items.append(("account.operator_console", gettext("Operator console")))
    return items


# The page groups register their routes on import (the admin pages: ``idp.web.admin``).
from . import gate, invitation, profile, reset_link  # noqa: E402

__all__ = ["account", "gate", "invitation", "profile", "reset_link"]
