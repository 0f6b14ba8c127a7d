"""The user codes of the device authorization grant (RFC 8628 6.1): letters, shape, reading."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idp.domain.device_codes import (
    ALPHABET,
    LENGTH,
    format_user_code,
    normalize_user_code,
    user_code_from,
)

letters = st.lists(st.integers(0, len(ALPHABET) - 1), min_size=LENGTH,
                   max_size=LENGTH).map(user_code_from)


def test_the_alphabet_spells_no_words_and_has_no_look_alikes_of_digits():
    assert len(set(ALPHABET)) == 20 and ALPHABET.isascii() and ALPHABET.isupper()
    assert not set(ALPHABET) & set("AEIOUY")  # no vowels: no words; no I or O (1, 0)


def test_a_code_is_shown_in_two_groups_of_four():
    assert format_user_code("BCDFGHJK") == "BCDF-GHJK"


@given(letters)
def test_what_is_shown_reads_back_as_the_same_code(code):
    shown = format_user_code(code)
    assert normalize_user_code(shown) == code
    assert normalize_user_code(shown.lower().replace("-", " ")) == code
    assert normalize_user_code(f" {code[:2]}-{code[2:5]} {code[5:]}\t") == code


@pytest.mark.parametrize("typed", [
    "", "BCDF", "BCDF-GHJ", "BCDF-GHJKL", "AEIO-UBCD", "BCDF-GHJ1", "BCDF_GHJK", "BCDF.GHJK",
    "ＢＣＤＦ-ＧＨＪＫ", "BCDF-GHJ\u212a", "B" * 40, "BCDF\x00GHJK",
])
def test_anything_else_is_no_code(typed):
    assert normalize_user_code(typed) is None


@pytest.mark.parametrize("indices", [[0] * (LENGTH - 1), [0] * (LENGTH + 1),
                                     [len(ALPHABET)] + [0] * (LENGTH - 1), [-1] * LENGTH])
def test_a_code_is_made_of_eight_letters_of_the_alphabet(indices):
    with pytest.raises(ValueError):
        user_code_from(indices)
