"""Invariants of the domain rules, checked over generated settings and sessions."""

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from idp.domain import (
    CLOCK_SKEW,
    FALLBACKS,
    IDENTIFYING,
    METHODS,
    STEP_UP_METHODS,
    AcrRequest,
    Completion,
    LevelSettings,
    UnmetAuthenticationRequirements,
    check_request,
    conclude_login,
    counted_completions,
    effective_minimum,
    max_reachable,
    parse_acr_request,
    plan_step_up,
    session_level,
)

NOW = 1_700_000_000.0

method_sets = st.frozensets(st.sampled_from(METHODS))
level_settings = st.builds(
    LevelSettings.from_mapping,
    st.integers(min_value=1, max_value=150),
    st.dictionaries(st.sampled_from(METHODS), st.integers(min_value=0, max_value=60)),
)
moments = st.floats(min_value=NOW - 10_000, max_value=NOW + 100, allow_nan=False)
completions = st.lists(st.builds(Completion, st.sampled_from(METHODS), moments), max_size=20)
acr_words = st.one_of(
    st.integers(min_value=0, max_value=200).map(str),
    st.integers(min_value=0, max_value=200).map(lambda n: f"0{n}"),
    st.sampled_from(["urn:mace:incommon:iap:silver", "1.5", "-3", "0x10", "030", "99999",
                     "1001", "9" * 40]),
)
level_words = st.one_of(
    st.integers(min_value=0, max_value=10**6).map(str),
    st.tuples(st.integers(1, 5), st.integers(0, 10**6)).map(lambda z: "0" * z[0] + str(z[1])),
    st.text("0123456789", min_size=1, max_size=60),
)


def requested_values(request) -> set[str]:
    """Return the acr values a request named that are levels, as it wrote them."""
    return {request.spelled(v) for v in request.values}
acr_requests = st.one_of(
    st.lists(acr_words, max_size=4).map(lambda words: parse_acr_request(" ".join(words), None)),
    st.builds(
        lambda words, essential: parse_acr_request(
            None, {"id_token": {"acr": {"essential": essential, "values": words}}}
        ),
        st.lists(acr_words, max_size=4),
        st.booleans(),
    ),
)


@given(level_settings, completions, st.integers(min_value=1, max_value=5))
def test_a_method_counts_at_most_once_however_often_completed(settings, done, repeats):
    once = session_level(settings, done)
    assert session_level(settings, done * repeats) == once
    assert once <= sum(settings.points_of(m) for m in {c.method for c in done})


@given(level_settings, st.one_of(st.none(), st.integers(-1000, 1000)), acr_requests)
def test_no_client_minimum_or_acr_request_lowers_the_directory_floor(settings, client, request):
    assert effective_minimum(settings, client, request) >= settings.required_level
    try:
        minimum = check_request(settings, client, request)
    except UnmetAuthenticationRequirements:
        return
    assert settings.required_level <= minimum <= max_reachable(settings)


@given(level_settings, completions, acr_requests, st.integers(0, 200))
def test_unmet_essential_acr_never_yields_an_outcome(settings, done, request, minimum):
    try:
        outcome = conclude_login(settings, done, minimum=minimum, request=request, now=NOW)
    except UnmetAuthenticationRequirements:
        return
    assert outcome.level >= minimum
    if request.essential:
        assert request.values
        assert outcome.acr in requested_values(request)
        assert int(outcome.acr) <= outcome.level


@given(level_settings, st.one_of(st.none(), st.integers(0, 200)), acr_requests, completions)
def test_returned_acr_is_a_requested_level_whenever_levels_were_named(
    settings, client, request, done
):
    assume(request.values)
    minimum = effective_minimum(settings, client, request)
    try:
        outcome = conclude_login(settings, done, minimum=minimum, request=request, now=NOW)
    except UnmetAuthenticationRequirements:
        return
    assert outcome.acr in requested_values(request)


@given(level_settings, method_sets, method_sets)
def test_session_level_is_monotone_in_the_set_of_methods(settings, some, more):
    assert settings.level_of(some) <= settings.level_of(some | more)
    assert settings.level_of(some | more) <= max_reachable(settings)


@given(level_settings, st.lists(moments, min_size=1, max_size=5))
def test_remembered_device_never_counts_alone(settings, times):
    assert session_level(settings, [Completion("device", at) for at in times]) == 0
    assert max_reachable(settings, ["device"]) == 0


@given(
    completions,
    st.integers(min_value=0, max_value=20_000),
    st.one_of(st.none(), moments),
)
def test_max_age_never_keeps_an_older_completion_unless_it_is_fresh(done, max_age, fresh_since):
    kept = counted_completions(done, now=NOW, max_age=max_age, fresh_since=fresh_since)
    for completion in kept:
        assert completion.at <= NOW + CLOCK_SKEW
        assert NOW - completion.at <= max_age or (
            fresh_since is not None and completion.at >= fresh_since
        )


@given(completions, st.one_of(st.none(), st.integers(0, 20_000)), st.one_of(st.none(), moments))
def test_counted_completions_keep_the_latest_eligible_one_per_method(done, max_age, fresh_since):
    def eligible(c: Completion) -> bool:
        fresh = fresh_since is not None and c.at >= fresh_since
        if c.at > NOW + CLOCK_SKEW:
            return False
        if max_age is not None:
            return NOW - c.at <= max_age or fresh
        return fresh_since is None or fresh

    kept = counted_completions(done, now=NOW, max_age=max_age, fresh_since=fresh_since)
    latest = {}
    for c in filter(eligible, done):
        latest[c.method] = max(latest.get(c.method, c.at), c.at)
    if not IDENTIFYING & latest.keys():
        latest = {}  # nothing counts without a method that identified the user
    assert [c.method for c in kept] == [m for m in METHODS if m in latest]
    assert all(c.at == latest[c.method] for c in kept)


@given(
    level_settings,
    completions,
    st.integers(min_value=0, max_value=20_000),
    st.one_of(st.none(), moments),
    st.integers(0, 200),
)
def test_no_outcome_with_max_age_counts_a_level_whose_identifying_method_is_older(
    settings, done, max_age, fresh_since, minimum
):
    try:
        outcome = conclude_login(
            settings, done, minimum=minimum, request=AcrRequest(), now=NOW, max_age=max_age,
            fresh_since=fresh_since,
        )
    except UnmetAuthenticationRequirements:
        return
    # OIDC Core 3.1.2.1: within max_age, or re-authenticated in this interaction.
    assert any(
        c.method in IDENTIFYING and c.method in outcome.methods and c.at <= NOW + CLOCK_SKEW
        and (NOW - c.at <= max_age or (fresh_since is not None and c.at >= fresh_since))
        for c in done
    )


@given(level_settings, method_sets, st.integers(0, 200), method_sets, method_sets)
@example(  # another browser's remembered device would reach the level, but is no step here
    LevelSettings.from_mapping(1, {"password": 9, "sms": 1, "device": 1}),
    frozenset({"password"}), 10, frozenset({"device"}), frozenset({"password", "sms"}))
def test_step_up_options_are_enabled_enrolled_and_not_yet_completed(
    settings, done, minimum, enrolled, enrollable
):
    plan = plan_step_up(settings, done, minimum, enrolled, enrollable)
    assert not set(plan.options) & done
    assert not set(plan.enrol_options) & done
    # Never a step whose page does not exist: no password, no remembered device.
    assert not {"password", "device"} & set(plan.options + plan.enrol_options)
    assert set(plan.options + plan.enrol_options) <= STEP_UP_METHODS
    assert set(plan.options) <= enrolled & settings.enabled_methods() - {"device"}
    assert set(plan.enrol_options) <= enrollable - enrolled & settings.enabled_methods()
    assert "device" not in plan.enrol_options
    assert plan.satisfied == (plan.level >= minimum)
    assert plan.missing == max(0, minimum - plan.level)
    if not plan.reachable:
        assert plan.options == plan.enrol_options == ()
    if plan.enrol_first:
        # Only fallbacks are left: a method reaching the minimum without one comes first.
        assert plan.enrol_options and set(plan.options) <= FALLBACKS
        assert all(settings.level_of(done | {m}) >= minimum for m in plan.enrol_options)
    elif plan.enrol_options:
        # Enrolment only when everything that can be done as a step is done and still falls
        # short: a remembered device not done is another browser's, never a step here.
        assert plan.options == ()
        assert settings.level_of(done | (enrolled - {"device"})) < minimum


@given(level_settings, method_sets, st.integers(1, 60), method_sets, method_sets)
def test_completing_the_options_of_a_reachable_plan_satisfies_it(
    settings, done, shortfall, enrolled, enrollable
):
    minimum = settings.level_of(done) + shortfall
    plan = plan_step_up(settings, done, minimum, enrolled | done, enrollable)
    assume(plan.reachable)
    if plan.login_first:
        # The login form asks for the password first; then the step-up goes on.
        assert not plan.options and not plan.enrol_options
        done = done | {"password"}
        plan = plan_step_up(settings, done, minimum, enrolled | done, enrollable)
        assert plan.reachable and not plan.login_first
        if plan.satisfied:
            return
    after = done | set(plan.options)
    if settings.level_of(after) >= minimum:
        assert plan_step_up(settings, after, minimum, enrolled | done, enrollable).satisfied
    else:
        # Not enough enrolled: once the options are completed, enrolment is offered,
        # and any one of the offered enrolments suffices.
        then = plan_step_up(settings, after, minimum, enrolled | done, enrollable)
        assert then.enrol_options and not then.options
        for method in then.enrol_options:
            assert plan_step_up(settings, after | {method}, minimum, [], []).satisfied


@given(level_settings, method_sets, st.integers(0, 200), method_sets)
def test_reachable_plan_is_never_offered_useless_options(settings, done, minimum, enrolled):
    plan = plan_step_up(settings, done, minimum, enrolled, [])
    if plan.options:
        assert plan.reachable
        assert settings.level_of(done | set(plan.options)) >= minimum


@given(level_settings, completions, st.integers(0, 200))
def test_essential_request_without_levels_never_yields_an_outcome(settings, done, minimum):
    request = AcrRequest(values=(), essential=True, named=True)
    with pytest.raises(UnmetAuthenticationRequirements):
        conclude_login(settings, done, minimum=minimum, request=request, now=NOW)


@given(level_settings, st.one_of(st.none(), st.integers(0, 200)), level_words,
       st.sampled_from(["acr_values", "claims", "essential"]))
def test_every_level_is_either_the_minimum_or_refused_never_dropped(
    settings, client, word, where
):
    if where == "acr_values":
        request = parse_acr_request(word, None)
    else:
        request = parse_acr_request(
            None, {"id_token": {"acr": {"essential": where == "essential", "values": [word]}}})
    level = int(word.lstrip("0") or "0") if len(word.lstrip("0")) <= 18 else 10**18
    assert request.values == (level,)
    try:
        minimum = check_request(settings, client, request)
    except UnmetAuthenticationRequirements:
        assert level > max_reachable(settings) or (client or 0) > max_reachable(settings) \
            or settings.required_level > max_reachable(settings)
        return
    assert minimum >= level


@given(level_settings, completions, level_words)
def test_an_essential_level_is_answered_in_the_words_it_was_asked_for(settings, done, word):
    request = parse_acr_request(None, {"id_token": {"acr": {"essential": True,
                                                            "values": [word]}}})
    try:
        outcome = conclude_login(settings, done, minimum=0, request=request, now=NOW)
    except UnmetAuthenticationRequirements:
        return
    assert outcome.acr == word
