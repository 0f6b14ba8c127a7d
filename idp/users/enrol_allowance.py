"""An admin's help for a user whose methods are gone: set up a new one at the next login.

A user who lost their phone and their recovery codes cannot complete what they have
enrolled, and the login offers to set up a method only to someone who has nothing else
left (``plan_step_up``: a stolen password alone never enrols a method for a user who
has more). Their admin can grant a one-time allowance, for ALLOWANCE_HOURS: at their next
login, once they have proved their password (or a passkey), what they have not completed
in that login counts as lost, so the login takes them straight to setting up a new method
on the usual enrolment pages. The allowance is spent by the first method set up.

It never lets anyone in by itself: the login still has to reach its level, with the new
method counted like any other, so a level that the password and one new method do not
reach stays out of reach. Granting, withdrawing and spending it are audited, and the user
is emailed each time (a person who did not ask their admin for help learns of it).
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import audit
from ..storage.models import User

ALLOWANCE_HOURS = 72


def allowed_until(user: User, now: float) -> float | None:
    """Return until when the user may set up a new method at their next login, or None."""
    until = user.enrol_allowed_until
    return until if until is not None and until > now else None


def planned_enrolled(user: User, enrolled: frozenset[str], completed: Iterable[str],
                     now: float) -> frozenset[str]:
    """Return the methods the login plans with: all the user has, or, under an allowance,
    only those completed in this login (the rest is lost), which leads to an enrolment."""
    if allowed_until(user, now) is None:
        return enrolled
    return enrolled & frozenset(completed)


def grant(user: User, now: float, hours: int = ALLOWANCE_HOURS) -> float:
    """Allow the user one new method at their next login for `hours`; return until when.
    The caller audits it with its actor."""
    user.enrol_allowed_until = now + hours * 3600
    user.updated_at = now
    return user.enrol_allowed_until


def withdraw(user: User, now: float) -> bool:
    """End the allowance; say whether one was live. The caller audits it."""
    live = allowed_until(user, now) is not None
    user.enrol_allowed_until = None
    if live:
        user.updated_at = now
    return live


def spend(user: User, method: str, now: float, *, ip: str | None,
          user_agent: str | None) -> bool:
    """Spend a live allowance on the method just set up during a login; audit it. Say
    whether one was spent (then the user is to be told)."""
    if allowed_until(user, now) is None:
        return False
    user.enrol_allowed_until = None
    audit.record(user.directory_id, audit.events.METHOD_ENROLLED_WITH_HELP, now,
                 user_id=user.id, ip=ip, user_agent=user_agent, method=method)
    return True
