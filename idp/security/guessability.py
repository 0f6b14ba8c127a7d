"""How soon an attacker would guess a password: zxcvbn's estimate, behind one function.

zxcvbn (Dropbox's estimator; the ``zxcvbn`` package, MIT) ships the 30,000 most common
passwords of public breach corpora, common English words, names and surnames, and finds
keyboard patterns, repeats, sequences and dates, also with changed capitals, l33t
spellings and reversed. Words of the person's own (their username, the directory's name)
are matched the same way. The lists (about 11 MiB in memory) are loaded once per process,
when a password is first judged: a worker that only checks passwords at login never loads
them. Nothing is fetched at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: zxcvbn's cost grows with the length: a longer password is judged by its beginning,
#: which is never easier to guess than the whole.
MAX_ESTIMATED = 72
#: Shorter own words match inside too many good passwords to be worth telling apart.
MIN_WORD = 3
SEPARATORS = re.compile(r"[\s._@+-]+")


@dataclass(frozen=True)
class Guessability:
    """The estimated number of guesses (log10) before the password is found, and whether
    one of the person's own words helps to find it."""

    guesses_log10: float
    personal: bool


def personal_words(values: Iterable[str | None]) -> list[str]:
    """Return the words an attacker would try for this person: each value whole, without
    its separators, and each of its parts (``acme.corp`` -> acme.corp, acmecorp, acme, corp)."""
    words: dict[str, None] = {}
    for value in values:
        if not value:
            continue
        text = value.strip().casefold()
        parts = [p for p in SEPARATORS.split(text) if p]
        for word in (text, "".join(parts), *parts):
            if len(word) >= MIN_WORD:
                words[word] = None
    return list(words)


def estimate_guessability(password: str, own_words: Iterable[str] = ()) -> Guessability:
    """Return how many guesses an attacker who knows the lists and `own_words` needs."""
    from zxcvbn import zxcvbn  # the lists load on first use (see the module's docstring)

    result = zxcvbn(password[:MAX_ESTIMATED], user_inputs=list(own_words))
    return Guessability(float(result["guesses_log10"]), _personal(result["sequence"]))


def _personal(matches: list[dict]) -> bool:
    """Return whether one of the person's words is part of the matches, also of a repeat."""
    return any((match["pattern"] == "dictionary"
                and match.get("dictionary_name") == "user_inputs")
               or (match["pattern"] == "repeat" and _personal(match.get("base_matches", [])))
               for match in matches)
