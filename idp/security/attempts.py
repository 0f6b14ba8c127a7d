"""Failure budgets in the database: shared by every process and instance, counted one by one.

A budget row is read and written under a lock (PostgreSQL: the row's ``FOR UPDATE``
lock; SQLite: the database's write lock, taken by the first write of the transaction),
so concurrent attempts against one account reserve their tries in turn and no more
than the limit are ever checked. The rules are ``idp.domain.attempts``.

Reserving, settling a failure and a notice each commit their own transaction; call them
when the request has nothing pending (before the check, and after the view has committed
or rolled back). Those commits keep the request's loaded rows as they are
(``commit_keeping_loaded``): budget rows are always read afresh, as plain rows. Giving a
reservation back can also join the transaction of the step it answered
(``release_with_step``), and clearing always joins the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..domain.attempts import (
    Budget,
    BudgetPolicy,
    Lockout,
    Refusal,
    attempts_left,
    clear,
    release,
    reserve,
    settle_failure,
)
from ..storage import db
from ..storage.db import commit_keeping_loaded
from ..storage.models import AttemptBudget


def user_account_key(directory_id: int, user_id: int) -> str:
    """Return the key of a user's account: every budget of it is this key, a colon and its
    source (``idp.web.attempts``)."""
    return f"{directory_id}:u{user_id}"


class AttemptRefused(Exception):
    """No attempt may be made now; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float):
        super().__init__(f"locked for {retry_after:.0f} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class BudgetKey:
    """One budget an attempt draws on: its key and its policy."""

    key: str
    policy: BudgetPolicy


@dataclass(frozen=True)
class Reservation:
    """Attempts reserved on some budgets, to be settled once the answer is known."""

    directory_id: int
    budgets: tuple[BudgetKey, ...]


# Statements built once (building one costs about 100 µs): budget rows are read and
# written as plain rows, never through the ORM, whose instances and flush would cost more
# than the statements themselves.
_BUDGET = AttemptBudget.__table__
_STATE = (_BUDGET.c.failures, _BUDGET.c.last_failure_at, _BUDGET.c.locked_until,
          _BUDGET.c.lockouts)
_CREATE = {dialect: insert(_BUDGET).on_conflict_do_nothing(index_elements=["key"])
           for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}
_READ = select(_BUDGET.c.key, *_STATE).where(
    _BUDGET.c.key.in_(bindparam("keys", expanding=True))).order_by(_BUDGET.c.key)
_LOCK = _READ.with_for_update()
_WRITE = update(_BUDGET).where(_BUDGET.c.key == bindparam("budget")).values(
    failures=bindparam("new_failures"), last_failure_at=bindparam("new_last_failure_at"),
    locked_until=bindparam("new_locked_until"), lockouts=bindparam("new_lockouts"),
    updated_at=bindparam("new_updated_at"))


def _states(statement: Select, keys: Iterable[str]) -> dict[str, Budget]:
    return {row.key: Budget(failures=row.failures, last_failure_at=row.last_failure_at,
                            locked_until=row.locked_until, lockouts=row.lockouts)
            for row in db.session.execute(statement, {"keys": sorted(set(keys))})}


def _locked(directory_id: int, keys: Iterable[str], now: float) -> dict[str, Budget]:
    """Return the budgets of `keys`, their rows created if missing and locked until the
    commit, in a transaction of their own: two statements, whatever the number of keys.
    """
    commit_keeping_loaded()  # a transaction of our own, whose first statement is a write
    return _locked_here(directory_id, keys, now)


def _locked_here(directory_id: int, keys: Iterable[str], now: float) -> dict[str, Budget]:
    """Return the budgets of `keys`, their rows created if missing and locked until the
    commit of the caller's transaction.

    The first statement is a write, so the rows are read under the lock that guards them
    (SQLite's write lock is taken by a transaction's first write). Keys are created and
    locked in sorted order, so two transactions never wait for each other in a circle.
    """
    ordered = sorted(set(keys))
    db.session.execute(_CREATE[db.engine.dialect.name], [
        {"key": key, "directory_id": directory_id, "failures": 0, "lockouts": 0,
         "updated_at": now} for key in ordered])
    states = _states(_LOCK, ordered)
    if len(states) != len(ordered):
        raise LookupError("a failure budget vanished while it was being locked")
    return states


def _write(states: dict[str, Budget], now: float) -> None:
    """Store budgets locked by ``_locked``, in one statement."""
    db.session.execute(_WRITE, [
        {"budget": key, "new_failures": state.failures,
         "new_last_failure_at": state.last_failure_at, "new_locked_until": state.locked_until,
         "new_lockouts": state.lockouts, "new_updated_at": now}
        for key, state in states.items()])


class AttemptBudgets:
    """Reserve, then settle, attempts on the budgets of an account."""

    def reserve(self, directory_id: int, budgets: Iterable[BudgetKey],
                now: float) -> Reservation:
        """Reserve one attempt on every budget, or raise AttemptRefused (nothing reserved)."""
        chosen = tuple(budgets)
        try:
            states = _locked(directory_id, (b.key for b in chosen), now)
            reserved: dict[str, Budget] = {}
            refusals: list[float] = []
            for budget in chosen:
                result = reserve(states[budget.key], budget.policy, now)
                if isinstance(result, Refusal):
                    refusals.append(result.retry_after)
                else:
                    reserved[budget.key] = result
            if refusals:
                db.session.rollback()
                raise AttemptRefused(max(refusals))
            _write(reserved, now)
            commit_keeping_loaded()
        except AttemptRefused:
            raise
        except Exception:
            db.session.rollback()
            raise
        return Reservation(directory_id, chosen)

    def fail(self, reservation: Reservation, now: float) -> list[tuple[BudgetKey, Lockout]]:
        """Keep the reservation as a failure; return the lock-outs it started."""
        started: list[tuple[BudgetKey, Lockout]] = []

        def apply(state: Budget, budget: BudgetKey) -> Budget:
            state, lockout = settle_failure(state, budget.policy, now)
            if lockout is not None:
                started.append((budget, lockout))
            return state

        self._settle(reservation, now, apply)
        return started

    def release(self, reservation: Reservation, now: float) -> None:
        """Give the reservation back: the answer was right, or it was not a guess."""
        self._settle(reservation, now, lambda state, _budget: release(state))

    def release_with_step(self, reservation: Reservation, now: float) -> None:
        """Give the reservation back in the caller's transaction, which keeps it only if it
        commits: for a right answer, given back with the step it completed (one commit
        instead of two)."""
        states = _locked_here(reservation.directory_id,
                              (b.key for b in reservation.budgets), now)
        _write({budget.key: release(states[budget.key]) for budget in reservation.budgets},
               now)

    def clear(self, budgets: Iterable[BudgetKey], now: float) -> None:
        """Start the budgets afresh, in the caller's transaction: the account completed a
        login from this source.

        One statement that changes nothing (and so costs nothing) when there were no
        failures, as after most logins.
        """
        empty = clear(Budget())
        keys = [b.key for b in budgets]
        db.session.execute(update(AttemptBudget).where(
            AttemptBudget.key.in_(keys),
            (AttemptBudget.failures > 0) | (AttemptBudget.lockouts > 0)
            | AttemptBudget.locked_until.is_not(None),
        ).values(failures=empty.failures, last_failure_at=empty.last_failure_at,
                 locked_until=empty.locked_until, lockouts=empty.lockouts, updated_at=now)
            .execution_options(synchronize_session=False))

    def left(self, reservation: Reservation, now: float) -> int:
        """Return how many more failures the reservation's budgets all take (the fewest);
        the reservation itself counts as one."""
        states = _states(_READ, (b.key for b in reservation.budgets))
        return min((attempts_left(states[b.key], b.policy, now) if b.key in states
                    else b.policy.limit for b in reservation.budgets), default=0)

    def _settle(self, reservation: Reservation, now: float, apply) -> None:
        try:
            states = _locked(reservation.directory_id,
                             (b.key for b in reservation.budgets), now)
            _write({budget.key: apply(states[budget.key], budget)
                    for budget in reservation.budgets}, now)
            commit_keeping_loaded()
        except Exception:
            db.session.rollback()
            raise

    def claim_notice(self, directory_id: int, key: str, now: float, every: float) -> bool:
        """Return True once per `every` seconds for `key`: whether to tell the owner now."""
        try:
            _locked(directory_id, [key], now)
            claimed = db.session.execute(update(AttemptBudget).where(
                AttemptBudget.key == key,
                (AttemptBudget.notified_at.is_(None))
                | (AttemptBudget.notified_at <= now - every),
            ).values(notified_at=now, updated_at=now)
                .execution_options(synchronize_session=False)).rowcount
            commit_keeping_loaded()
        except Exception:
            db.session.rollback()
            raise
        return claimed == 1


def locked_until(directory_id: int, account_key: str, now: float) -> float | None:
    """Return until when a budget of the account is locked (the latest), or None when none
    is locked now."""
    prefix = account_key + ":"
    return db.session.scalar(select(func.max(AttemptBudget.locked_until)).where(
        AttemptBudget.directory_id == directory_id, AttemptBudget.key.startswith(prefix),
        AttemptBudget.locked_until > now))


def unlock(directory_id: int, account_key: str, now: float) -> int:
    """Start every budget of the account afresh, in the caller's transaction; return how
    many were locked."""
    prefix = account_key + ":"
    locked = db.session.scalar(select(func.count()).select_from(AttemptBudget).where(
        AttemptBudget.directory_id == directory_id, AttemptBudget.key.startswith(prefix),
        AttemptBudget.locked_until > now)) or 0
    empty = clear(Budget())
    db.session.execute(update(AttemptBudget).where(
        AttemptBudget.directory_id == directory_id, AttemptBudget.key.startswith(prefix),
    ).values(failures=empty.failures, last_failure_at=empty.last_failure_at,
             locked_until=empty.locked_until, lockouts=empty.lockouts, updated_at=now)
        .execution_options(synchronize_session=False))
    return int(locked)
