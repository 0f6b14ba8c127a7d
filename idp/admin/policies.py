"""Changing a directory's policies, for its admin's page and the admin API alike.

Every value goes through the one check of ``idp.tenants.policies.update_policies``; a
refusal names each value at fault, in the admin's language. The audit record names the
admin or service account, and the request it came from (``audit.set_origin``).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext, lazy_gettext

from .. import audit
from ..clock import now
from ..domain.policies import (
    BY_NAME,
    FAILURE_CEILING,
    FAILURE_LIMIT,
    IDLE_MINUTES,
    LOCKOUT_MINUTES,
    LONGEST_LOCKOUT_HOURS,
    REFRESH_ABSOLUTE_DAYS,
    REFRESH_TOKEN_DAYS,
    SESSION_HOURS,
    InvalidPolicies,
    Value,
)
from ..storage import db
from ..storage.models import Client, Directory, User
from ..tenants.policies import directory_policies, update_policies

INCONSISTENT = {
    FAILURE_LIMIT: lazy_gettext("The attempts from one browser or address cannot be more "
                                "than those from all unknown ones together."),
    LOCKOUT_MINUTES: lazy_gettext("The first lock-out cannot be longer than the longest."),
    REFRESH_TOKEN_DAYS: lazy_gettext("A refresh token's lifetime when unused cannot be longer "
                                     "than its absolute lifetime."),
    IDLE_MINUTES: lazy_gettext("The idle timeout cannot be longer than the session lifetime."),
}
INCONSISTENT.update({FAILURE_CEILING: INCONSISTENT[FAILURE_LIMIT],
                     LONGEST_LOCKOUT_HOURS: INCONSISTENT[LOCKOUT_MINUTES],
                     REFRESH_ABSOLUTE_DAYS: INCONSISTENT[REFRESH_TOKEN_DAYS],
                     SESSION_HOURS: INCONSISTENT[IDLE_MINUTES]})


def change_policies(directory: Directory, candidate: Mapping[str, Value],
                    actor: User | Client) -> tuple[dict[str, Value], dict[str, str]]:
    """Store the policies of `candidate` that change, audited with the admin or service
    account that changed them; return the changes, or (nothing stored) why each value at
    fault is refused, by its name."""
    before = directory_policies(directory)
    try:
        changes = update_policies(directory, candidate)
    except InvalidPolicies as exc:
        db.session.rollback()
        errors: dict[str, str] = {}
        for name, fault in exc.problems.items():
            policy = BY_NAME.get(name)
            if fault == "inconsistent":
                errors[name] = str(INCONSISTENT[name])
            elif policy is None:
                errors[name] = gettext("There is no such policy.")
            elif policy.is_switch:
                errors[name] = gettext("Choose yes or no.")
            else:
                errors[name] = gettext("Enter a whole number from %(low)s to %(high)s.",
                                       low=policy.low, high=policy.high)
        return {}, errors
    if changes:
        audit.record(directory.id, audit.events.SETTINGS_POLICIES_CHANGED, now(),
                     **audit.actor_of(actor), before={name: before[name] for name in changes},
                     after=dict(changes))
        db.session.commit()
    return changes, {}
