"""A directory's policies: the installation's defaults, what the directory stores, changes.

The rules (the table of bounds and defaults, which values agree) are
``idp.domain.policies``; here they meet the settings and the directory's row. The session
lifetimes live in the directory's own columns and change through
``update_session_lifetimes``; every other policy the admin chose is one entry of the
directory's ``policies`` mapping.
"""

from __future__ import annotations

from limits import parse as parse_limit

from ..config import Settings, current_settings
from ..domain.attempts import BudgetPolicy
from ..domain.policies import (
    ACCESS_TOKEN_MINUTES,
    DEVICE_DAYS,
    FAILURE_CEILING,
    FAILURE_LIMIT,
    IDLE_MINUTES,
    LOCKOUT_MINUTES,
    LONGEST_LOCKOUT_HOURS,
    MINUTE,
    REFRESH_ABSOLUTE_DAYS,
    REFRESH_TOKEN_DAYS,
    SESSION_HOURS,
    SESSION_POLICIES,
    Policies,
    Value,
    check_policies,
    resolve_policies,
    stored_after,
)
from ..storage.models import Directory
from .directories import update_session_lifetimes


def installation_defaults(settings: Settings) -> dict[str, Value]:
    """Return the defaults the installation's settings give (each in its policy's unit)."""
    limit = parse_limit(settings.account_failure_limit)
    return {
        FAILURE_LIMIT: limit.amount,
        LOCKOUT_MINUTES: limit.get_expiry() / MINUTE,
        FAILURE_CEILING: settings.account_failure_ceiling,
        ACCESS_TOKEN_MINUTES: settings.access_token_ttl_seconds / MINUTE,
        REFRESH_TOKEN_DAYS: settings.refresh_token_ttl_seconds / 86400,
        REFRESH_ABSOLUTE_DAYS: settings.refresh_token_absolute_ttl_seconds / 86400,
        DEVICE_DAYS: settings.device_ttl_days,
    }


def _defaults(directory: Directory) -> dict[str, Value]:
    defaults = installation_defaults(current_settings())
    defaults.update({SESSION_HOURS: directory.session_hours,
                     IDLE_MINUTES: directory.session_idle_minutes})
    return defaults


def directory_policies(directory: Directory) -> Policies:
    """Return the policies in effect in `directory`."""
    return resolve_policies(directory.policies, _defaults(directory))


def default_policies() -> Policies:
    """Return the policies a directory has that changed none: the installation's defaults."""
    return resolve_policies(None, installation_defaults(current_settings()))


def update_policies(directory: Directory, candidate: dict[str, Value]) -> dict[str, Value]:
    """Validate and store new policies; return the values that changed (raises the domain's
    InvalidPolicies, naming each field at fault)."""
    changes = check_policies(candidate, directory_policies(directory))
    if not changes:
        return changes
    if any(name in changes for name in SESSION_POLICIES):
        update_session_lifetimes(directory, changes.get(SESSION_HOURS),  # type: ignore[arg-type]
                                 changes.get(IDLE_MINUTES))  # type: ignore[arg-type]
    stored = stored_after(directory.policies, changes,
                          installation_defaults(current_settings()))
    directory.policies = stored or None
    return changes


def budget_policies(directory: Directory) -> tuple[BudgetPolicy, BudgetPolicy]:
    """Return the failure budgets of one source, and of all the unknown sources together."""
    policies = directory_policies(directory)
    window = float(policies.seconds(LOCKOUT_MINUTES))
    longest = float(max(policies.seconds(LONGEST_LOCKOUT_HOURS), window))
    return (BudgetPolicy(int(policies[FAILURE_LIMIT]), window, longest),
            BudgetPolicy(int(policies[FAILURE_CEILING]), window, longest))


def device_seconds(directory: Directory) -> int:
    """Return how long a browser the directory remembers counts (and its cookie lives)."""
    return directory_policies(directory).seconds(DEVICE_DAYS)
