"""One-time codes sent by SMS or email: when one may be sent, and whether one may be tried.

The rules only; storing, hashing and sending live outside the domain. Times are
float epoch seconds passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

MAX_TTL = 600.0  # a code never lives longer than 10 minutes


class CodeRefusal(StrEnum):
    """Why a code is not sent now, or a typed one not accepted; each page words every one."""

    # Not sent (``refuse_send``).
    TOO_SOON = "too_soon"
    DESTINATION_LIMIT = "destination_limit"
    USER_LIMIT = "user_limit"
    IP_LIMIT = "ip_limit"
    # Not accepted (``code_problem``, then the digits).
    NO_CODE = "no_code"
    LOCKED = "locked"
    USED = "used"
    EXPIRED = "expired"
    WRONG = "wrong"
    FORMAT = "format"  # not six digits: never compared, never a guess


@dataclass(frozen=True)
class CodePolicy:
    """How long codes live, how often they may be tried, and how often sent."""

    ttl: float = MAX_TTL
    max_failures: int = 5
    resend_after: float = 30.0  # the first wait; it doubles with every further send
    longest_wait: float = 600.0
    window: float = 3600.0  # hourly limits, and how long failures are remembered
    per_destination: int = 5
    per_user: int = 10
    per_ip: int = 20

    def __post_init__(self) -> None:
        if not 0 < self.ttl <= MAX_TTL:
            raise ValueError(f"a code lives between 1 and {int(MAX_TTL)} seconds")
        if self.max_failures < 1:
            raise ValueError("a code allows at least one try")


@dataclass(frozen=True)
class SentCode:
    """What is known of a code already sent: when, until when, tries, use."""

    sent_at: float
    expires_at: float
    failures: int = 0
    used_at: float | None = None


@dataclass(frozen=True)
class RecentSends:
    """Codes sent within the policy's window: to this session, destination, user and IP."""

    session: Sequence[float] = ()  # times of this browser session's sends on this channel
    destination: int = 0
    user: int = 0
    ip: int = 0


@dataclass(frozen=True)
class SendRefusal:
    """Why a code may not be sent now, and how long to wait."""

    reason: CodeRefusal  # TOO_SOON, DESTINATION_LIMIT, USER_LIMIT or IP_LIMIT
    retry_after: float


def resend_wait(session_sends: Sequence[float], now: float, policy: CodePolicy) -> float:
    """Return how many seconds this session must still wait before another code is sent.

    The wait after the n-th send is ``resend_after * 2**(n-1)``, at most ``longest_wait``.
    """
    if not session_sends:
        return 0.0
    wait = min(policy.resend_after * 2 ** (len(session_sends) - 1), policy.longest_wait)
    return max(0.0, max(session_sends) + wait - now)


def refuse_send(recent: RecentSends, now: float, policy: CodePolicy) -> SendRefusal | None:
    """Return why a code may not be sent now, or None when it may.

    The hourly limits per destination, user and IP keep an SMS gateway from being
    pumped for toll fraud; the growing wait keeps one page from being a pump.
    """
    wait = resend_wait(recent.session, now, policy)
    if wait > 0:
        return SendRefusal(CodeRefusal.TOO_SOON, wait)
    for reason, count, limit in (
            (CodeRefusal.DESTINATION_LIMIT, recent.destination, policy.per_destination),
            (CodeRefusal.USER_LIMIT, recent.user, policy.per_user),
            (CodeRefusal.IP_LIMIT, recent.ip, policy.per_ip)):
        if count >= limit:
            return SendRefusal(reason, policy.window)
    return None


def carried_failures(previous: SentCode | None, now: float, policy: CodePolicy) -> int:
    """Return the failures a new code starts with: a resend does not wipe the slate.

    Wrong tries of the user's previous code on the channel carry over while that code
    was sent within the window and was never used successfully.
    """
    if previous is None or previous.used_at is not None:
        return 0
    if now - previous.sent_at >= policy.window:
        return 0
    return min(previous.failures, policy.max_failures)


def code_problem(code: SentCode | None, now: float, policy: CodePolicy) -> CodeRefusal | None:
    """Return why a typed code cannot be accepted whatever its digits, or None to compare.

    One of NO_CODE, LOCKED, USED or EXPIRED, checked in that order: a locked
    code says so even after it expired, so nobody learns more by waiting.
    """
    if code is None:
        return CodeRefusal.NO_CODE
    if code.failures >= policy.max_failures:
        return CodeRefusal.LOCKED
    if code.used_at is not None:
        return CodeRefusal.USED
    if now >= code.expires_at:
        return CodeRefusal.EXPIRED
    return None
