"""How long each method counts: a completion older than its method's time never counts
towards a level, so a step-up asks for that method again and for nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.domain import (
    METHODS,
    Completion,
    InvalidSettings,
    LevelSettings,
    UnmetAuthenticationRequirements,
    conclude_login,
    counted_completions,
    format_duration,
    parse_acr_request,
    parse_duration,
    session_level,
)
from idp.domain.settings import MAX_COUNTS_FOR, MIN_COUNTS_FOR

NOW = 1_000_000.0
HOUR = 3600


@pytest.mark.parametrize(("text", "seconds"), [
    ("90m", 5400), ("12h", 43200), ("30d", 2592000), (" 1 H ", 3600), ("3600s", 3600),
    ("", None), ("  ", None)])
def test_a_duration_is_a_whole_number_and_a_unit(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["12", "h", "1.5h", "-1h", "1w", "59s", "366d", "１h",
                                  "9999999999d"])
def test_anything_else_is_refused(text):
    with pytest.raises(InvalidSettings):
        parse_duration(text)


@pytest.mark.parametrize("seconds", [60, 5400, 43200, 2592000, 61, MAX_COUNTS_FOR, None])
def test_a_written_duration_reads_back_the_same(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


def test_settings_refuse_a_time_out_of_bounds_or_of_an_unknown_method():
    for bad in ({"sms": MIN_COUNTS_FOR - 1}, {"sms": MAX_COUNTS_FOR + 1}, {"sms": 1.5},
                {"sms": True}, {"fax": HOUR}):
        with pytest.raises(InvalidSettings):
            LevelSettings(counts_for=bad)


def test_every_method_counts_for_the_whole_session_unless_limited():
    settings = LevelSettings(counts_for={"sms": HOUR})
    assert settings.counts_for["sms"] == HOUR
    assert all(settings.counts_for[m] is None for m in METHODS if m != "sms")
    assert settings != LevelSettings() and hash(settings) != hash(LevelSettings())
    assert settings.with_changes(counts_for={"sms": None}) == LevelSettings()


def test_an_aged_code_no_longer_counts_and_the_rest_still_does():
    settings = LevelSettings(counts_for={"totp": HOUR})
    done = [Completion("password", NOW - 2 * HOUR), Completion("totp", NOW - 2 * HOUR)]
    counted = counted_completions(done, now=NOW, counts_for=settings.counts_for)
    assert [c.method for c in counted] == ["password"]
    assert session_level(settings, counted) == settings.points_of("password")


def test_a_code_within_its_time_counts():
    done = [Completion("password", NOW - 2 * HOUR), Completion("totp", NOW - HOUR + 1)]
    counted = counted_completions(done, now=NOW, counts_for={"totp": HOUR})
    assert [c.method for c in counted] == ["password", "totp"]


def test_an_aged_password_leaves_nothing_counted():
    done = [Completion("password", NOW - 2 * HOUR), Completion("totp", NOW - 60)]
    assert counted_completions(done, now=NOW, counts_for={"password": HOUR}) == ()


def test_a_login_is_refused_when_an_aged_method_was_needed_for_the_level():
    settings = LevelSettings(counts_for={"totp": HOUR})
    done = [Completion("password", NOW - 2 * HOUR), Completion("totp", NOW - 2 * HOUR)]
    request = parse_acr_request(None, None)
    with pytest.raises(UnmetAuthenticationRequirements, match="level 20, 30 is required"):
        conclude_login(settings, done, minimum=30, request=request, now=NOW)
    again = [*done, Completion("totp", NOW - 5)]
    assert conclude_login(settings, again, minimum=30, request=request, now=NOW).level == 30


completions = st.lists(st.builds(Completion, st.sampled_from(list(METHODS)),
                                 st.floats(min_value=NOW - 40 * 86400, max_value=NOW)),
                       max_size=12)
limits = st.dictionaries(st.sampled_from(list(METHODS)),
                         st.one_of(st.none(), st.integers(MIN_COUNTS_FOR, 30 * 86400)))


@given(completions, limits)
def test_a_level_never_includes_an_aged_method(done, counts_for):
    settings = LevelSettings(counts_for=counts_for)
    counted = counted_completions(done, now=NOW, counts_for=settings.counts_for)
    for completion in counted:
        limit = settings.counts_for[completion.method]
        assert limit is None or NOW - completion.at <= limit
    fresh = [c for c in done if settings.counts_for[c.method] is None
             or NOW - c.at <= settings.counts_for[c.method]]
    # Dropping the aged completions first changes nothing: aging is all it does.
    assert counted == counted_completions(fresh, now=NOW)
    assert session_level(settings, counted) <= session_level(
        settings, counted_completions(done, now=NOW))
