"""Where SMS codes may go: real numbers, their facts from libphonenumber, and the default policy.

The facts (region, type) come from ``phonenumbers``; the rule is the domain's. These
cases are the ones SMS pumping uses, next to ordinary mobiles of several countries that
must keep working.
"""

from __future__ import annotations

import pytest

from idp.delivery.addresses import ContactError, parse_mobile, phone_facts
from idp.domain import DEFAULT_POLICY, destination_refusal, make_policy


@pytest.mark.parametrize(("e164", "region", "number_type", "refusal"), [
    ("+447011234567", "GB", "personal_number", "type"),  # UK 070: revenue-share personal
    ("+881612345678", "001", "mobile", "non_geographic"),  # Iridium satellite phone
    ("+883510012345", "001", "voip", "non_geographic"),  # an international network
    ("+979123456789", "001", "premium_rate", "non_geographic"),  # international premium
    ("+5352123456", "CU", "mobile", "region"),  # a Cuban mobile
    ("+3197012345678", "NL", "mobile", "prefix"),  # Dutch M2M: libphonenumber says mobile
    ("+31900123456", "NL", "premium_rate", "type"),
    ("+31201234567", "NL", "fixed_line", "type"),
    ("+31612345678", "NL", "mobile", None),
    ("+447400123456", "GB", "mobile", None),
    ("+12015550123", "US", "fixed_line_or_mobile", None),  # US numbers cannot be told apart
    ("+2348031234567", "NG", "mobile", None),
    ("+919812345678", "IN", "mobile", None),
    ("+4915112345678", "DE", "mobile", None),
    ("+5511912345678", "BR", "mobile", None),
])
def test_the_default_policy_refuses_pumping_targets_and_keeps_ordinary_mobiles(
        e164, region, number_type, refusal):
    facts = phone_facts(e164)

    assert (facts.region, facts.number_type) == (region, number_type)
    assert destination_refusal(DEFAULT_POLICY, facts) == refusal


def test_ofcoms_drama_range_is_not_a_valid_number():
    """+44 7700 900123 is reserved for fiction: libphonenumber says it is not in service."""
    with pytest.raises(ContactError, match="not a valid phone number"):
        parse_mobile("+447700900123", DEFAULT_POLICY)


@pytest.mark.parametrize(("typed", "says"), [
    ("+447011234567", "kind of number (personal number"),
    ("+881612345678", "satellite phones"),
    ("+53 5212 3456", "numbers in Cuba"),
    ("+31 970 1234 5678", "range of numbers"),
])
def test_a_refused_number_is_refused_with_the_reason(typed, says):
    with pytest.raises(ContactError, match=r"\.$") as info:
        parse_mobile(typed, DEFAULT_POLICY)
    assert says in str(info.value)


def test_an_admin_may_allow_a_blocked_country_and_a_kind_of_number():
    policy = make_policy(blocked_regions=(), allowed_types={"mobile", "fixed_line_or_mobile",
                                                             "personal_number"})
    assert parse_mobile("+5352123456", policy) == "+5352123456"
    assert parse_mobile("+447011234567", policy) == "+447011234567"


def test_an_allow_list_admits_only_its_countries():
    policy = make_policy(allowed_regions={"NL", "BE"})
    assert parse_mobile("+31612345678", policy) == "+31612345678"
    with pytest.raises(ContactError, match="numbers in"):
        parse_mobile("+4915112345678", policy)
