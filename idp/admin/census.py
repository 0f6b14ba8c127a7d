"""What every active user of a directory has enrolled, in a handful of grouped queries.

The lock-out preview needs each user's enrolled methods; asking every method's
``is_enrolled`` per user would be several queries per user (600,000 for 100,000 users).
Here each method answers for the whole directory at once with its ``holders`` query,
which says what its ``is_enrolled`` says of each user (tests/unit/methods/
test_method_units.py): SMS and email count only while their channel can send, SMS only
for a number the destination policy lets a text go to. A method that belongs to one
browser, not to the user (the remembered device, ``per_user``), is never counted.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import select

from ..domain import DestinationPolicy, Member
from ..methods import METHOD_TYPES, SignInMethod
from ..storage import db
from ..storage.models import Directory, User

#: The methods the census reads, one bit each: those that belong to the user.
COUNTED = tuple(t.name for t in METHOD_TYPES if t.per_user)
BIT = {method: 1 << i for i, method in enumerate(COUNTED)}


@contextmanager
def many_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small acyclic objects.

    Rows and members hold no cycles, so reference counting frees them; but each 700
    new objects count towards a collection, and at 100,000 users the repeated full
    collections cost more CPU than the queries (measured with bench/bench_preview.py).
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def methods_of_mask(mask: int) -> frozenset[str]:
    """Return the methods whose bits are set in `mask`."""
    return frozenset(m for m, bit in BIT.items() if mask & bit)


def take_census(directory: Directory, methods: Mapping[str, SignInMethod],
                policy: DestinationPolicy | None = None) -> list[Member]:
    """Return every active user of the directory with the methods they have enrolled.

    `methods` is the registry; a code counts only while its channel can send. `policy`:
    the SMS destination policy to count with (the directory's own unless a candidate is
    previewed). One query per method and one for the users, whatever their number.
    """
    with many_objects():
        return _census(directory, methods, policy)


def _census(directory: Directory, methods: Mapping[str, SignInMethod],
            policy: DestinationPolicy | None) -> list[Member]:
    masks: dict[int, int] = {}
    for name in COUNTED:
        if name not in methods:
            continue
        bit = BIT[name]
        for user_id in methods[name].holders(directory, None, policy):
            masks[user_id] = masks.get(user_id, 0) | bit
    rows = db.session.connection().execute(select(User.id, User.username, User.name).where(
        User.directory_id == directory.id, User.disabled.is_(False))).fetchall()
    # Users share a few dozen method sets: one frozenset per set keeps memory and hashing low.
    sets = [methods_of_mask(mask) for mask in range(1 << len(COUNTED))]
    get = masks.get
    return [Member(user_id, username, name, sets[get(user_id, 0)])
            for user_id, username, name in rows]
