"""How long a browser session and a refresh-token grant live.

A session ends at the first of two limits: its absolute lifetime since it started, and
an idle lifetime since it was last used. NIST SP 800-63B-4 (section 2.2.3, 2.3.3, 2.4.3)
asks a multi-factor (AAL2) session to reauthenticate at least every 24 hours and after
at most 1 hour of inactivity (AAL3: 12 hours, 15 minutes); a directory's required level
of 30 needs two factors, so the defaults sit inside AAL2 and the absolute one inside AAL3.

A refresh token rotates on every use; its grant (the family of tokens that rotation
makes) lives at most an absolute lifetime since the grant started, and each refresh
token at most an idle lifetime since it was issued (RFC 9700 section 4.14.2).
"""

from __future__ import annotations

from dataclasses import dataclass

from idp.domain.errors import DomainError

DEFAULT_SESSION_HOURS = 12
DEFAULT_IDLE_MINUTES = 60
MIN_SESSION_HOURS, MAX_SESSION_HOURS = 1, 720  # 30 days: NIST's AAL1 reauthentication limit
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 5, 1440
#: NIST SP 800-63B-4's limits for multi-factor (AAL2) sessions, shown to admins.
AAL2_SESSION_HOURS, AAL2_IDLE_MINUTES = 24, 60
#: Activity is written at most this often (seconds): idle time is exact to about a minute.
ACTIVITY_INTERVAL = 60.0


class InvalidLifetimes(DomainError):
    """Reject session lifetimes outside their bounds; `field` names the value at fault."""

    error = "invalid_request"
    default_description = "The session lifetimes are out of range."

    def __init__(self, description: str | None = None, field: str = "") -> None:
        super().__init__(description)
        self.field = field


@dataclass(frozen=True)
class SessionLifetimes:
    """A directory's session lifetimes: whole hours overall, whole minutes idle."""

    hours: int = DEFAULT_SESSION_HOURS
    idle_minutes: int = DEFAULT_IDLE_MINUTES

    def __post_init__(self) -> None:
        if isinstance(self.hours, bool) or not isinstance(self.hours, int) \
                or not MIN_SESSION_HOURS <= self.hours <= MAX_SESSION_HOURS:
            raise InvalidLifetimes(
                f"the session lifetime is {MIN_SESSION_HOURS} to {MAX_SESSION_HOURS} hours",
                "hours")
        if isinstance(self.idle_minutes, bool) or not isinstance(self.idle_minutes, int) \
                or not MIN_IDLE_MINUTES <= self.idle_minutes <= MAX_IDLE_MINUTES:
            raise InvalidLifetimes(
                f"the idle timeout is {MIN_IDLE_MINUTES} to {MAX_IDLE_MINUTES} minutes",
                "idle_minutes")
        if self.idle_minutes > self.hours * 60:
            raise InvalidLifetimes("the idle timeout cannot be longer than the session lifetime",
                                   "idle_minutes")

    @property
    def absolute_seconds(self) -> float:
        return self.hours * 3600.0

    @property
    def idle_seconds(self) -> float:
        return self.idle_minutes * 60.0

    @property
    def within_aal2(self) -> bool:
        """Say whether these lifetimes are inside NIST's limits for multi-factor sessions."""
        return self.hours <= AAL2_SESSION_HOURS and self.idle_minutes <= AAL2_IDLE_MINUTES


def activity_due(last_seen_at: float, now: float) -> bool:
    """Say whether the session's last activity is stale enough to be written again."""
    return now - last_seen_at >= ACTIVITY_INTERVAL


def refresh_expiry(grant_started_at: float, now: float, idle_seconds: float,
                   absolute_seconds: float) -> float:
    """Return when a refresh token issued now expires: idle, but never past the grant's end."""
    return min(now + idle_seconds, grant_started_at + absolute_seconds)
