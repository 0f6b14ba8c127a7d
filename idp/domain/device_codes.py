"""The user codes of the device authorization grant (RFC 8628): what a person types.

A user code is 8 letters from an alphabet without vowels, so no word is spelt, and without
letters people confuse with digits or each other (RFC 8628 6.1): 20^8, about 2.6 * 10^10
codes, 34 bits. It is shown as two groups of four (``BCDF-GHJK``); what a person types is
read without regard to case, spaces or dashes. Its few bits are why a wrong code draws on a
failure budget and the code is kept only as a keyed hash.

Only the rules: the random letters are chosen by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

#: The letters of a user code (RFC 8628 6.1's example alphabet).
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
LENGTH = 8
#: The longest typed text that is read at all.
MAX_TYPED = 32
#: What a person may type between the letters.
SEPARATORS = frozenset(" -\t")


def user_code_from(indices: Sequence[int]) -> str:
    """Return the letters of a user code chosen by `indices` into the alphabet."""
    if len(indices) != LENGTH or any(not 0 <= i < len(ALPHABET) for i in indices):
        raise ValueError(f"a user code is {LENGTH} letters of the alphabet")
    return "".join(ALPHABET[i] for i in indices)


def format_user_code(letters: str) -> str:
    """Return a user code as people see it: two groups of four letters (``BCDF-GHJK``)."""
    half = LENGTH // 2
    return f"{letters[:half]}-{letters[half:]}"


def normalize_user_code(typed: str) -> str | None:
    """Return the letters a person typed as a user code, or None when it cannot be one.

    Case, spaces and dashes do not matter (RFC 8628 6.1); any other character, or another
    number of letters, makes it no code at all (not a guess at one).
    """
    if len(typed) > MAX_TYPED:
        return None
    letters = "".join(ch for ch in typed if ch not in SEPARATORS)
    if not letters.isascii():
        return None
    letters = letters.upper()
    if len(letters) != LENGTH or any(ch not in ALPHABET for ch in letters):
        return None
    return letters
