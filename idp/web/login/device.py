"""The verification page of the device authorization grant (RFC 8628 3.3): a person types the
code a TV or command-line tool shows, logs in as for any login to that app, and approves or
denies what the device asks for.

A typed code is checked against the failure budget of guesses (``idp.web.attempts``): a
person signed in in this browser draws on their own account's, anyone else on the budget
of device codes their source shares with every stranger's; only a code that names no
request counts as a wrong guess. The right code opens a pending login for the device's
request (``authorize.DEVICE``), which the login pages carry on as any other: the level the
app and the directory require and the device's acr_values, then the approval page
(``interaction.device_approval``), whose answer ``authorize.answer`` records.
"""

from __future__ import annotations

from flask import Response, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ...clock import now
from ...domain.device_codes import MAX_TYPED, format_user_code, normalize_user_code
from ...oidc.login import session_user
from ...services import services
from ...storage.models import DeviceAuthorization, Interaction
from ...tenants.device_codes import DeviceCodeRefused, device_app, waiting_request
from ..attempts import Account, account_of, attempt_on
from ..context import current_session
from .authorize import DEVICE, DEVICE_GONE, answer, open_interaction
from .interaction import end_login, load_interaction, next_step, url_of


def refusal_text(reason: str) -> str:
    """Say, for the person, why a typed code does not go on (``DeviceCodeRefused``)."""
    if reason == "unknown":
        return gettext("This code is not right. Check the code your device shows and type it "
                       "again.")
    if reason == "app":
        return gettext("The app on your device may no longer sign in this way.")
    return str(DEVICE_GONE)


def code_page(status: int = 200, code: str = "", error: str | None = None):
    """Render the page that asks for the device's code."""
    return render_template("device.html", directory=g.directory, code=code,
                           error=error), status


def guesser() -> Account:
    """Return whose failure budget a typed code draws on: the person signed in here, or
    every stranger to the directory's device codes."""
    user = session_user(current_session())
    return account_of(user) if user is not None else Account(f"{g.directory.id}:device-codes")


def device_page():
    """Ask for the code the device shows; a code in the address (the device's
    verification_uri_complete) is filled in for the person to compare and confirm."""
    letters = normalize_user_code(request.args.get("user_code") or "")
    return code_page(code=format_user_code(letters) if letters else "")


def device_code():
    """Check a typed code, then start the login that answers the device's request."""
    typed = (request.form.get("user_code") or "")[:MAX_TYPED + 1]
    letters = normalize_user_code(typed)
    if letters is None:
        return code_page(400, typed[:MAX_TYPED], gettext(
            "Type the 8 letters your device shows, such as BCDF-GHJK."))
    with attempt_on(guesser(), "user_code") as attempt:
        try:
            device = waiting_request(g.directory, letters, services().sealer, now())
        except DeviceCodeRefused as exc:
            if exc.guess:
                attempt.failed()
            return code_page(400, format_user_code(letters), refusal_text(exc.reason))
        attempt.succeeded()
    return redirect(url_for("pages.interaction", uid=start_device_login(device).id), 303)


def start_device_login(device: DeviceAuthorization) -> Interaction:
    """Open the pending login that answers the device's request, in this browser."""
    client = device_app(device)
    assert client is not None  # checked with the code
    return open_interaction({"client_id": client.client_id, DEVICE: str(device.id)})


def device_decide(uid: str) -> Response:
    """Record the person's answer on the approval page: Approve or Deny."""
    row = load_interaction(uid)
    if DEVICE not in row.params:
        return redirect(url_of(uid), 303)
    if request.form.get("decision") != "approve":
        return end_login(row, "access_denied", "The person denied the device's sign-in.")
    login = next_step(row)
    if isinstance(login, Response):
        return login
    if login.decision.kind != "issue":
        return redirect(url_of(uid), 303)  # something more to do first (say, a step-up)
    return answer(login, row)
