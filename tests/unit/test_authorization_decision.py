"""The authorization decision (``idp.oidc.authorization.decide``): re-authentication and step-up.

max_age and prompt=login ask for the method that identified the user (the password, or a
passkey used to log in) again; fresh codes never stand in for it (OIDC Core 3.1.2.1).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.domain import (
    CLOCK_SKEW,
    IDENTIFYING,
    METHODS,
    STEP_UP_METHODS,
    AcrRequest,
    Completion,
    LevelSettings,
)
from idp.oidc.authorization import OidcParams, Subject, decide

NOW = 1_700_000_000.0
#: Codes worth 15 each, so that an SMS and an email code alone would make the level 30.
CODES_REACH = LevelSettings().with_changes(points={"sms": 15, "email": 15})
SUBJECT = Subject(sub="s", enrolled=frozenset({"password", "sms", "email", "totp"}),
                  enrollable=frozenset(), has_consent=True)


def params(**changes) -> OidcParams:
    base = OidcParams(prompts=frozenset(), max_age=None, acr=AcrRequest(), claims=None,
                      hint_sub=None, login_hint=None, ui_locales=())
    return dataclasses.replace(base, **changes)


def run(done, *, settings=CODES_REACH, subject=SUBJECT, started=None, **changes):
    return decide(settings, None, True, params(**changes), subject, tuple(done), NOW, started,
                  False)


def test_fresh_sms_and_email_codes_do_not_meet_max_age_when_the_password_is_older():
    done = [Completion("password", NOW - 3600), Completion("sms", NOW - 60),
            Completion("email", NOW - 30)]
    assert run(done).kind == "issue"  # without max_age the session is at 35
    decision = run(done, max_age=300)
    assert (decision.kind, decision.step) == ("interact", "login")
    refused = run(done, max_age=300, prompts=frozenset({"none"}))
    assert (refused.kind, refused.error) == ("error", "login_required")


def test_after_the_password_again_the_fresh_codes_count_towards_max_age():
    done = [Completion("password", NOW - 3600), Completion("sms", NOW - 60),
            Completion("email", NOW - 30), Completion("password", NOW - 5)]
    decision = run(done, max_age=300)
    assert decision.kind == "issue"
    assert decision.outcome.methods == ("password", "sms", "email")
    assert decision.outcome.auth_time == int(NOW - 5)


def test_an_old_password_with_one_fresh_code_shows_the_login_form_not_a_password_step():
    done = [Completion("password", NOW - 3600), Completion("sms", NOW - 60)]
    decision = run(done, max_age=300)
    assert (decision.kind, decision.step, decision.plan) == ("interact", "login", None)


def test_codes_since_a_prompt_login_interaction_started_do_not_replace_the_login():
    started = NOW - 120
    done = [Completion("password", started - 1), Completion("sms", NOW - 60),
            Completion("email", NOW - 30)]
    decision = run(done, prompts=frozenset({"login"}), started=started)
    assert (decision.kind, decision.step) == ("interact", "login")
    again = run([*done, Completion("password", NOW - 10)], prompts=frozenset({"login"}),
                started=started)
    assert again.kind == "issue"


def test_a_passkey_login_that_needs_the_password_shows_the_login_form():
    settings = LevelSettings()
    subject = dataclasses.replace(SUBJECT, enrolled=frozenset({"password", "passkey"}))
    decision = run([Completion("passkey", NOW - 10)], settings=settings, subject=subject,
                   acr=AcrRequest(values=(50,), named=True))
    assert (decision.kind, decision.step) == ("interact", "login")
    assert decision.plan is not None and decision.plan.options == ()


def test_a_code_since_the_interaction_started_does_not_make_the_hinted_user_log_in():
    started = NOW - 60
    done = [Completion("password", NOW - 600), Completion("totp", NOW - 590),
            Completion("sms", NOW - 10)]
    decision = run(done, hint_sub="someone-else", started=started)
    assert (decision.kind, decision.step) == ("interact", "login")


completions = st.lists(
    st.builds(Completion, st.sampled_from(METHODS),
              st.floats(min_value=NOW - 5_000, max_value=NOW + 10, allow_nan=False)),
    max_size=12)
settings_strategy = st.builds(
    LevelSettings.from_mapping, st.integers(min_value=1, max_value=60),
    st.dictionaries(st.sampled_from(METHODS), st.integers(min_value=0, max_value=40)))
subjects = st.builds(
    lambda enrolled, enrollable: Subject("s", enrolled, enrollable, True),
    st.frozensets(st.sampled_from(METHODS)), st.frozensets(st.sampled_from(METHODS)))


def _fresh(c: Completion, max_age: int | None, started: float | None) -> bool:
    """Whether an identifying completion re-authenticated the user for this request."""
    since_start = started is not None and c.at >= started
    within = max_age is not None and NOW - c.at <= max_age
    return c.at <= NOW + CLOCK_SKEW and (within or since_start)


@given(settings_strategy, subjects, completions, st.integers(0, 4_000),
       st.one_of(st.none(), st.floats(NOW - 5_000, NOW, allow_nan=False)))
def test_no_code_is_issued_under_max_age_on_an_identifying_method_older_than_it(
        settings, subject, done, max_age, started):
    decision = run(done, settings=settings, subject=subject, started=started, max_age=max_age)
    if decision.kind != "issue":
        return
    assert any(c.method in IDENTIFYING and c.method in decision.outcome.methods
               and _fresh(c, max_age, started) for c in done)


@given(settings_strategy, subjects, completions, st.floats(NOW - 5_000, NOW, allow_nan=False))
def test_no_code_is_issued_on_prompt_login_without_identifying_in_the_interaction(
        settings, subject, done, started):
    decision = run(done, settings=settings, subject=subject, started=started,
                   prompts=frozenset({"login"}))
    if decision.kind != "issue":
        return
    assert any(c.method in IDENTIFYING and _fresh(c, None, started) for c in done)


@given(settings_strategy, subjects, completions, st.one_of(st.none(), st.integers(0, 4_000)),
       st.integers(0, 100))
def test_the_step_up_page_offers_only_steps_that_have_a_page(settings, subject, done, max_age,
                                                           level):
    decision = run(done, settings=settings, subject=subject, max_age=max_age,
                   acr=AcrRequest(values=(level,), named=True))
    if decision.step == "stepup":
        offered = set(decision.plan.options + decision.plan.enrol_options)
        assert offered and offered <= STEP_UP_METHODS


@pytest.mark.parametrize("method", sorted(IDENTIFYING))
def test_each_identifying_method_meets_max_age_with_the_codes_after_it(method):
    done = [Completion(method, NOW - 100), Completion("sms", NOW - 60)]
    assert run(done, max_age=300).kind == "issue"
