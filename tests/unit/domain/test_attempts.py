"""Failure budgets: reserve before the check, settle after it, lock-outs that double."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.domain.attempts import (
    DAY,
    Budget,
    BudgetPolicy,
    Refusal,
    clear,
    release,
    reserve,
    settle_failure,
)

POLICY = BudgetPolicy(limit=3, window=60.0)
T = 1_800_000_000.0


def reserved(budget: Budget, now: float = T) -> Budget:
    result = reserve(budget, POLICY, now)
    assert isinstance(result, Budget), result
    return result


def failed(budget: Budget, now: float = T) -> Budget:
    return settle_failure(reserved(budget, now), POLICY, now)[0]


def test_a_reservation_counts_as_a_failure_until_it_is_settled():
    budget = reserved(reserved(reserved(Budget())))
    assert budget.failures == 3
    assert isinstance(reserve(budget, POLICY, T), Refusal)


def test_a_released_reservation_is_given_back():
    budget = release(reserved(reserved(Budget())))
    assert budget.failures == 1
    assert release(Budget()).failures == 0


def test_the_failure_that_reaches_the_limit_starts_a_lock_out_as_long_as_the_window():
    budget = failed(failed(Budget()))
    budget, lockout = settle_failure(reserved(budget), POLICY, T)
    assert lockout is not None and lockout.until == T + 60 and lockout.lockouts == 0
    assert budget.locked_until == T + 60 and budget.failures == 0
    refusal = reserve(budget, POLICY, T + 10)
    assert isinstance(refusal, Refusal) and refusal.retry_after == 50


def test_failures_below_the_limit_start_no_lock_out():
    budget, lockout = settle_failure(reserved(failed(Budget())), POLICY, T)
    assert lockout is None and budget.locked_until is None


@pytest.mark.parametrize(("earlier", "length"), [(0, 60), (1, 120), (2, 240), (5, 1920),
                                                  (11, DAY), (40, DAY)])
def test_each_further_lock_out_lasts_twice_as_long_up_to_a_day(earlier, length):
    budget = Budget(failures=2, last_failure_at=T, lockouts=earlier)
    _, lockout = settle_failure(reserved(budget), POLICY, T)
    assert lockout is not None and lockout.until - T == length


def test_after_a_lock_out_the_source_may_try_again_with_a_full_budget():
    budget = failed(failed(failed(Budget())))
    again = reserve(budget, POLICY, T + 61)
    assert isinstance(again, Budget) and again.failures == 1 and again.lockouts == 1


def test_the_next_lock_out_after_one_is_longer():
    budget = failed(failed(failed(Budget())))
    later = T + 61
    for _ in range(2):
        budget = failed(budget, later)
    budget, lockout = settle_failure(reserved(budget, later), POLICY, later)
    assert lockout is not None and lockout.until == later + 120


def test_failures_are_forgotten_after_a_quiet_window():
    budget = failed(failed(Budget()))
    again = reserve(budget, POLICY, T + 61)
    assert isinstance(again, Budget) and again.failures == 1


def test_lock_outs_are_forgotten_a_day_after_the_last_one_ended():
    budget = Budget(locked_until=T, lockouts=4)
    assert reserved(budget, T + DAY + 1).lockouts == 0
    assert reserved(budget, T + 10).lockouts == 4


def test_a_completed_login_clears_everything():
    assert clear(Budget(failures=2, last_failure_at=T, locked_until=T + 5, lockouts=3)) == Budget()


@pytest.mark.parametrize(("limit", "window"), [(0, 60), (3, 0), (3, -1)])
def test_a_policy_must_allow_something(limit, window):
    with pytest.raises(ValueError):
        BudgetPolicy(limit=limit, window=window)


OPERATIONS = st.lists(st.sampled_from(["reserve", "fail", "release"]), max_size=60)


@given(OPERATIONS, st.integers(min_value=1, max_value=12))
def test_no_more_attempts_than_the_limit_are_ever_checked_before_a_lock_out(operations, limit):
    """Whatever the interleaving of attempts in flight, at most `limit` are checked."""
    policy = BudgetPolicy(limit=limit, window=600.0)
    budget, in_flight, checked_failures = Budget(), 0, 0
    for operation in operations:
        if operation == "reserve":
            result = reserve(budget, policy, T)
            if isinstance(result, Budget):
                budget, in_flight = result, in_flight + 1
        elif in_flight:
            in_flight -= 1
            if operation == "fail":
                budget, lockout = settle_failure(budget, policy, T)
                checked_failures += 1
                if lockout is not None:
                    break
            else:
                budget = release(budget)
        assert budget.failures <= limit
    assert checked_failures <= limit
