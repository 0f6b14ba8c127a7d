"""App approval rules: weak PINs, number choices, answering in time, blocking, push throttling."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.domain.approval import (
    PIN_ATTEMPTS,
    PUSH_WINDOW,
    PUSHES_PER_WINDOW,
    ApprovalState,
    answer_problem,
    may_push,
    pin_problem,
    valid_choices,
    wrong_pin_outcome,
)

T = 1_800_000_000.0


@pytest.mark.parametrize("pin", ["58213", "90417", "31415", "27182", "10293"])
def test_ordinary_pins_are_accepted(pin):
    assert pin_problem(pin) is None


@pytest.mark.parametrize("pin", ["11111", "00000", "12345", "23456", "54321", "98765", "12121",
                                 "90909", "13579", "10000", "01234"])
def test_weak_pins_are_refused(pin):
    assert pin_problem(pin) == "weak"


@pytest.mark.parametrize("pin", ["1234", "123456", "12a45", "", "١٢٣٤٥", " 5821", "58213\n"])
def test_a_pin_is_exactly_five_ascii_digits(pin):
    assert pin_problem(pin) == "format"


@pytest.mark.parametrize(("number", "choices", "valid"), [
    (42, [17, 42, 85], True), (42, [17, 43, 85], False), (42, [42, 42, 85], False),
    (42, [17, 42], False), (5, [5, 42, 85], False), (42, [17, 42, 100], False),
])
def test_choices_are_three_distinct_two_digit_numbers_with_the_right_one(number, choices, valid):
    assert valid_choices(number, choices) is valid


@pytest.mark.parametrize(("state", "problem"), [
    (None, "not_found"),
    (ApprovalState("pending", T + 1), None),
    (ApprovalState("pending", T), "expired"),
    (ApprovalState("approved", T + 100), "already_decided"),
    (ApprovalState("denied", T + 100), "already_decided"),
    (ApprovalState("refused", T - 100), "already_decided"),
])
def test_when_the_app_may_still_answer(state, problem):
    assert answer_problem(state, T) == problem


def test_the_tenth_wrong_pin_in_a_row_blocks_the_device():
    assert wrong_pin_outcome(PIN_ATTEMPTS - 2) == (PIN_ATTEMPTS - 1, False)
    assert wrong_pin_outcome(PIN_ATTEMPTS - 1) == (PIN_ATTEMPTS, True)


def test_pushes_are_throttled_per_window():
    pushes = [T - 500 + i for i in range(PUSHES_PER_WINDOW)]
    assert may_push(pushes[:-1], T) == 0
    assert may_push(pushes, T) == pytest.approx(pushes[0] + PUSH_WINDOW - T)
    assert may_push([t - PUSH_WINDOW for t in pushes], T) == 0


@given(st.lists(st.floats(min_value=0, max_value=2 * PUSH_WINDOW), max_size=20))
def test_the_push_wait_is_never_negative_nor_longer_than_the_window(offsets):
    wait = may_push([T - o for o in offsets], T)
    assert 0 <= wait <= PUSH_WINDOW
