"""Recovery codes for the tests: a user's set, some of it already used."""

from __future__ import annotations

from sqlalchemy import select, update

from idp.clock import now
from idp.services import services
from idp.storage import db
from idp.storage.models import Credential, User
from tests.support.live import TestDirectory, TestUser


def issue_codes(directory: TestDirectory, user: TestUser, left: int = 10) -> list[str]:
    """Give the user ten recovery codes with all but `left` of them used; return the unused."""
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        codes = services().methods["recovery"].issue(row, now())
        db.session.flush()
        ids = db.session.scalars(select(Credential.id).where(
            Credential.user_id == row.id, Credential.method == "recovery")
            .order_by(Credential.id)).all()
        db.session.execute(update(Credential).where(Credential.id.in_(ids[left:]))
                           .values(used_at=now()))
        db.session.commit()
    return codes[:left]
