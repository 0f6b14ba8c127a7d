"""The first code of a password reset is sent in the background: the answer comes back while
the mail server still holds the message, so its time does not tell that the account exists.
Nothing is sent for a start that is rolled back; a code that cannot be sent is audited and
cannot be used. Login codes are still sent while the page waits."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from idp.storage import db
from idp.storage.db import after_commit
from idp.storage.models import OneTimeCode, User
from idp.web.login import recovery as reset_pages
from tests.conftest import delivery_settings
from tests.support.agent import Page
from tests.support.live import build_live, new_directory
from tests.support.rp import StrictRP
from tests.web.helpers import enter_code, step_up_page
from tests.web.test_web_password_reset import ask_reset, code_in, events, forgot_page, mailed_code


def codes_of(directory, user) -> list[OneTimeCode]:
    """Return the stored one-time codes of a user."""
    with directory.live.app.app_context():
        row = db.session.scalars(select(User).where(User.subject == user.subject)).one()
        found = list(db.session.scalars(select(OneTimeCode).where(
            OneTimeCode.user_id == row.id)))
        db.session.expunge_all()
        return found


def test_the_reset_answers_while_the_mail_server_still_holds_the_code(directory, mail):
    user = directory.add_user(email_verified=True)  # an email code alone: 10 of 30
    rp = StrictRP(directory, directory.add_client())
    mail.hold()

    page = ask_reset(rp, user.username)  # the answer, and the code page after it

    assert mail.wait_held(), "the code never reached the mail server"
    assert mail.received_for(user.email) == 0
    assert [(c.purpose, c.delivered) for c in codes_of(directory, user)] == [("reset", False)]
    mail.release()
    code = mailed_code(mail, user.email)
    directory.live.settle()
    assert [c.delivered for c in codes_of(directory, user)] == [True]
    proven = Page(rp.agent.submit(page, "Continue", by_label={"Code": code}))
    assert proven.title == "Your administrator can help", proven.text[:300]
    assert [e.detail["method"] for e in events(directory, "password_reset.proof")] == ["email"]


def test_a_reset_start_that_is_rolled_back_sends_nothing(directory, mail, monkeypatch):
    user = directory.add_user(email_verified=True)
    rp = StrictRP(directory, directory.add_client())
    page = forgot_page(rp)

    def fail(*args, **kwargs):
        raise RuntimeError("the pending login could not be saved")

    monkeypatch.setattr(reset_pages, "_save", fail)  # after the code is stored, before commit
    response = rp.agent.submit(page, "Send a code", by_label={"Username or email": user.username})

    assert response.status_code == 500
    directory.live.settle()
    assert mail.received_for(user.email) == 0
    assert codes_of(directory, user) == []
    assert events(directory, "password_reset.started") == []


def test_a_code_the_mail_server_refuses_is_audited_and_cannot_be_used(directory, mail):
    user = directory.add_user(email_verified=True)
    rp = StrictRP(directory, directory.add_client())
    mail.refuse("554 Mailbox unavailable")

    page = ask_reset(rp, user.username)  # the same page: the person is not told
    directory.live.settle()

    undelivered = events(directory, "password_reset.code_undelivered")
    assert [(e.user_id, e.detail["method"]) for e in undelivered] == [
        (events(directory, "password_reset.started")[0].user_id, "email")]
    assert undelivered[0].user_id is not None
    assert undelivered[0].detail["reason"] == "SMTP 554 Mailbox unavailable"
    assert undelivered[0].ip == "127.0.0.1"
    assert codes_of(directory, user) == []  # removed: not counted, never accepted
    wrong = rp.agent.submit(page, "Continue", by_label={"Code": "123456"})
    assert wrong.status_code == 400 and "4 tries left" in Page(wrong).text


@pytest.fixture(scope="module")
def one_slot_live(backend, database_url_factory, sms_gateway, mailbox):
    """A provider with one background send thread and no backlog."""
    server = build_live(database_url_factory(backend), **delivery_settings(sms_gateway, mailbox),
                        IDP_DELIVERY_CONCURRENCY=1, IDP_DELIVERY_BACKLOG=0)
    yield server
    server.stop()


def test_a_reset_code_that_finds_the_background_sender_full_is_audited(one_slot_live, mail):
    directory = new_directory(one_slot_live)
    first, second = (directory.add_user(email_verified=True) for _ in range(2))
    client = directory.add_client()
    mail.hold()
    ask_reset(StrictRP(directory, client), first.username)
    assert mail.wait_held()  # the only thread is busy

    ask_reset(StrictRP(directory, client), second.username)  # answered all the same
    mail.release()
    one_slot_live.settle()

    undelivered = events(directory, "password_reset.code_undelivered")
    assert [(e.detail["reason"], e.detail["method"]) for e in undelivered] == [
        ("the background sender of this process is full", "email")]
    assert codes_of(directory, second) == [] and mail.received_for(second.email) == 0
    assert mailed_code(mail, first.email)


def test_work_deferred_to_a_commit_runs_once_after_it_and_never_after_a_rollback(app):
    ran: list[str] = []
    with app.app_context():
        after_commit(lambda: ran.append("rolled back"))
        db.session.rollback()
        after_commit(lambda: ran.append("closed"))
        db.session.close()
        after_commit(lambda: ran.append("committed"))
        assert ran == []
        db.session.commit()
        db.session.commit()
    assert ran == ["committed"]


# -- login codes are unchanged ---------------------------------------------------------------


def test_a_login_email_code_is_sent_while_the_page_waits(directory, mail):
    user = directory.add_user(email_verified=True, totp=True)
    rp = StrictRP(directory, directory.add_client())
    step = step_up_page(rp, user)
    mail.hold()
    answered: list = []
    asking = threading.Thread(target=lambda: answered.append(
        rp.agent.submit(step, "Email a code to")))
    asking.start()

    assert mail.wait_held()
    assert answered == [] and codes_of(directory, user) == []  # stored once the server took it
    mail.release()
    asking.join(30)
    page = Page(answered[0])
    assert page.title == "Enter the code we emailed you", page.text[:300]
    assert [(c.purpose, c.delivered) for c in codes_of(directory, user)] == [("login", True)]
    code = code_in(mail.wait_for(user.email).get_body(("plain",)).get_content())
    assert rp.response_params(enter_code(rp, page, code))["code"]
