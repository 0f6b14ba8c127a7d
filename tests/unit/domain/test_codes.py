"""One-time code rules: resend waits, hourly limits, carried failures, reasons to refuse a try."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.domain import (
    CodePolicy,
    RecentSends,
    SentCode,
    carried_failures,
    code_problem,
    refuse_send,
    resend_wait,
)

POLICY = CodePolicy()
T = 1_800_000_000.0


def test_first_code_may_be_sent_at_once():
    assert resend_wait((), T, POLICY) == 0
    assert refuse_send(RecentSends(), T, POLICY) is None


@pytest.mark.parametrize(("sends", "wait"), [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480),
                                             (6, 600), (9, 600)])
def test_resend_wait_doubles_with_every_send_up_to_the_longest(sends, wait):
    times = [T - 1000 + i for i in range(sends - 1)] + [T]
    assert resend_wait(times, T, POLICY) == wait


def test_resend_wait_counts_from_the_last_send():
    assert resend_wait([T - 10], T, POLICY) == 20
    assert resend_wait([T - 30], T, POLICY) == 0
    assert resend_wait([T - 300], T, POLICY) == 0


def test_too_soon_is_refused_with_the_time_left():
    refusal = refuse_send(RecentSends(session=[T - 5]), T, POLICY)
    assert refusal is not None
    assert (refusal.reason, refusal.retry_after) == ("too_soon", 25)


@pytest.mark.parametrize(("recent", "reason"), [
    (RecentSends(destination=5), "destination_limit"),
    (RecentSends(user=10), "user_limit"),
    (RecentSends(ip=20), "ip_limit"),
    (RecentSends(destination=9, user=99, ip=99), "destination_limit"),
])
def test_hourly_limits_refuse_for_the_rest_of_the_window(recent, reason):
    refusal = refuse_send(recent, T, POLICY)
    assert refusal is not None
    assert refusal.reason == reason
    assert refusal.retry_after == POLICY.window


def test_one_below_every_limit_may_send():
    assert refuse_send(RecentSends(destination=4, user=9, ip=19), T, POLICY) is None


def test_failures_carry_over_to_a_new_code():
    previous = SentCode(sent_at=T - 60, expires_at=T + 540, failures=3)
    assert carried_failures(previous, T, POLICY) == 3


@pytest.mark.parametrize("previous", [
    None,
    SentCode(sent_at=T - 60, expires_at=T + 540, failures=3, used_at=T - 30),
    SentCode(sent_at=T - 3600, expires_at=T - 3000, failures=5),
])
def test_failures_start_afresh_after_a_success_or_an_hour(previous):
    assert carried_failures(previous, T, POLICY) == 0


def test_carried_failures_never_exceed_the_maximum():
    previous = SentCode(sent_at=T - 60, expires_at=T + 540, failures=50)
    assert carried_failures(previous, T, POLICY) == POLICY.max_failures


@pytest.mark.parametrize(("code", "problem"), [
    (None, "no_code"),
    (SentCode(sent_at=T, expires_at=T + 600), None),
    (SentCode(sent_at=T, expires_at=T + 600, failures=4), None),
    (SentCode(sent_at=T, expires_at=T + 600, failures=5), "locked"),
    (SentCode(sent_at=T - 601, expires_at=T - 1, failures=5), "locked"),
    (SentCode(sent_at=T - 10, expires_at=T + 590, used_at=T - 5), "used"),
    (SentCode(sent_at=T - 600, expires_at=T), "expired"),
    (SentCode(sent_at=T - 700, expires_at=T - 100, used_at=T - 650), "used"),
])
def test_code_problem(code, problem):
    assert code_problem(code, T, POLICY) == problem


@pytest.mark.parametrize("ttl", [0, -1, 601, 3600])
def test_policy_refuses_a_lifetime_beyond_ten_minutes(ttl):
    with pytest.raises(ValueError, match="between 1 and 600"):
        CodePolicy(ttl=ttl)


def test_policy_refuses_zero_tries():
    with pytest.raises(ValueError, match="at least one try"):
        CodePolicy(max_failures=0)


@given(st.lists(st.floats(min_value=0, max_value=3599), min_size=1, max_size=30),
       st.floats(min_value=0, max_value=4000))
def test_resend_wait_is_never_negative_nor_longer_than_the_longest(offsets, later):
    sends = [T + o for o in offsets]
    wait = resend_wait(sends, max(sends) + later, POLICY)
    assert 0 <= wait <= POLICY.longest_wait
