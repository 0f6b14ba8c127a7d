"""The destination policy as a pure rule: facts in, a reason out; stored and read back."""

from __future__ import annotations

import pytest

from idp.domain import (
    DEFAULT_POLICY,
    NON_GEOGRAPHIC,
    NUMBER_TYPES,
    InvalidSettings,
    NumberFacts,
    destination_refusal,
    make_policy,
    may_send,
    policy_from_mapping,
    policy_to_mapping,
)

MOBILE_NL = NumberFacts("+31612345678", "NL", "mobile")


@pytest.mark.parametrize("number_type", sorted(set(NUMBER_TYPES) - {"mobile",
                                                                     "fixed_line_or_mobile"}))
def test_the_default_allows_only_mobiles(number_type):
    facts = NumberFacts("+31612345678", "NL", number_type)
    assert destination_refusal(DEFAULT_POLICY, facts) == "type"


@pytest.mark.parametrize("number_type", ["mobile", "fixed_line_or_mobile"])
def test_the_default_texts_mobiles_of_ordinary_countries(number_type):
    assert may_send(DEFAULT_POLICY, NumberFacts("+12015550123", "US", number_type))


@pytest.mark.parametrize("region", ["CU", "ST", "AZ"])
def test_the_default_blocks_the_documented_pumping_destinations(region):
    assert destination_refusal(DEFAULT_POLICY, NumberFacts("+5352123456", region,
                                                           "mobile")) == "region"


def test_non_geographic_numbers_are_refused_unless_allowed():
    facts = NumberFacts("+881612345678", NON_GEOGRAPHIC, "mobile")
    assert destination_refusal(DEFAULT_POLICY, facts) == "non_geographic"
    assert may_send(make_policy(allow_non_geographic=True), facts)


def test_a_blocked_prefix_refuses_a_range_of_a_country():
    assert destination_refusal(DEFAULT_POLICY, NumberFacts("+3197012345678", "NL",
                                                           "mobile")) == "prefix"
    assert may_send(make_policy(blocked_prefixes=()), NumberFacts("+3197012345678", "NL",
                                                                  "mobile"))


def test_an_allow_list_admits_its_countries_only_and_blocked_ones_stay_blocked():
    policy = make_policy(allowed_regions={"NL", "CU"})
    assert may_send(policy, MOBILE_NL)
    assert destination_refusal(policy, NumberFacts("+4915112345678", "DE", "mobile")) == "region"
    assert destination_refusal(policy, NumberFacts("+5352123456", "CU", "mobile")) == "region"


def test_a_policy_survives_storage_and_the_default_reads_from_nothing():
    policy = make_policy(allowed_types={"mobile"}, blocked_regions={"cu", " ng"},
                         allowed_regions=(), blocked_prefixes=("+44 70", "+3197"),
                         allow_non_geographic=True)
    assert policy.blocked_regions == {"CU", "NG"}
    assert policy.blocked_prefixes == ("+3197", "+4470")
    assert policy_from_mapping(policy_to_mapping(policy)) == policy
    assert policy_from_mapping(None) == DEFAULT_POLICY == policy_from_mapping({})
    assert policy_from_mapping(policy_to_mapping(DEFAULT_POLICY)).is_default


@pytest.mark.parametrize("fields", [
    {"allowed_types": {"satellite"}}, {"allowed_types": set()},
    {"blocked_regions": {"Cuba"}}, {"blocked_regions": {"C1"}}, {"allowed_regions": {""}},
    {"blocked_prefixes": ("3197",)}, {"blocked_prefixes": ("+0",)},
    {"blocked_prefixes": ("+12345678901",)}, {"blocked_regions": {f"{a}{b}" for a in
                                                                  "ABCDEFGHIJKLMNOPQ"
                                                                  for b in "ABCDEFGHIJKLMNOPQRST"}},
    {"allow_non_geographic": "yes"},
], ids=["unknown-type", "no-type", "name", "digit", "empty", "no-plus", "zero", "long",
        "too-many", "not-bool"])
def test_a_malformed_policy_is_refused(fields):
    with pytest.raises(InvalidSettings):
        make_policy(**fields)
