"""Authenticator app (RFC 6238): time windows, single use, races, malformed codes, enrolment."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs, unquote, urlparse

import pyotp
import pytest
from sqlalchemy import select

from idp.methods import MethodContext, MethodFailed, StepExpired, TotpMethod, Verified
from idp.methods.totp import SETUP_TTL, STEP
from idp.services import services
from idp.storage import db
from idp.storage.models import Credential
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory

pytestmark = pytest.mark.storage

# The middle of a 30-second window: +-30 s lands in the neighbouring windows.
NOW = 1_700_000_025.0
ALREADY_USED = "already used"
NOT_RIGHT = "not right"


def verify(ctx: MethodContext, code: str) -> Verified:
    """Verify a code as a request does: the change is committed when it succeeds."""
    try:
        verified = TotpMethod().verify(ctx, {"code": code})
    except MethodFailed:
        db.session.rollback()
        raise
    db.session.commit()
    return verified


def credentials(user_id: int) -> list[Credential]:
    return list(db.session.scalars(select(Credential).where(
        Credential.user_id == user_id, Credential.method == "totp").order_by(Credential.id)))


def wrong_code(secret: str, now: float) -> str:
    """Return a well-formed code that no window near `now` accepts."""
    totp = pyotp.TOTP(secret)
    near = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


@pytest.fixture
def user(directory, svc):
    return directory.add_user(totp=True)


# --- time windows -------------------------------------------------------------------------


def test_a_code_of_the_current_window_is_accepted(user, context):
    assert verify(context(user, NOW), user.totp(NOW)) == Verified(amr=("otp",))


@pytest.mark.parametrize("drift", [-30, 30], ids=["previous-window", "next-window"])
def test_a_code_of_a_neighbouring_window_is_accepted(user, context, drift):
    assert verify(context(user, NOW), user.totp(NOW + drift)).amr == ("otp",)


@pytest.mark.parametrize("drift", [-60, 60, -90, 90, -3600],
                         ids=["two-back", "two-ahead", "three-back", "three-ahead", "an-hour-old"])
def test_a_code_two_or_more_windows_away_is_refused(user, context, drift):
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        verify(context(user, NOW), user.totp(NOW + drift))


def test_a_wrong_code_is_refused_and_the_right_one_still_works(user, context):
    with pytest.raises(MethodFailed, match="Check the time on your phone"):
        verify(context(user, NOW), wrong_code(user.totp_secret, NOW))
    assert verify(context(user, NOW), user.totp(NOW)).amr == ("otp",)


def test_spaces_in_a_code_are_ignored(user, context):
    code = user.totp(NOW)
    assert verify(context(user, NOW), f" {code[:3]} {code[3:]} ").amr == ("otp",)


# --- each code once -----------------------------------------------------------------------


@pytest.mark.parametrize("later", [0, 10, 29], ids=["same-moment", "10s-later", "29s-later"])
def test_a_code_is_accepted_only_once(user, context, later):
    code = user.totp(NOW)
    verify(context(user, NOW), code)
    with pytest.raises(MethodFailed, match=ALREADY_USED):
        verify(context(user, NOW + later), code)


@pytest.mark.parametrize("older", [0, -30], ids=["current", "previous"])
def test_an_older_code_is_refused_after_a_newer_one(user, context, older):
    verify(context(user, NOW), user.totp(NOW + 30))
    with pytest.raises(MethodFailed, match=ALREADY_USED):
        verify(context(user, NOW), user.totp(NOW + older))


def test_the_code_of_the_next_window_is_accepted_after_the_current_one(user, context):
    verify(context(user, NOW), user.totp(NOW))
    assert verify(context(user, NOW + 30), user.totp(NOW + 30)).amr == ("otp",)


def test_a_used_code_is_remembered_across_requests(user, context):
    code = user.totp(NOW)
    verify(context(user, NOW), code)
    db.session.expire_all()
    stored = credentials(context(user, NOW).user.id)
    assert [c.counter for c in stored] == [int(NOW // 30)]
    assert stored[0].last_used_at == NOW
    with pytest.raises(MethodFailed, match=ALREADY_USED):
        verify(context(user, NOW), code)


def _verify_in_thread(app, slug: str, username: str, code: str, results: list[str],
                      barrier: threading.Barrier | None = None) -> None:
    """Verify `code` in a session of its own, as a concurrent request would."""
    with app.app_context():
        try:
            directory = get_directory(slug)
            user = find_user(directory, username)
            ctx = MethodContext(directory=directory, user=user, now=NOW,
                                sealer=services().sealer)
            if barrier is not None:
                barrier.wait(timeout=30)
            verify(ctx, code)
            results.append("accepted")
        except MethodFailed as exc:
            results.append(str(exc))
        except Exception as exc:  # reported to the test below
            results.append(f"error: {exc!r}")


def test_a_code_racing_with_itself_is_accepted_once(app, directory, user, context):
    """A second request with the same code waits for the first to commit, then is refused."""
    code = user.totp(NOW)
    TotpMethod().verify(context(user, NOW), {"code": code})  # claimed, not yet committed
    results: list[str] = []
    other = threading.Thread(target=_verify_in_thread,
                             args=(app, directory.slug, user.username, code, results))
    other.start()
    other.join(timeout=0.5)  # give it time to reach the database; it cannot finish before us
    db.session.commit()
    other.join(timeout=30)
    assert not other.is_alive()
    assert len(results) == 1
    assert ALREADY_USED in results[0]


def test_concurrent_requests_with_the_same_code_have_exactly_one_winner(app, directory, user):
    code = user.totp(NOW)
    racers = 4
    barrier = threading.Barrier(racers)
    results: list[str] = []
    threads = [threading.Thread(target=_verify_in_thread,
                                args=(app, directory.slug, user.username, code, results,
                                      barrier))
               for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == racers, results
    assert results.count("accepted") == 1, results
    assert all(ALREADY_USED in r for r in results if r != "accepted"), results


# --- malformed codes ----------------------------------------------------------------------


@pytest.mark.parametrize("code", [
    "", "   ", "abcdef", "12345a", "12345", "1234567", "12 34 5", "١٢٣٤٥٦", "１２３４５６",
    "+12345", "12345.", "123456\x00", "²³⁴⁵⁶⁷",
], ids=["empty", "spaces", "letters", "a-letter", "5-digits", "7-digits", "5-spaced",
        "arabic-indic-digits", "fullwidth-digits", "plus-sign", "dot", "nul", "superscripts"])
def test_a_malformed_code_is_refused_with_a_clear_message(user, context, code):
    ctx = context(user, NOW)
    with pytest.raises(MethodFailed, match="^Enter the 6-digit code.$"):
        verify(ctx, code)
    assert [c.counter for c in credentials(ctx.user.id)] == [0]


def test_a_missing_code_field_is_refused_with_a_clear_message(user, context):
    with pytest.raises(MethodFailed, match="6-digit"):
        TotpMethod().verify(context(user, NOW), {})


def test_a_user_without_an_authenticator_app_is_refused(directory, context):
    user = directory.add_user()
    method = TotpMethod()
    ctx = context(user, NOW)
    assert not method.is_enrolled(ctx.user)
    with pytest.raises(MethodFailed, match="No authenticator app"):
        method.verify(ctx, {"code": "123456"})


# --- enrolment ----------------------------------------------------------------------------


def test_start_enrolment_gives_a_secret_an_otpauth_uri_and_a_qr_code(directory, context):
    user = directory.add_user()
    ctx = context(user, NOW)
    data = TotpMethod().start_enrolment(ctx)

    secret = data["secret"]
    assert len(secret) == 32
    assert pyotp.TOTP(secret).now()  # valid base32
    assert data["secret_grouped"].replace(" ", "") == secret
    uri = urlparse(data["uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    query = parse_qs(uri.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == [ctx.directory.name]
    assert unquote(uri.path) == f"/{ctx.directory.name}:{user.username}"
    assert data["qr_svg"].startswith("<svg")
    assert data["qr_svg"].rstrip().endswith("</svg>")
    assert "<path" in data["qr_svg"]


def test_start_enrolment_stores_nothing_and_carries_the_key_sealed(directory, context):
    """Showing the set-up page (a GET) creates no credential: the key travels in the form."""
    user = directory.add_user()
    ctx = context(user, NOW)
    method = TotpMethod()
    data = method.start_enrolment(ctx)
    db.session.commit()

    assert credentials(ctx.user.id) == []
    assert data["secret"] not in data["setup"]
    assert not method.is_enrolled(ctx.user)


def test_the_page_shown_again_with_its_form_keeps_the_same_key(directory, context):
    """After a refused code the page keeps the key already scanned."""
    user = directory.add_user()
    method = TotpMethod()
    first = method.start_enrolment(context(user, NOW))
    again = method.start_enrolment(context(user, NOW + 60), {"setup": first["setup"]})
    assert again["secret"] == first["secret"]
    assert again["setup"] == first["setup"]


def test_opening_the_page_twice_leaves_the_first_set_up_working(directory, context):
    user = directory.add_user()
    method = TotpMethod()
    first = method.start_enrolment(context(user, NOW))
    second = method.start_enrolment(context(user, NOW + 5))
    assert second["secret"] != first["secret"]

    method.finish_enrolment(context(user, NOW), {"code": pyotp.TOTP(first["secret"]).at(NOW),
                                                 "setup": first["setup"]})
    db.session.commit()
    [confirmed] = credentials(context(user, NOW).user.id)
    assert services().sealer.unseal(confirmed.secret_sealed) == first["secret"].encode()


def finish(method: TotpMethod, ctx: MethodContext, data: dict, at: float = NOW) -> Verified:
    return method.finish_enrolment(ctx, {"code": pyotp.TOTP(data["secret"]).at(at),
                                         "setup": data["setup"]})


def test_finish_enrolment_with_the_right_code_confirms_the_app(directory, context):
    user = directory.add_user()
    method = TotpMethod()
    data = method.start_enrolment(context(user, NOW))
    secret = data["secret"]
    ctx = context(user, NOW)

    verified = finish(method, ctx, data)
    db.session.commit()

    assert verified.amr == ("otp",)
    assert method.is_enrolled(ctx.user)
    [confirmed] = credentials(ctx.user.id)
    assert confirmed.confirmed_at == NOW
    assert secret.encode() not in confirmed.secret_sealed
    # The app now signs in with its next code, but the enrolment code is spent.
    with pytest.raises(MethodFailed, match=ALREADY_USED):
        verify(context(user, NOW), pyotp.TOTP(secret).at(NOW))
    assert verify(context(user, NOW + 30), pyotp.TOTP(secret).at(NOW + 30)).amr == ("otp",)


def test_a_finished_set_up_cannot_be_posted_again(directory, context):
    user = directory.add_user()
    method = TotpMethod()
    data = method.start_enrolment(context(user, NOW))
    finish(method, context(user, NOW), data)
    db.session.commit()

    with pytest.raises(StepExpired, match="already set up"):
        finish(method, context(user, NOW + 30), data, NOW + 30)
    db.session.rollback()
    assert len(credentials(context(user, NOW).user.id)) == 1


def test_finish_enrolment_replaces_an_older_app(user, context):
    method = TotpMethod()
    data = method.start_enrolment(context(user, NOW))
    new_secret = data["secret"]
    assert new_secret != user.totp_secret

    finish(method, context(user, NOW), data)
    db.session.commit()

    [only] = credentials(context(user, NOW).user.id)
    assert only.confirmed_at == NOW
    assert services().sealer.unseal(only.secret_sealed) == new_secret.encode()
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        verify(context(user, NOW + 30), user.totp(NOW + 30))


@pytest.mark.parametrize("has_app", [False, True], ids=["first-app", "replacing-an-app"])
def test_finish_enrolment_with_a_wrong_code_does_not_confirm(directory, context, has_app):
    user = directory.add_user(totp=has_app)
    method = TotpMethod()
    data = method.start_enrolment(context(user, NOW))

    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        method.finish_enrolment(context(user, NOW), {"code": wrong_code(data["secret"], NOW),
                                                     "setup": data["setup"]})
    db.session.rollback()

    ctx = context(user, NOW)
    assert method.is_enrolled(ctx.user) is has_app
    assert len(credentials(ctx.user.id)) == (1 if has_app else 0)
    if has_app:
        assert verify(ctx, user.totp(NOW)).amr == ("otp",)
    # The set-up can still be finished with the right code.
    finish(method, context(user, NOW + 30), data, NOW + 30)


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "١٢٣٤٥٦"])
def test_finish_enrolment_with_a_malformed_code_is_refused(directory, context, code):
    user = directory.add_user()
    method = TotpMethod()
    data = method.start_enrolment(context(user, NOW))
    with pytest.raises(MethodFailed, match="6-digit"):
        method.finish_enrolment(context(user, NOW), {"code": code, "setup": data["setup"]})
    assert not method.is_enrolled(context(user, NOW).user)


def test_finish_enrolment_without_starting_it_is_refused(user, context):
    with pytest.raises(StepExpired, match="set-up has expired"):
        TotpMethod().finish_enrolment(context(user, NOW), {"code": user.totp(NOW)})


def _tampered(sealed: str) -> str:
    middle = len(sealed) // 2
    return sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1:]


@pytest.mark.parametrize("how", ["another-user", "another-session", "expired", "tampered",
                                 "at-rest-seal"])
def test_a_foreign_tampered_or_expired_set_up_is_refused(directory, context, how):
    user, other = directory.add_user(), directory.add_user()
    method = TotpMethod()
    ctx = context(user, NOW)
    ctx.session_id = 1
    at = NOW
    if how == "another-user":
        data = method.start_enrolment(context(other, NOW))
    elif how == "another-session":
        foreign = context(user, NOW)
        foreign.session_id = 2
        data = method.start_enrolment(foreign)
    else:
        data = method.start_enrolment(ctx)
    if how == "expired":
        at = NOW + SETUP_TTL + STEP
    elif how == "tampered":
        data = {**data, "setup": _tampered(data["setup"])}
    elif how == "at-rest-seal":
        data = {**data, "setup": services().sealer.seal(
            json.dumps({"secret": data["secret"]}).encode()).decode()}
    ctx.now = at

    with pytest.raises(StepExpired, match="set-up has expired"):
        finish(method, ctx, data, at)
    assert credentials(ctx.user.id) == []


def _finish_in_thread(app, slug: str, username: str, form: dict, results: list[str],
                      barrier: threading.Barrier) -> None:
    """Finish a set-up in a session of its own, as a concurrent request would."""
    with app.app_context():
        try:
            directory = get_directory(slug)
            ctx = MethodContext(directory=directory, user=find_user(directory, username),
                                now=NOW, sealer=services().sealer)
            barrier.wait(timeout=30)
            TotpMethod().finish_enrolment(ctx, form)
            db.session.commit()
            results.append("confirmed")
        except MethodFailed as exc:
            db.session.rollback()
            results.append(str(exc))
        except Exception as exc:  # reported to the test below
            results.append(f"error: {exc!r}")


def test_a_set_up_posted_twice_at_once_confirms_one_app(app, directory, context):
    """A double submit of the set-up form: the sealed key is spent once, one credential."""
    user = directory.add_user()
    data = TotpMethod().start_enrolment(context(user, NOW))
    form = {"code": pyotp.TOTP(data["secret"]).at(NOW), "setup": data["setup"]}
    racers = 3
    barrier = threading.Barrier(racers)
    results: list[str] = []
    threads = [threading.Thread(target=_finish_in_thread,
                                args=(app, directory.slug, user.username, form, results,
                                      barrier)) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert results.count("confirmed") == 1, results
    assert all("already set up" in r for r in results if r != "confirmed"), results
    assert len(credentials(context(user, NOW).user.id)) == 1
