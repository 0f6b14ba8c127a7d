"""The rules of the standard claims a user gives (OIDC Core 5.1, 5.1.1), without an app."""

from __future__ import annotations

import pytest

from idp.domain.claims import (
    DEFAULT_ASKED,
    EDITABLE_CLAIMS,
    LIMITS,
    ClaimsRefused,
    Lookups,
    changed_claims,
    check_address,
    check_asked,
    check_claim,
    check_claims,
    valid_birthdate,
)

#: The facts of the world these tests need: two zones and two locales.
LOOKUPS = Lookups(is_zone=lambda name: name in {"Europe/Amsterdam", "America/New_York"},
                  canonical_locale={"nl-nl": "nl-NL", "en": "en"}.get)


def reason(name: str, typed: object) -> str:
    with pytest.raises(ClaimsRefused) as refused:
        check_claim(name, typed, LOOKUPS)
    return refused.value.errors[name]


@pytest.mark.parametrize("name", ["profile", "picture", "website"])
@pytest.mark.parametrize("url", ["https://example.org", "http://example.org:8080/me?x=1#a",
                                 "HTTPS://Example.org/~anna"])
def test_web_address_claims_take_http_and_https_urls(name, url):
    assert check_claim(name, f"  {url} ", LOOKUPS) == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/", "example.org",
                                 "https://", "https://user:pw@example.org/", "https://a b/",
                                 "data:image/png;base64,AAAA", "//example.org"])
def test_web_address_claims_refuse_other_schemes_and_malformed_urls(url):
    assert reason("website", url) == "not_a_url"


@pytest.mark.parametrize("date", ["1980-02-29", "2000-02-29", "1999", "0000-02-29",
                                  "0000-12-31", "2024-01-01"])
def test_a_birthdate_is_a_full_date_a_year_or_a_date_without_year(date):
    assert valid_birthdate(date)
    assert check_claim("birthdate", date, LOOKUPS) == date


@pytest.mark.parametrize("date", ["0000", "1900-02-29", "2023-02-29", "1980-13-01",
                                  "1980-04-31", "1980-00-10", "1980-1-1", "80-01-01",
                                  "1980/01/01", "01-01-1980", "1980-01-1x", "１９８０"])
def test_a_birthdate_that_is_no_date_of_oidc_core_5_1_is_refused(date):
    assert reason("birthdate", date) == "not_a_date"


def test_a_zoneinfo_must_be_a_known_time_zone():
    assert check_claim("zoneinfo", "Europe/Amsterdam", LOOKUPS) == "Europe/Amsterdam"
    assert reason("zoneinfo", "Mars/Olympus_Mons") == "unknown_zone"


def test_a_locale_is_stored_in_its_canonical_form_or_refused():
    assert check_claim("locale", "nl-nl", LOOKUPS) == "nl-NL"
    assert reason("locale", "xx-YY") == "unknown_locale"


@pytest.mark.parametrize("name", sorted(set(LIMITS) & set(EDITABLE_CLAIMS)))
def test_every_claim_is_bounded_in_length(name):
    assert reason(name, "x" * (LIMITS[name] + 1)) == "too_long"


@pytest.mark.parametrize("typed", ["Anna\x00", "bell\x07", "esc\x1b[31m", "del\x7f",
                                   "c1\x85"])
def test_control_characters_are_refused(typed):
    assert reason("given_name", typed) == "control_character"


def test_spaces_are_collapsed_and_empty_clears_a_claim():
    assert check_claim("given_name", "  Anna \t Maria ", LOOKUPS) == "Anna Maria"
    assert check_claim("nickname", "   ", LOOKUPS) is None
    assert check_claim("nickname", None, LOOKUPS) is None


def test_the_address_keeps_its_given_parts_and_the_street_s_line_breaks():
    address = check_address({"street_address": "Dorpsstraat 1\r\n\r\n  bus 2 ",
                             "postal_code": " 1234 AB ", "locality": "Ons Dorp",
                             "region": "", "country": "Nederland"})
    assert address == {"street_address": "Dorpsstraat 1\nbus 2", "postal_code": "1234 AB",
                       "locality": "Ons Dorp", "country": "Nederland"}
    assert check_address({"locality": " "}) is None


def test_only_the_street_may_have_line_breaks():
    assert check_address({"locality": "Ons\nDorp"}) == {"locality": "Ons Dorp"}


def test_every_field_at_fault_is_named_at_once():
    with pytest.raises(ClaimsRefused) as refused:
        check_claims({"website": "ftp://x", "birthdate": "1980-02-30", "given_name": "Anna",
                      "postal_code": "9" * 21, "locality": "\x00"},
                     ["given_name", "website", "birthdate", "address"], LOOKUPS)
    assert refused.value.errors == {"website": "not_a_url", "birthdate": "not_a_date",
                                    "postal_code": "too_long", "locality": "control_character"}


def test_checked_claims_are_the_values_to_store():
    values = check_claims({"given_name": " Anna ", "locale": "en", "locality": "Delft"},
                          ["given_name", "locale", "nickname", "address"], LOOKUPS)
    assert values == {"given_name": "Anna", "locale": "en", "nickname": None,
                      "address": {"locality": "Delft"}}


@pytest.mark.parametrize("name", ["email", "phone_number", "sub", "updated_at", "name"])
def test_claims_with_their_own_rules_cannot_be_typed_here(name):
    with pytest.raises(ClaimsRefused) as refused:
        check_claims({name: "x"}, [name], LOOKUPS)
    assert refused.value.errors == {name: "unknown_claim"}


def test_a_directory_asks_for_editable_claims_only_in_the_form_s_order():
    assert check_asked(["locale", "address", "given_name", "locale"]) == (
        "given_name", "locale", "address")
    assert check_asked([]) == ()
    with pytest.raises(ClaimsRefused):
        check_asked(["given_name", "email"])


def test_the_default_asks_for_names_and_settings_but_nothing_that_locates_a_person():
    assert sorted(DEFAULT_ASKED) == ["family_name", "given_name", "locale",
                                     "preferred_username", "zoneinfo"]
    assert not DEFAULT_ASKED & {"address", "birthdate", "gender", "picture"}


def test_changed_claims_compares_with_missing_as_none():
    before = {"given_name": "Anna", "locale": "nl"}
    after = {"given_name": "Anna", "locale": None, "nickname": "An", "website": None}
    assert changed_claims(before, after) == ["locale", "nickname"]
