"""What every active user of a directory has enrolled, in a handful of grouped queries.

The lock-out preview needs each user's enrolled methods; asking every method's
``is_enrolled`` per user would be several queries per user (600,000 for 100,000 users).
Here each method is one query over the whole directory, with the same definition as
its module's ``is_enrolled``:

============  =================================================================
password      ``password_hash`` is set (``methods/password.py``)
sms           a proven mobile number: ``phone`` set and ``phone_verified``
email         a proven address: ``email`` set and ``email_verified``
voice         a ``VoiceNumber`` row (``methods/voice/storage.py``)
totp          a confirmed ``Credential`` of method ``totp``
recovery      an unused ``Credential`` of method ``recovery`` (``used_at`` empty)
passkey       any ``Passkey`` row
app           an ``AppDevice`` approved once (``confirmed_at``), not removed, not blocked
device        never: a remembered device only adds to a login, it never makes one
============  =================================================================

SMS and email count only when their channel can send (as ``DeliveredCode.is_enrolled``),
and SMS only for a number the directory's destination policy lets a text go to (as
``SmsCode.is_enrolled``), voice only for a number it lets a call go to (the same policy,
fixed lines allowed, as ``VoiceCode.is_enrolled``): the numbers are read and checked with
``phonenumbers``, about 25 µs each.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import case, null, select

from ..delivery.addresses import may_text
from ..domain import METHODS, DestinationPolicy, Member
from ..methods import SignInMethod
from ..methods.voice.numbers import calling_policy, may_call
from ..methods.voice.storage import VoiceNumber
from ..storage import db
from ..storage.models import AppDevice, Credential, Directory, Passkey, User
from ..tenants.directories import sms_policy

#: Methods the census cannot see: the remembered device is per browser, not per user.
NOT_COUNTED = frozenset({"device"})
#: The methods the census reads, one bit each.
COUNTED = tuple(m for m in METHODS if m not in NOT_COUNTED)
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


def _column(query) -> list:
    # Core rows, not ORM entities: 100,000 ids are read many times faster.
    return [row[0] for row in db.session.connection().execute(query).fetchall()]


def _masks_of_other_tables(directory_id: int, sending: frozenset[str],
                           policy: DestinationPolicy) -> dict[int, int]:
    """Return user id -> bits of the methods kept in their own tables (one query each)."""
    # Credentials have no directory of their own: reach it through their user.
    credentials = select(Credential.user_id).distinct().join(
        User, User.id == Credential.user_id).where(User.directory_id == directory_id,
                                                   User.disabled.is_(False))
    queries = {
        "totp": credentials.where(Credential.method == "totp",
                                  Credential.confirmed_at.is_not(None)),
        "recovery": credentials.where(Credential.method == "recovery",
                                      Credential.used_at.is_(None)),
        "passkey": select(Passkey.user_id).distinct().where(
            Passkey.directory_id == directory_id),
        "app": select(AppDevice.user_id).distinct().where(
            AppDevice.directory_id == directory_id, AppDevice.confirmed_at.is_not(None),
            AppDevice.removed_at.is_(None), AppDevice.blocked_at.is_(None)),
    }
    masks: dict[int, int] = {}
    for method, query in queries.items():
        bit = BIT[method]
        for user_id in _column(query):
            masks[user_id] = masks.get(user_id, 0) | bit
    if "voice" in sending:
        calling, bit = calling_policy(policy), BIT["voice"]
        for user_id, phone in db.session.connection().execute(select(
                VoiceNumber.user_id, VoiceNumber.phone).join(User, User.id == VoiceNumber.user_id)
                .where(VoiceNumber.directory_id == directory_id, User.disabled.is_(False))):
            if may_call(phone, calling):
                masks[user_id] = masks.get(user_id, 0) | bit
    return masks


def methods_of_mask(mask: int) -> frozenset[str]:
    """Return the methods whose bits are set in `mask`."""
    return frozenset(m for m, bit in BIT.items() if mask & bit)


def take_census(directory: Directory, channels: Iterable[str] = ("sms", "email", "voice"),
                policy: DestinationPolicy | None = None) -> list[Member]:
    """Return every active user of the directory with the methods they have enrolled.

    `channels` names the delivery channels that can send now; SMS and email count only
    for those. `policy`: the SMS destination policy to count with (the directory's own
    unless a candidate is previewed). Six queries, whatever the number of users.
    """
    with many_objects():
        return _census(directory, frozenset(channels), policy or sms_policy(directory))


def _census(directory: Directory, sending: frozenset[str],
            policy: DestinationPolicy) -> list[Member]:
    sms_bit = BIT["sms"] if "sms" in sending else 0
    email_bit = BIT["email"] if "email" in sending else 0
    others = _masks_of_other_tables(directory.id, sending, policy)
    proven_phone = User.phone_verified.is_(True) & (User.phone != "")
    rows = db.session.connection().execute(select(
        User.id, User.username, User.name, User.password_hash.is_not(None),
        case((proven_phone, User.phone), else_=null()) if sms_bit else null(),
        User.email.is_not(None) & (User.email != "") & User.email_verified.is_(True),
    ).where(User.directory_id == directory.id, User.disabled.is_(False))).fetchall()
    # Users share a few dozen method sets: one frozenset per set keeps memory and hashing low.
    sets = [methods_of_mask(mask) for mask in range(1 << len(COUNTED))]
    password_bit = BIT["password"]
    get = others.get
    return [Member(user_id, username, name, sets[
        get(user_id, 0) | (password_bit if password else 0)
        | (sms_bit if phone and may_text(phone, policy) else 0)
        | (email_bit if email else 0)])
        for user_id, username, name, password, phone, email in rows]


def sending_channels(methods: Mapping[str, SignInMethod]) -> frozenset[str]:
    """Return the code channels (sms, email) that can send now, as the methods say."""
    return frozenset(name for name in ("sms", "email", "voice")
                     if name in methods and methods[name].enrollable)


def enrollable_methods(methods: Mapping[str, SignInMethod]) -> frozenset[str]:
    """Return the methods a user can enrol during login (the login's ``enrollable``)."""
    return frozenset(name for name in METHODS
                     if name in methods and name not in NOT_COUNTED and methods[name].enrollable)
