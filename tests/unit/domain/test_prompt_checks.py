import dataclasses

import pytest

from idp.domain import CHECKS, Completion, PromptCheck, PromptContext, pending_checks

NOW = 1_700_000_000.0


def context(**changes) -> PromptContext:
    """Return a context in which no check fails, with `changes` applied."""
    base = PromptContext(
        has_user=True,
        prompts=frozenset(),
        level=30,
        minimum=30,
        max_age=None,
        now=NOW,
        completions=(Completion("password", NOW - 600), Completion("totp", NOW - 590)),
        interaction_started=None,
        hint_sub_matches=None,
        consent_needed=False,
    )
    return dataclasses.replace(base, **changes)


def names(ctx: PromptContext) -> list[str]:
    return [check.name for check in pending_checks(ctx)]


def test_checks_are_named_and_ordered_like_the_policy():
    assert [check.__name__ for check in CHECKS] == [
        "no_session",
        "prompt_login",
        "max_age",
        "id_token_hint_mismatch",
        "level_not_met",
        "consent",
    ]


def test_signed_in_session_at_the_minimum_needs_no_prompt():
    assert pending_checks(context()) == ()


@pytest.mark.parametrize(
    ("changes", "name", "error"),
    [
        ({"has_user": False}, "no_session", "login_required"),
        ({"prompts": frozenset({"login"})}, "prompt_login", "login_required"),
        ({"max_age": 300}, "max_age", "login_required"),
        ({"hint_sub_matches": False}, "id_token_hint_mismatch", "login_required"),
        ({"level": 20}, "level_not_met", "interaction_required"),
        ({"consent_needed": True}, "consent", "consent_required"),
        ({"prompts": frozenset({"consent"})}, "consent", "consent_required"),
    ],
)
def test_each_check_fails_alone_with_its_prompt_none_error(changes, name, error):
    (check,) = pending_checks(context(**changes))
    assert isinstance(check, PromptCheck)
    assert (check.name, check.error) == (name, error)
    assert check.reason


def test_prompt_login_is_satisfied_once_the_interaction_has_started():
    ctx = context(prompts=frozenset({"login"}), interaction_started=NOW - 5)
    assert pending_checks(ctx) == ()


def test_max_age_is_satisfied_by_a_login_within_it():
    assert pending_checks(context(max_age=900)) == ()


def test_max_age_is_satisfied_by_a_login_since_the_interaction_started():
    ctx = context(
        max_age=0,
        interaction_started=NOW - 30,
        completions=(Completion("password", NOW - 3600), Completion("password", NOW - 10)),
    )
    assert pending_checks(ctx) == ()


def test_max_age_is_not_satisfied_by_the_remembered_device_alone():
    ctx = context(
        max_age=300,
        completions=(Completion("password", NOW - 3600), Completion("device", NOW - 1)),
    )
    assert names(ctx) == ["max_age"]


def test_max_age_is_not_satisfied_by_a_completion_in_the_future():
    assert names(context(max_age=300, completions=(Completion("password", NOW + 60),))) == [
        "max_age"
    ]


@pytest.mark.parametrize("hint_sub_matches", [None, True])
def test_matching_or_absent_id_token_hint_needs_no_prompt(hint_sub_matches):
    assert pending_checks(context(hint_sub_matches=hint_sub_matches)) == ()


def test_level_not_met_says_what_is_missing():
    (check,) = pending_checks(context(level=20, minimum=40))
    assert "20" in check.reason
    assert "40" in check.reason


def test_every_failing_check_is_returned_in_order():
    ctx = context(
        has_user=False,
        prompts=frozenset({"login", "consent"}),
        level=0,
        max_age=60,
        completions=(),
        hint_sub_matches=False,
    )
    assert names(ctx) == [
        "no_session",
        "prompt_login",
        "max_age",
        "id_token_hint_mismatch",
        "level_not_met",
        "consent",
    ]
