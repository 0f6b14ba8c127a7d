"""What the profile's pages share: rendering, the method context, bounded fields, the audit
event and the email notice of a change, and the rate limits of forms that check a secret."""

from __future__ import annotations

from flask import abort, g, render_template, request, url_for
from flask_babel import get_locale, gettext

from ... import audit
from ...clock import now
from ...methods import MethodContext, enrollable_now
from ...services import services
from ...storage.models import User
from ...tenants.directories import level_settings
from ...users.notifications import Notice, Origin, notify
from ...users.profile import ProfileError, clean_text, parse_id
from ..context import client_ip, current_session
from ..languages import notice_language
from ..ratelimit import per_ip
from .gate import current_user


def reason_text(exc: ProfileError) -> str:
    """Return the translated message of a refused change (the password policy's own)."""
    if exc.text:
        return exc.text
    texts = {
        "control_character": gettext("This contains characters that cannot be used. "
                                     "Type it again."),
        "too_long": gettext("This is too long."),
        "taken": gettext("This cannot be used for your account. Enter another one."),
        "already_proven_email": gettext("This is already your address, and it is proven."),
        "already_proven_phone": gettext("This is already your number, and it is proven."),
        "wrong_current": gettext("Your current password is not right."),
        "mismatch": gettext("The two new passwords are not the same."),
    }
    return texts.get(exc.reason, gettext("This cannot be saved. Check it and try again."))


def proof_turns_on(channel: str, user: User) -> bool:
    """Say whether proving the user's email address or number turns on the codes of
    `channel` ("email", "sms") as a sign-in method: a proven address is what that method
    is, so the pages say so before and after. True when the directory uses the method,
    can send its codes, and the user does not have it yet."""
    method = services().methods.get(channel)
    return method is not None and method.enrollable \
        and level_settings(g.directory).points_of(channel) > 0 and not method.is_enrolled(user)


def render(template: str, status: int = 200, **context):
    """Render a profile page with the directory, the person, the settings and the helpers."""
    return render_template(template, directory=g.directory, user=current_user(),
                           settings=level_settings(g.directory), methods=services().methods,
                           **context), status


def method_context() -> MethodContext:
    """Return the context a sign-in method runs in for this person and browser."""
    session = current_session()
    return MethodContext(directory=g.directory, user=current_user(), now=now(),
                         sealer=services().sealer, session_id=session.id if session else None,
                         ip=client_ip(),
                         extra={"client_name": gettext("Your account"),
                                "user_agent": request.user_agent.string})


def field(name: str, limit: int) -> str:
    """Return a posted field, cut to `limit` characters (the checks refuse what is wrong)."""
    return (request.form.get(name) or "")[:limit]


def text_field(name: str, limit: int) -> str:
    """Return a posted text with its whitespace collapsed; ProfileError if it is not text."""
    raw = request.form.get(name) or ""
    if len(raw) > limit * 4:
        raise ProfileError("too_long")
    return clean_text(raw, limit)


def row_id(value: str) -> int:
    """Return an id from the URL, or answer 400 when it cannot be one."""
    number = parse_id(value)
    if number is None:
        abort(400, gettext("This link is not valid."))
    return number


def record(event: audit.Event, **detail) -> None:
    """Add an audit event about the person, from this browser, to the transaction."""
    audit.record(g.directory.id, event, now(), user_id=current_user().id, ip=client_ip(),
                 user_agent=request.user_agent.string, **detail)


def notice_locale() -> str:
    """Return the language of the person's notices: theirs, else the page's."""
    return notice_language(current_user().locale, str(get_locale() or "en"))


def send_notice(kind: str, subject: str, detail: str | None = None,
                also_to: str | None = None) -> None:
    """Email the person about a committed change; a failure is only logged."""
    notify(services().delivery, current_user(), Notice(kind, subject, detail),
           Origin(now(), request.user_agent.string, client_ip()), locale=notice_locale(),
           account_url=services().base_url + url_for("account.profile"), also_to=also_to)


def enrollable() -> frozenset[str]:
    """Return the methods that can be set up during a login now (``enrollable_now``)."""
    return enrollable_now(services().methods)


#: The per-IP limit of views that check a secret (a code, the current password); the
#: check itself runs inside ``idp.web.attempts.attempt_on`` (the account's failure budget).
limited = per_ip
