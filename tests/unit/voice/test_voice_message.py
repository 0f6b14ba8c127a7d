"""The text a voice gateway reads out: the code digit by digit, twice, in the page's language."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from idp import create_app
from idp.methods.voice.messages import call_language, spoken_code, spoken_digits
from tests.support.live import TEST_SETTINGS


@pytest.fixture(scope="module")
def app():
    return create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": "sqlite://"})


def test_the_digits_are_separated_so_they_are_read_one_by_one():
    assert spoken_digits("012345") == "0, 1, 2, 3, 4, 5"


def test_the_code_is_said_twice_with_who_asks_and_how_long_it_lasts(app):
    with app.test_request_context():
        text = spoken_code("Acme", "408123", 10)

    assert text == ("Your Acme code is: 4, 0, 8, 1, 2, 3. Once more: 4, 0, 8, 1, 2, 3. "
                    "It expires in 10 minutes. Never share it.")


def test_in_dutch_the_text_and_the_language_are_dutch(app):
    with app.test_request_context(), force_locale("nl"):
        text = spoken_code("Acme", "408123", 10)
        language = call_language()

    assert language == "nl"
    assert text == ("Uw code voor Acme is: 4, 0, 8, 1, 2, 3. Nogmaals: 4, 0, 8, 1, 2, 3. "
                    "De code verloopt over 10 minuten. Deel hem met niemand.")


def test_the_language_is_english_otherwise(app):
    with app.test_request_context():
        assert call_language() == "en"
