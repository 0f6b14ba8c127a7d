"""A directory's policies: one table of every policy's bounds, unit and default.

A directory stores only the policies its admin changed; every other one follows its
default. Some defaults are the installation's settings (token lifetimes, failed-attempt
limits, remembered devices): the caller passes them in, and a directory that never
changed such a policy follows the setting when the operator changes it. A stored value
is used only while it is inside its bounds.

The session lifetimes keep their own rules (``idp.domain.lifetimes``); they are rows of
the table with the same bounds, checked together by ``SessionLifetimes``.

Sources: NIST SP 800-63B-4 3.1.1.2 (a password of at least 8 characters when it is one
factor of several, 15 when it is the only one; a blocklist of common passwords), 3.2.2
(at most 100 consecutive failed attempts), 2.2.3/2.3.3 (reauthentication); RFC 9700
4.14.2 (refresh-token lifetimes); RFC 6749 4.2.2 / 5.1 (``expires_in``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from idp.domain.errors import DomainError
from idp.domain.lifetimes import (
    DEFAULT_IDLE_MINUTES,
    DEFAULT_SESSION_HOURS,
    MAX_IDLE_MINUTES,
    MAX_SESSION_HOURS,
    MIN_IDLE_MINUTES,
    MIN_SESSION_HOURS,
    InvalidLifetimes,
    SessionLifetimes,
)

MINUTE, HOUR, DAY = 60, 3600, 86400
#: NIST SP 800-63B-4 3.1.1.2: the least length of a password that is one factor of several,
#: and of one that is the only factor.
NIST_MIN_LENGTH, NIST_SINGLE_FACTOR_LENGTH = 8, 15

# Policy names: the keys a directory stores, and the form fields of the policies page.
PASSWORD_MIN_LENGTH = "password_min_length"  # noqa: S105 (a name)
PASSWORD_COMMON_CHECK = "password_common_check"  # noqa: S105 (a name)
FAILURE_LIMIT = "failure_limit"
FAILURE_CEILING = "failure_ceiling"
LOCKOUT_MINUTES = "lockout_minutes"
LONGEST_LOCKOUT_HOURS = "longest_lockout_hours"
SESSION_HOURS = "session_hours"
IDLE_MINUTES = "idle_minutes"
ACCESS_TOKEN_MINUTES = "access_token_minutes"  # noqa: S105 (a name)
REFRESH_TOKEN_DAYS = "refresh_token_days"  # noqa: S105 (a name)
REFRESH_ABSOLUTE_DAYS = "refresh_absolute_days"
DEVICE_DAYS = "device_days"
SELF_REGISTRATION = "self_registration"


class InvalidPolicies(DomainError):
    """Reject policy values outside their bounds; `problems` maps each field to its fault."""

    error = "invalid_request"
    default_description = "Some policy values are out of range."

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__(", ".join(f"{name}: {fault}" for name, fault in problems.items()))
        self.problems = dict(problems)


@dataclass(frozen=True)
class Policy:
    """One policy: its name, group, unit, default and bounds (a switch has no bounds).

    `seconds` is the length of one unit in seconds (0 when the value is no duration);
    `setting` names the installation setting whose value is the default, when there is one.
    """

    name: str
    group: str
    unit: str
    default: int | bool
    low: int = 0
    high: int = 0
    seconds: int = 0
    setting: str | None = None

    @property
    def is_switch(self) -> bool:
        return self.unit == "switch"

    def accepts(self, value: object) -> bool:
        """Say whether `value` is a value of this policy inside its bounds."""
        if self.is_switch:
            return isinstance(value, bool)
        return isinstance(value, int) and not isinstance(value, bool) \
            and self.low <= value <= self.high


#: The one table: every policy a directory has, in the order the page shows them.
POLICIES: tuple[Policy, ...] = (
    Policy(PASSWORD_MIN_LENGTH, "password", "characters", NIST_MIN_LENGTH, NIST_MIN_LENGTH, 64),
    Policy(PASSWORD_COMMON_CHECK, "password", "switch", True),
    Policy(FAILURE_LIMIT, "attempts", "attempts", 10, 1, 100,
           setting="account_failure_limit"),
    Policy(FAILURE_CEILING, "attempts", "attempts", 100, 1, 100,
           setting="account_failure_ceiling"),
    Policy(LOCKOUT_MINUTES, "attempts", "minutes", 15, 1, 24 * 60, MINUTE,
           setting="account_failure_limit"),
    Policy(LONGEST_LOCKOUT_HOURS, "attempts", "hours", 24, 1, 7 * 24, HOUR),
    Policy(SESSION_HOURS, "sessions", "hours", DEFAULT_SESSION_HOURS, MIN_SESSION_HOURS,
           MAX_SESSION_HOURS, HOUR),
    Policy(IDLE_MINUTES, "sessions", "minutes", DEFAULT_IDLE_MINUTES, MIN_IDLE_MINUTES,
           MAX_IDLE_MINUTES, MINUTE),
    Policy(ACCESS_TOKEN_MINUTES, "tokens", "minutes", 60, 1, 24 * 60, MINUTE,
           setting="access_token_ttl_seconds"),
    Policy(REFRESH_TOKEN_DAYS, "tokens", "days", 30, 1, 365, DAY,
           setting="refresh_token_ttl_seconds"),
    Policy(REFRESH_ABSOLUTE_DAYS, "tokens", "days", 90, 1, 365, DAY,
           setting="refresh_token_absolute_ttl_seconds"),
    Policy(DEVICE_DAYS, "devices", "days", 90, 1, 400, DAY, setting="device_ttl_days"),
    Policy(SELF_REGISTRATION, "registration", "switch", False),
)
BY_NAME: dict[str, Policy] = {p.name: p for p in POLICIES}
#: Policies the directory keeps in columns of their own (the session lifetimes).
SESSION_POLICIES = (SESSION_HOURS, IDLE_MINUTES)

Value = int | float | bool


@dataclass(frozen=True)
class Policies:
    """A directory's policies in effect: each value in its unit, and which ones it chose.

    A value that follows an installation setting may be a fraction of its unit (a setting
    of 90 seconds is 1.5 minutes).
    """

    values: Mapping[str, Value]
    chosen: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    def seconds(self, name: str) -> int:
        """Return a duration policy in whole seconds."""
        return round(self.values[name] * BY_NAME[name].seconds)

    @property
    def password_min_length(self) -> int:
        return int(self.values[PASSWORD_MIN_LENGTH])

    @property
    def password_common_check(self) -> bool:
        return bool(self.values[PASSWORD_COMMON_CHECK])

    @property
    def self_registration(self) -> bool:
        return bool(self.values[SELF_REGISTRATION])

    @property
    def session_lifetimes(self) -> SessionLifetimes:
        return SessionLifetimes(int(self.values[SESSION_HOURS]), int(self.values[IDLE_MINUTES]))


def longest_seconds(name: str) -> int:
    """Return the longest duration, in seconds, a directory may choose for a policy."""
    policy = BY_NAME[name]
    return policy.high * policy.seconds


def table_defaults() -> dict[str, Value]:
    """Return every policy's default as the table gives it (no installation settings)."""
    return {p.name: p.default for p in POLICIES}


def resolve_policies(stored: Mapping[str, object] | None,
                     defaults: Mapping[str, Value]) -> Policies:
    """Return the policies in effect: each stored value inside its bounds, else the default.

    `defaults` overrides the table's defaults (the installation's settings, and the
    session lifetimes the directory keeps in its own columns).
    """
    values: dict[str, Value] = table_defaults()
    values.update({k: v for k, v in defaults.items() if k in BY_NAME})
    chosen = set()
    for name, value in (stored or {}).items():
        policy = BY_NAME.get(name)
        if policy is not None and name not in SESSION_POLICIES and policy.accepts(value):
            values[name] = value  # type: ignore[assignment]
            chosen.add(name)
    return Policies(values, frozenset(chosen))


def check_policies(candidate: Mapping[str, Value], current: Policies) -> dict[str, Value]:
    """Return the values of `candidate` that change `current`, or raise InvalidPolicies.

    A value equal to the one in effect is no change and needs no check (a default from
    the installation may lie outside the bounds a directory may choose). The changed
    values must be inside their bounds, and all the values in effect after the change
    must agree: a source's failure limit is no more than the ceiling of all sources,
    the first lock-out no longer than the longest, a refresh token's idle lifetime no
    longer than its absolute one, and the session lifetimes as ``SessionLifetimes`` says.
    """
    problems: dict[str, str] = {}
    changes: dict[str, Value] = {}
    for name, value in candidate.items():
        policy = BY_NAME.get(name)
        if policy is None:
            problems[name] = "unknown"
        elif value == current.values[name] and isinstance(value, bool) == policy.is_switch:
            continue
        elif not policy.accepts(value):
            problems[name] = "out_of_bounds"
        else:
            changes[name] = value
    if problems:
        raise InvalidPolicies(problems)
    after = {**current.values, **changes}
    for smaller, larger, scale in ((FAILURE_LIMIT, FAILURE_CEILING, 1),
                                   (LOCKOUT_MINUTES, LONGEST_LOCKOUT_HOURS, 60),
                                   (REFRESH_TOKEN_DAYS, REFRESH_ABSOLUTE_DAYS, 1)):
        if (smaller in changes or larger in changes) and after[smaller] > after[larger] * scale:
            problems[smaller if smaller in changes else larger] = "inconsistent"
    if SESSION_HOURS in changes or IDLE_MINUTES in changes:
        try:
            SessionLifetimes(int(after[SESSION_HOURS]), int(after[IDLE_MINUTES]))
        except InvalidLifetimes as exc:
            problems[IDLE_MINUTES if exc.field == "idle_minutes" else SESSION_HOURS] = \
                "inconsistent"
    if problems:
        raise InvalidPolicies(problems)
    return changes


def stored_after(stored: Mapping[str, object] | None, changes: Mapping[str, Value],
                 defaults: Mapping[str, Value]) -> dict[str, Value]:
    """Return what a directory stores after `changes`: the chosen values that differ from
    their default; a value set back to its default is stored as nothing, so it follows the
    default (and the installation's setting) again. Session lifetimes are not kept here."""
    current = resolve_policies(stored, defaults)
    merged = {name: current.values[name] for name in current.chosen}
    merged.update(changes)
    base = {**table_defaults(), **{k: v for k, v in defaults.items() if k in BY_NAME}}
    return {name: value for name, value in merged.items()
            if name not in SESSION_POLICIES and value != base[name]}
