"""What a user has enrolled, item by item, and removing one item (profile and admin pages).

A method may have several items (passkeys, apps, remembered devices); removing one
leaves the method enrolled while another remains. Each item has a key that names it
within its user (``passkey:12``), so a form can only ever reach its own user's items.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..domain import METHODS
from ..methods import Enrolment, SignInMethod
from ..storage.models import User

__all__ = ["Enrolment", "counting_methods", "find_enrolment", "list_enrolments",
           "methods_without", "remove_enrolment"]


def list_enrolments(user: User, now: float,
                    methods: Mapping[str, SignInMethod]) -> list[Enrolment]:
    """Return every item the user has, method by method (``SignInMethod.items``), in the
    rules' order of the methods: the remembered devices last."""
    return [item for name in METHODS if name in methods
            for item in methods[name].items(user, now)]


def counting_methods(items: list[Enrolment]) -> frozenset[str]:
    """Return the methods these items let the user complete now (``Enrolment.counts``: an
    app only once confirmed and not blocked, a code only while its channel sends, a
    remembered device never)."""
    return frozenset(item.method for item in items if item.counts)


def methods_without(items: list[Enrolment], key: str) -> frozenset[str]:
    """Return the methods the user could still complete after removing item `key`."""
    return counting_methods([item for item in items if item.key != key])


def find_enrolment(items: list[Enrolment], key: str) -> Enrolment | None:
    """Return the item with this key among the user's items."""
    if not isinstance(key, str) or len(key) > 40:
        return None
    return next((item for item in items if item.key == key), None)


def remove_enrolment(user: User, key: str, now: float,
                     methods: Mapping[str, SignInMethod]) -> Enrolment | None:
    """Remove one item of the user (``SignInMethod.remove``); return it, or None if the user
    has no such item or it cannot be removed."""
    item = find_enrolment(list_enrolments(user, now, methods), key)
    if item is None or not item.removable:
        return None
    methods[item.method].remove(user, item, now)
    user.updated_at = now
    return item
