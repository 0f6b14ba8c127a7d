"""Failure budgets: how many wrong guesses at an account's secrets one source may make.

An attempt is reserved before the secret is checked (so concurrent guesses cannot all
slip through), then settled: a wrong answer keeps the reservation as a failure; a right
one, or anything that was not a guess (a code already used, a form that expired), gives
the reservation back. Failures are consecutive across every step of a login: only a
completed login clears them, so a known password does not buy fresh guesses at the
second step. When the failures reach the limit the source is locked out for a while
that doubles with every further lock-out (NIST SP 800-63B-4 §3.2.2; OWASP ASVS 5.0
V6.3.1). Failures are forgotten after a quiet window.

Only the rules; storing budgets and choosing sources live outside the domain. Times are
float epoch seconds passed in by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

DAY = 86400.0


@dataclass(frozen=True)
class BudgetPolicy:
    """How many failures a budget allows and how long the lock-outs last."""

    limit: int
    window: float  # failures this long ago (since the last one) are forgotten; the first lock
    longest_lock: float = DAY

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("a budget allows at least one failure")
        if self.window <= 0:
            raise ValueError("a budget's window is longer than zero")

    def lock_length(self, lockouts: int) -> float:
        """Return how long the lock-out after `lockouts` earlier ones lasts."""
        return min(self.window * 2 ** min(lockouts, 32), self.longest_lock)


@dataclass(frozen=True)
class Budget:
    """The state of one budget: failures so far (reservations included) and lock-outs."""

    failures: int = 0
    last_failure_at: float | None = None
    locked_until: float | None = None
    lockouts: int = 0


@dataclass(frozen=True)
class Refusal:
    """Why no attempt may be made now, and for how many seconds."""

    retry_after: float


@dataclass(frozen=True)
class Lockout:
    """A lock-out that a failure just started: until when, and how many came before."""

    until: float
    lockouts: int


def _current(budget: Budget, policy: BudgetPolicy, now: float) -> Budget:
    """Return the budget with what time has forgiven: old failures, and old lock-outs."""
    if budget.last_failure_at is not None and now - budget.last_failure_at > policy.window:
        budget = replace(budget, failures=0)
    if budget.locked_until is not None and budget.locked_until <= now:
        lockouts = 0 if now - budget.locked_until > DAY else budget.lockouts
        budget = replace(budget, locked_until=None, lockouts=lockouts)
    return budget


def reserve(budget: Budget, policy: BudgetPolicy, now: float) -> Budget | Refusal:
    """Return the budget with one more attempt reserved, or why none may be made now.

    A reservation counts as a failure until it is settled, so attempts in flight use up
    the budget too.
    """
    budget = _current(budget, policy, now)
    if budget.locked_until is not None:
        return Refusal(budget.locked_until - now)
    if budget.failures >= policy.limit:
        # The last attempts are still being checked; one of them may yet lock it.
        return Refusal(min(policy.window, 5.0))
    return replace(budget, failures=budget.failures + 1, last_failure_at=now)


def settle_failure(budget: Budget, policy: BudgetPolicy,
                   now: float) -> tuple[Budget, Lockout | None]:
    """Keep a reservation as a failure; start a lock-out when the limit is reached."""
    if budget.failures < policy.limit or budget.locked_until is not None:
        return budget, None
    until = now + policy.lock_length(budget.lockouts)
    lockout = Lockout(until, budget.lockouts)
    return Budget(failures=0, last_failure_at=now, locked_until=until,
                  lockouts=budget.lockouts + 1), lockout


def attempts_left(budget: Budget, policy: BudgetPolicy, now: float) -> int:
    """Return how many more failures the budget takes before it locks (reservations count)."""
    budget = _current(budget, policy, now)
    if budget.locked_until is not None:
        return 0
    return max(0, policy.limit - budget.failures)


def release(budget: Budget) -> Budget:
    """Give a reservation back: the answer was right, or the attempt was not a guess."""
    return replace(budget, failures=max(0, budget.failures - 1))


def clear(_budget: Budget) -> Budget:
    """Start the budget afresh: a login was completed (consecutive failures end)."""
    return Budget()
