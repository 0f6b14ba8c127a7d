"""Which numbers a voice-call code may be read out to: any country's, landlines included."""

from __future__ import annotations

import pytest

from idp.delivery.addresses import ContactError, parse_mobile
from idp.domain import DEFAULT_POLICY, policy_to_mapping
from idp.domain.destinations import make_policy
from idp.methods.voice.numbers import parse_callable, voice_policy
from idp.storage.models import Directory


def directory(sms_policy=None) -> Directory:
    return Directory(destination_policy={"sms": policy_to_mapping(sms_policy)}
                     if sms_policy else None)


@pytest.mark.parametrize(("typed", "e164"), [
    ("+31 20 123 4567", "+31201234567"),  # Amsterdam landline
    ("+44 20 7946 0000", "+442079460000"),  # London landline
    ("+49 30 12345678", "+493012345678"),  # Berlin landline
    ("+1 201 555 0123", "+12015550123"),  # US: landline or mobile, cannot be told apart
    ("+31 6 12345678", "+31612345678"),  # a mobile is called too
    ("+234 803 123 4567", "+2348031234567"),
])
def test_landlines_and_mobiles_of_any_country_may_be_called(typed, e164):
    assert parse_callable(typed, voice_policy(directory())) == e164


def test_a_landline_is_still_refused_for_text_messages():
    with pytest.raises(ContactError, match="landline"):
        parse_mobile("+31201234567", DEFAULT_POLICY)


@pytest.mark.parametrize(("typed", "says"), [
    ("+31900123456", "numbers of this kind (premium rate) are not called"),
    ("+447011234567", "personal number"),
    ("+881612345678", "satellite phones and international network numbers are not called"),
    ("+53 5212 3456", "numbers in Cuba are not called"),
    ("+31 970 1234 5678", "this range of numbers is not called"),
])
def test_the_directorys_destination_policy_still_refuses_pumping_targets(typed, says):
    with pytest.raises(ContactError, match=r"^This directory does not call this number") as info:
        parse_callable(typed, voice_policy(directory()))
    assert says in str(info.value)


def test_an_admins_blocked_country_is_not_called_either():
    sms = make_policy(blocked_regions={"GB"})

    with pytest.raises(ContactError, match="numbers in United Kingdom are not called"):
        parse_callable("+442079460000", voice_policy(directory(sms)))
    assert parse_callable("+31201234567", voice_policy(directory(sms))) == "+31201234567"


@pytest.mark.parametrize("typed", ["", "0201234567", "+31 20", "call me", "+3120123456789012"])
def test_what_is_not_an_international_number_is_refused(typed):
    with pytest.raises(ContactError):
        parse_callable(typed, voice_policy(directory()))
