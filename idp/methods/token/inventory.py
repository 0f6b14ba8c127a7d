"""A directory's tokens: import a batch, list them, assign one to a user or take it back,
and move a token's counter on (a compare-and-set, so each code is accepted once)."""

from __future__ import annotations

from sqlalchemy import select, update

from ...security.sealing import Sealer
from ...storage import db
from ...storage.models import Directory, User
from .models import HardwareToken
from .otp import TokenKey
from .parsers import TokenRecord


class InventoryError(Exception):
    """A token cannot be imported, found, assigned or taken back; the message says why."""


def import_tokens(directory: Directory, records: list[TokenRecord], sealer: Sealer,
                  now: float) -> list[HardwareToken]:
    """Add the tokens to the directory's inventory, all or none: a serial it already has
    (or one twice in the batch) refuses the whole batch."""
    serials = [record.serial for record in records]
    twice = sorted({serial for serial in serials if serials.count(serial) > 1})
    known = sorted(db.session.scalars(select(HardwareToken.serial).where(
        HardwareToken.directory_id == directory.id, HardwareToken.serial.in_(serials))))
    if twice or known:
        raise InventoryError(f"serials already in {directory.slug}: {', '.join(twice + known)}")
    tokens = [HardwareToken(directory_id=directory.id, serial=record.serial,
                            kind=record.key.kind, digits=record.key.digits,
                            period=record.key.period, algorithm=record.key.algorithm,
                            seed_sealed=sealer.seal(record.key.seed), counter=record.counter,
                            last_step=0, created_at=now)
              for record in records]
    db.session.add_all(tokens)
    db.session.flush()
    return tokens


def list_tokens(directory: Directory) -> list[tuple[HardwareToken, User | None]]:
    """Return the directory's tokens by serial, each with the user it is assigned to."""
    rows = db.session.execute(
        select(HardwareToken, User).outerjoin(User, User.id == HardwareToken.user_id)
        .where(HardwareToken.directory_id == directory.id).order_by(HardwareToken.serial))
    return [(token, user) for token, user in rows]


def find_token(directory: Directory, serial: str) -> HardwareToken | None:
    """Return the directory's token with this serial."""
    return db.session.scalars(select(HardwareToken).where(
        HardwareToken.directory_id == directory.id,
        HardwareToken.serial == serial.strip())).first()


def tokens_of(user: User) -> list[HardwareToken]:
    """Return the tokens assigned to the user, the oldest assignment first."""
    return list(db.session.scalars(select(HardwareToken).where(
        HardwareToken.directory_id == user.directory_id, HardwareToken.user_id == user.id)
        .order_by(HardwareToken.assigned_at, HardwareToken.id)))


def key_of(token: HardwareToken, sealer: Sealer) -> TokenKey:
    """Return what makes the token's codes, its seed unsealed."""
    return TokenKey(sealer.unseal(token.seed_sealed), token.kind, token.digits, token.period,
                    token.algorithm)


def assign_token(token: HardwareToken, user: User, now: float) -> bool:
    """Give an unassigned token to the user; return False when it has been given already
    (to anyone: two people binding one token at once get it once)."""
    if token.directory_id != user.directory_id:
        raise InventoryError("the token and the user are in different directories")
    claimed = db.session.execute(
        update(HardwareToken)
        .where(HardwareToken.id == token.id, HardwareToken.user_id.is_(None))
        .values(user_id=user.id, assigned_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(token)
    return claimed == 1


def unassign_token(token: HardwareToken) -> None:
    """Take the token back from its user: it is on the shelf again."""
    token.user_id = None
    token.assigned_at = None
    db.session.flush()


def move_counter(token: HardwareToken, old: int, new: int, now: float) -> bool:
    """Set the HOTP counter from `old` to `new`; return False when another request moved it
    first (its code, or an older one, was just used)."""
    return db.session.execute(
        update(HardwareToken)
        .where(HardwareToken.id == token.id, HardwareToken.counter == old)
        .values(counter=new, last_used_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1


def move_step(token: HardwareToken, step: int, now: float) -> bool:
    """Record TOTP `step` as used; return False when it (or a later one) already was."""
    return db.session.execute(
        update(HardwareToken)
        .where(HardwareToken.id == token.id, HardwareToken.last_step < step)
        .values(last_step=step, last_used_at=now)
        .execution_options(synchronize_session=False)).rowcount == 1
