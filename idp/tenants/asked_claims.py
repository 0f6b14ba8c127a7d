"""The standard claims a directory asks its users for on their profile, chosen by its admin."""

from __future__ import annotations

from collections.abc import Iterable

from ..domain.claims import DEFAULT_ASKED, EDITABLE_CLAIMS, check_asked
from ..storage.models import Directory


def asked_claims(directory: Directory) -> tuple[str, ...]:
    """Return the claims the directory's users are asked for, in the form's order."""
    chosen = DEFAULT_ASKED if directory.asked_claims is None else set(directory.asked_claims)
    return tuple(name for name in EDITABLE_CLAIMS if name in chosen)


def choose_asked_claims(directory: Directory,
                        names: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Set the claims the directory asks for; return them before and after.

    Raises ``ClaimsRefused`` for a name that is not an editable standard claim.
    """
    before, after = asked_claims(directory), check_asked(names)
    directory.asked_claims = list(after)
    return before, after
