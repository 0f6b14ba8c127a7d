"""App approval: PINs, number matching, the lifetime of a push, and when a device is blocked.

The provider's own authenticator app approves a login when the person picks, from three
choices, the number the browser shows, and enters their 5-digit PIN. Number matching
makes a blind "approve" impossible (push fatigue); the PIN is checked by the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

PIN_LENGTH = 5
PIN_ATTEMPTS = 10  # wrong PINs in a row before the device is blocked until re-activated
APPROVAL_TTL = 120.0
ACTIVATION_TTL = 600.0
PUSHES_PER_WINDOW = 5
PUSH_WINDOW = 600.0

# PINs people pick first; refused along with repeats, runs and two-digit alternations.
COMMON_PINS = frozenset({"12345", "54321", "13579", "97531", "12321", "11223", "10000",
                         "00001", "12340", "11112", "01234", "98765", "24680", "86420",
                         "12312", "10101"})


def pin_problem(pin: str) -> str | None:
    """Return why a new PIN is refused ("format" or "weak"), or None when it is fine."""
    if len(pin) != PIN_LENGTH or not pin.isascii() or not pin.isdigit():
        return "format"
    digits = [int(d) for d in pin]
    steps = {b - a for a, b in zip(digits, digits[1:])}
    if len(set(digits)) == 1 or steps in ({1}, {-1}) or pin in COMMON_PINS:
        return "weak"
    if len(set(digits)) == 2 and all(digits[i] == digits[i % 2] for i in range(PIN_LENGTH)):
        return "weak"  # 12121, 90909
    return None


def valid_choices(number: int, choices: Sequence[int]) -> bool:
    """Return whether `choices` are three distinct two-digit numbers, one of them `number`."""
    return (len(choices) == 3 and len(set(choices)) == 3 and number in choices
            and all(10 <= c <= 99 for c in choices))


@dataclass(frozen=True)
class ApprovalState:
    """What is known of a pending approval when the app answers it."""

    status: str  # "pending", "approved", "denied", "refused"
    expires_at: float


def answer_problem(approval: ApprovalState | None, now: float) -> str | None:
    """Return why the app can no longer answer this approval, or None when it can."""
    if approval is None:
        return "not_found"
    if approval.status != "pending":
        return "already_decided"
    if now >= approval.expires_at:
        return "expired"
    return None


def wrong_pin_outcome(failures_before: int) -> tuple[int, bool]:
    """Return the failures after one more wrong PIN, and whether the device is now blocked."""
    failures = failures_before + 1
    return failures, failures >= PIN_ATTEMPTS


def may_push(recent_pushes: Sequence[float], now: float) -> float:
    """Return 0 when another approval may be pushed to the user's app, else seconds to wait.

    At most PUSHES_PER_WINDOW in PUSH_WINDOW: a stolen password cannot flood the phone.
    """
    window = sorted(t for t in recent_pushes if now - t < PUSH_WINDOW)
    if len(window) < PUSHES_PER_WINDOW:
        return 0.0
    return window[-PUSHES_PER_WINDOW] + PUSH_WINDOW - now
