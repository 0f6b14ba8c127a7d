"""Phone numbers of any country in E.164, numbers that can take a text, addresses, masking."""

from __future__ import annotations

import pytest

from idp.delivery.addresses import (
    ContactError,
    check_email,
    mask_email,
    mask_phone,
    parse_mobile,
    parse_phone,
)
from idp.domain import DEFAULT_POLICY


@pytest.mark.parametrize(("typed", "e164"), [
    ("+31612345678", "+31612345678"), ("+31 6 12 34 56 78", "+31612345678"),
    ("+44 20 7946 0958", "+442079460958"), ("+1 (202) 555-0173", "+12025550173"),
    ("+49 1512 3456789", "+4915123456789"), ("+234 803 123 4567", "+2348031234567"),
    ("+55 11 91234-5678", "+5511912345678"), ("+81 90-1234-5678", "+819012345678"),
])
def test_phone_numbers_of_any_country_are_stored_in_e164(typed, e164):
    assert parse_phone(typed) == e164


@pytest.mark.parametrize("typed", [
    "0612345678", "not a number", "", "   ", "+999 123", "+31 6 12", "+31 6 1234 5678 9999 1234 56",
    "+31\x00612345678", "+31\n612345678", "<script>alert(1)</script>", "+" + "9" * 200,
    "\u202e+31612345678", "+31 6 12345678; DROP TABLE user", None,
])
def test_a_number_that_is_not_international_or_valid_is_refused_with_a_message(typed):
    with pytest.raises(ContactError) as info:
        parse_phone(typed)
    assert str(info.value).endswith(".")


@pytest.mark.parametrize("typed", ["+31612345678", "+447911123456", "+12025550173"])
def test_mobile_numbers_can_take_a_text(typed):
    assert parse_mobile(typed, DEFAULT_POLICY) == typed


@pytest.mark.parametrize("typed", [
    "+31201234567",   # Amsterdam landline
    "+31900123456",   # Dutch premium rate: the toll-fraud target
    "+448001234567",  # UK freephone
    "+31800123456",   # Dutch freephone
])
def test_numbers_that_cannot_take_a_text_or_cost_money_are_refused(typed):
    with pytest.raises(ContactError, match="mobile number"):
        parse_mobile(typed, DEFAULT_POLICY)


@pytest.mark.parametrize(("e164", "masked"), [
    ("+31612345678", "+31 6 \u2022\u2022\u2022\u2022 5678"),
    ("+442079460958", "+44 20 \u2022\u2022\u2022\u2022 0958"),
    ("+12025550173", "+1 202 \u2022\u2022\u2022\u2022 0173"),
])
def test_numbers_are_shown_with_their_middle_hidden(e164, masked):
    assert mask_phone(e164) == masked


def test_a_masked_number_never_shows_more_than_the_prefix_and_last_four():
    masked = mask_phone("+31612345678")
    assert "1234" not in masked.replace(" ", "")


@pytest.mark.parametrize(("address", "masked"), [
    ("jan@example.com", "j\u2022\u2022\u2022@example.com"),
    ("j@example.com", "j\u2022\u2022\u2022@example.com"),
    ("a.very.long.name@mail.example.org", "a\u2022\u2022\u2022@mail.example.org"),
])
def test_addresses_are_shown_with_their_local_part_hidden(address, masked):
    assert mask_email(address) == masked


@pytest.mark.parametrize("typed", ["", "no-at-sign", "a@b", "a b@example.com", "x" * 300 + "@e.com",
                                   "a@example.com\r\nBcc: victim@example.org", "<a@example.com>"])
def test_hostile_or_malformed_addresses_are_refused(typed):
    with pytest.raises(ContactError, match="email address"):
        check_email(typed)


def test_addresses_are_trimmed():
    assert check_email("  jan@example.com ") == "jan@example.com"
