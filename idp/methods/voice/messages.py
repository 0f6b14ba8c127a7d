"""What the voice gateway reads out: the code slowly, digit by digit, and once more."""

from __future__ import annotations

from flask_babel import get_locale, gettext

LANGUAGES = ("en", "nl")


def spoken_digits(code: str) -> str:
    """Return the code's digits separated, so a speech engine reads them one by one."""
    return ", ".join(code)


def call_language() -> str:
    """Return the language of the page that asked, as the gateway's language code."""
    locale = get_locale()
    language = locale.language if locale is not None else "en"
    return language if language in LANGUAGES else "en"


def spoken_code(directory: str, code: str, minutes: int) -> str:
    """Return the text read out: the code, then the code again, then its lifetime."""
    digits = spoken_digits(code)
    return gettext("Your %(directory)s code is: %(digits)s. Once more: %(digits)s. "
                   "It expires in %(minutes)s minutes. Never share it.",
                   directory=directory, digits=digits, minutes=minutes)
