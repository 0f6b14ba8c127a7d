"""The code service on real storage: one winner among racing right codes, every failure counted."""

from __future__ import annotations

import threading

import pytest

from idp.delivery import Message
from idp.methods import MethodContext
from idp.methods.device import device_name
from idp.methods.one_time_codes import CodeRefused
from idp.services import services
from idp.storage import db
from idp.storage.models import OneTimeCode
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory
from idp.users.sessions import start_session
from tests.support.live import new_mobile

NOW = 1_900_000_000.0
RACERS = 4


@pytest.fixture
def sent(app, directory, gateway):
    """A code sent by SMS to a user's number in a fresh browser session; (user, session, code)."""
    user = directory.add_user(phone=new_mobile())
    with app.app_context():
        ctx = _context(directory.slug, user.username, None)
        session, _token = start_session(ctx.directory, NOW, "127.0.0.1", "test")
        ctx.session_id = session.id
        services().methods["sms"].codes.send(
            ctx, "sms", "login", user.phone,
            lambda code: Message(channel="sms", to=user.phone, text=f"{code} is your code"))
        db.session.commit()
        session_id = session.id
    return user, session_id, gateway.last_code(user.phone)


def _context(slug: str, username: str, session_id: int | None) -> MethodContext:
    directory = get_directory(slug)
    return MethodContext(directory=directory, user=find_user(directory, username), now=NOW + 1,
                         sealer=services().sealer, session_id=session_id, ip="127.0.0.1")


def _race(app, slug: str, username: str, session_id: int, code: str) -> list[str]:
    """Check `code` from several threads at once; return each thread's result."""
    barrier = threading.Barrier(RACERS)
    results: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        with app.app_context():
            ctx = _context(slug, username, session_id)
            barrier.wait()
            try:
                services().methods["sms"].codes.check(ctx, "sms", "login", code)
                db.session.commit()
                outcome = "accepted"
            except CodeRefused as exc:
                db.session.rollback()
                outcome = exc.reason
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_of_racing_right_codes_exactly_one_is_accepted(app, directory, sent):
    user, session_id, code = sent

    results = _race(app, directory.slug, user.username, session_id, code)

    assert results.count("accepted") == 1, results
    assert set(results) - {"accepted"} <= {"used"}


def test_racing_wrong_codes_are_each_counted(app, directory, sent):
    user, session_id, code = sent
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    results = _race(app, directory.slug, user.username, session_id, wrong)

    assert results == ["wrong"] * RACERS
    with app.app_context():
        row = db.session.query(OneTimeCode).filter_by(session_id=session_id).one()
        assert row.failures == RACERS


@pytest.mark.parametrize(("agent", "name"), [
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
     "Firefox on Linux"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Mobile Safari on iOS"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/130.0.0.0 Safari/537.36", "Chrome on Windows"),
    ("", "Unknown browser"),
    ("\x00" * 5000, "Unknown browser"),
])
def test_remembered_devices_get_names_people_recognise(agent, name):
    assert device_name(agent) == name
