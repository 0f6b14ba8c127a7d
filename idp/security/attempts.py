"""Failure budgets in the database: shared by every process and instance, counted one by one.

A budget row is read and written under a lock (PostgreSQL: the row's ``FOR UPDATE``
lock; SQLite: the database's write lock, taken by the first write of the transaction),
so concurrent attempts against one account reserve their tries in turn and no more
than the limit are ever checked. The rules are ``idp.domain.attempts``.

Every operation commits its own transaction; call them when the request has nothing
pending (before the check, and after the view has committed or rolled back). Those
commits keep the request's loaded rows as they are (``commit_keeping_loaded``): budget
rows are always read afresh.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
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


def _state(row: AttemptBudget) -> Budget:
    return Budget(failures=row.failures, last_failure_at=row.last_failure_at,
                  locked_until=row.locked_until, lockouts=row.lockouts)


def _store(row: AttemptBudget, budget: Budget, now: float) -> None:
    row.failures = budget.failures
    row.last_failure_at = budget.last_failure_at
    row.locked_until = budget.locked_until
    row.lockouts = budget.lockouts
    row.updated_at = now


def _locked_rows(directory_id: int, keys: Iterable[str], now: float) -> dict[str, AttemptBudget]:
    """Return the budget rows of `keys`, created if missing and locked until the commit:
    two statements, whatever the number of keys.

    Keys are created and locked in sorted order, so two transactions never wait for each
    other in a circle.
    """
    commit_keeping_loaded()  # a transaction of our own, whose first statement is a write
    ordered = sorted(set(keys))
    dialect = db.engine.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(insert(AttemptBudget).values([
        {"key": key, "directory_id": directory_id, "failures": 0, "lockouts": 0,
         "updated_at": now} for key in ordered]).on_conflict_do_nothing(index_elements=["key"]))
    rows = {row.key: row for row in db.session.scalars(
        select(AttemptBudget).where(AttemptBudget.key.in_(ordered)).order_by(AttemptBudget.key)
        .with_for_update().execution_options(populate_existing=True))}
    if len(rows) != len(ordered):
        raise LookupError("a failure budget vanished while it was being locked")
    return rows


class AttemptBudgets:
    """Reserve, then settle, attempts on the budgets of an account."""

    def reserve(self, directory_id: int, budgets: Iterable[BudgetKey],
                now: float) -> Reservation:
        """Reserve one attempt on every budget, or raise AttemptRefused (nothing reserved)."""
        chosen = tuple(budgets)
        try:
            rows = _locked_rows(directory_id, (b.key for b in chosen), now)
            refusals: list[float] = []
            for budget in chosen:
                row = rows[budget.key]
                result = reserve(_state(row), budget.policy, now)
                if isinstance(result, Refusal):
                    refusals.append(result.retry_after)
                else:
                    _store(row, result, now)
            if refusals:
                db.session.rollback()
                raise AttemptRefused(max(refusals))
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

        def apply(row: AttemptBudget, budget: BudgetKey) -> Budget:
            state, lockout = settle_failure(_state(row), budget.policy, now)
            if lockout is not None:
                started.append((budget, lockout))
            return state

        self._settle(reservation, now, apply)
        return started

    def release(self, reservation: Reservation, now: float) -> None:
        """Give the reservation back: the answer was right, or it was not a guess."""
        self._settle(reservation, now, lambda row, _budget: release(_state(row)))

    def clear(self, budgets: Iterable[BudgetKey], now: float) -> None:
        """Start the budgets afresh: the account completed a login from this source.

        One statement that changes nothing (and so costs nothing) when there were no
        failures, as after most logins.
        """
        empty = clear(Budget())
        keys = [b.key for b in budgets]
        try:
            db.session.execute(update(AttemptBudget).where(
                AttemptBudget.key.in_(keys),
                (AttemptBudget.failures > 0) | (AttemptBudget.lockouts > 0)
                | AttemptBudget.locked_until.is_not(None),
            ).values(failures=empty.failures, last_failure_at=empty.last_failure_at,
                     locked_until=empty.locked_until, lockouts=empty.lockouts, updated_at=now)
                .execution_options(synchronize_session=False))
            commit_keeping_loaded()
        except Exception:
            db.session.rollback()
            raise

    def left(self, reservation: Reservation, now: float) -> int:
        """Return how many more failures the reservation's budgets all take (the fewest);
        the reservation itself counts as one."""
        rows = {row.key: row for row in db.session.scalars(select(AttemptBudget).where(
            AttemptBudget.key.in_([b.key for b in reservation.budgets]))
            .execution_options(populate_existing=True))}
        return min((attempts_left(_state(rows[b.key]), b.policy, now) if b.key in rows
                    else b.policy.limit for b in reservation.budgets), default=0)

    def _settle(self, reservation: Reservation, now: float, apply) -> None:
        try:
            rows = _locked_rows(reservation.directory_id,
                                (b.key for b in reservation.budgets), now)
            for budget in reservation.budgets:
                _store(rows[budget.key], apply(rows[budget.key], budget), now)
            commit_keeping_loaded()
        except Exception:
            db.session.rollback()
            raise

    def claim_notice(self, directory_id: int, key: str, now: float, every: float) -> bool:
        """Return True once per `every` seconds for `key`: whether to tell the owner now."""
        try:
            _locked_rows(directory_id, [key], now)
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
