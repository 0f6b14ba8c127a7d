"""A directory's brand: the accent colour's contrast and the SMS sender name, no app."""

from __future__ import annotations

import pytest

from idp.domain.brand import (
    AA_CONTRAST,
    DEFAULT_ACCENT,
    FALLBACK_SENDER,
    GSM_7,
    MAX_SMS_NAME,
    Brand,
    InvalidBrand,
    contrast_ratio,
    is_readable_accent,
    normalize_colour,
    relative_luminance,
    sender_from_name,
    sender_problem,
)


def test_black_on_white_is_the_largest_contrast_and_a_colour_on_itself_the_smallest():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#1a56a6", "#1a56a6") == pytest.approx(1.0)


@pytest.mark.parametrize(("colour", "luminance"), [
    ("#000000", 0.0), ("#ffffff", 1.0), ("#ff0000", 0.2126), ("#00ff00", 0.7152),
    ("#0000ff", 0.0722), ("#808080", 0.2158605),
])
def test_relative_luminance_follows_the_wcag_formula(colour, luminance):
    assert relative_luminance(colour) == pytest.approx(luminance, abs=1e-6)


@pytest.mark.parametrize(("colour", "expected"), [
    ("#767676", 4.54),  # the lightest grey that passes AA on white
    ("#777777", 4.48),
    ("#1a56a6", 7.18),
])
def test_known_contrasts_with_white(colour, expected):
    assert contrast_ratio(colour, "#fff") == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize("colour", ["#767676", "#1a56a6", "#000000", "#b00020", "#005a32"])
def test_an_accent_that_white_text_can_sit_on_is_readable(colour):
    assert is_readable_accent(colour)


@pytest.mark.parametrize("colour", ["#777777", "#ffffff", "#ffcc00", "#ff6600", "#00aaff"])
def test_a_light_accent_fails_aa_both_on_white_and_under_white_text(colour):
    assert not is_readable_accent(colour)
    assert contrast_ratio(colour, "#ffffff") < AA_CONTRAST


def test_the_default_accent_is_readable():
    assert is_readable_accent(DEFAULT_ACCENT)


@pytest.mark.parametrize(("typed", "colour"), [
    ("#1A56A6", "#1a56a6"), ("1a56a6", "#1a56a6"), ("#abc", "#aabbcc"), (" #000000 ", "#000000"),
])
def test_colours_are_normalized_to_lowercase_six_digits(typed, colour):
    assert normalize_colour(typed) == colour


@pytest.mark.parametrize("typed", ["", "blue", "#12345", "#1234567", "#ggg000", "rgb(0,0,0)",
                                   "#000000;}body{", "\u0661\u0662\u0663"])
def test_anything_but_a_hex_colour_is_refused_naming_the_field(typed):
    with pytest.raises(InvalidBrand) as raised:
        normalize_colour(typed)
    assert raised.value.field == "accent"


@pytest.mark.parametrize(("sender", "problem"), [
    ("Acme", None), ("Acme B.V.", None), ("ÆtnaBank", None), ("ABCDEFGHIJK", None),
    ("ABCDEFGHIJKL", "too_long"), ("", "empty_or_spaced"), (" Acme", "empty_or_spaced"),
    ("Zoë", "not_gsm7"), ("Acme\u200b", "not_gsm7"), ("Acme\n", "empty_or_spaced"),
    ("A€me", "not_gsm7"), ("0612345678", "no_letter"),
])
def test_an_sms_sender_name_is_up_to_11_gsm_7_characters_with_a_letter(sender, problem):
    assert sender_problem(sender) == problem


@pytest.mark.parametrize(("name", "sender"), [
    ("Default", "Default"), ("Acme B.V.", "Acme B.V."), ("Zoë's Bakery", "Zo's Bakery"),
    ("Gemeente Amsterdam", "Gemeente Am"), ("日本", FALLBACK_SENDER), ("1234", FALLBACK_SENDER),
])
def test_without_a_sender_name_the_display_name_gives_one_that_fits(name, sender):
    assert sender_from_name(name) == sender
    assert Brand(name=name).sender == sender
    assert sender_problem(sender) is None


def test_a_chosen_sender_name_wins_over_the_display_name():
    assert Brand(name="Acme B.V.", sender_name="ACME").sender == "ACME"


def test_support_is_there_when_any_contact_is_given():
    assert not Brand(name="Acme").has_support
    assert Brand(name="Acme", support_phone="+31201234567").has_support


@pytest.mark.parametrize(("name", "sender_name", "sms_name"), [
    ("Acme B.V.", None, "Acme B.V."),
    ("Acme B.V.", "ACME", "Acme B.V."),
    ("Zoë's Bakery", "Zoes", "Zoes"),                         # ë would make it UCS-2
    ("Gemeente Amsterdam Stadsdeel Noord", None, "Gemeente Am"),  # longer than 30
])
def test_a_text_message_names_the_display_name_only_when_it_keeps_one_gsm_7_part(
        name, sender_name, sms_name):
    brand = Brand(name=name, sender_name=sender_name)
    assert brand.sms_name == sms_name
    assert set(brand.sms_name) <= GSM_7 and len(brand.sms_name) <= MAX_SMS_NAME
