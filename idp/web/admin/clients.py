"""The admin's Apps pages: list, register, edit, rotate the secret, disable and enable.

A client secret is shown once, in the body of the POST that made it (never in a redirect,
a flash cookie or a log), under the app's ``Cache-Control: no-store``; only its hash is
kept. The built-in account client (``idp-…``) is shown but cannot be changed here.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy import select

from ...admin.apps import change_app, new_app_secret, register_app, stop_old_secret, switch_app
from ...clock import now
from ...config import current_settings
from ...errors import NotFound
from ...storage import db
from ...storage.models import Client
from ...tenants.account_client import RESERVED_PREFIX
from ...tenants.clients import (
    CLIENT_ID_PATTERN,
    ClientError,
    check_redirect_uri,
    get_client,
    in_secret_grace,
    sector_of,
)
from ...tenants.service_accounts import ADMIN_SCOPES
from ..account import account, when
from ..account.gate import current_user, signed_in_page

MAX_URIS = 20
MAX_URI = 2000
MAX_NAME = 200
#: What each admin scope lets a service account do, for the admin choosing them.
SCOPE_TEXTS = {
    "admin:users": lazy_gettext("find, invite, change, disable and log out users; remove "
                                "their sign-in methods"),
    "admin:apps": lazy_gettext("register, change and disable apps; rotate their secrets"),
    "admin:settings": lazy_gettext("read and change the authentication settings"),
    "admin:policies": lazy_gettext("read and change the policies and where text message "
                                   "codes may go"),
    "admin:brand": lazy_gettext("read and change the brand: name, colour, logo, sender and "
                                "support contact"),
    "admin:claims": lazy_gettext("read and change which profile details users are asked for"),
    "admin:audit": lazy_gettext("read the audit log"),
}


class FormError(ValueError):
    """A field of the client form is not valid; ``field`` names it."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClientFields:
    """The checked fields of the client form."""

    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    public: bool
    first_party: bool
    min_acr: int | None
    introspect_all: bool
    service_account: bool
    service_scopes: list[str]
    jwt_access_tokens: bool
    pairwise_subject: bool
    private_key_jwt: bool
    jwks: str | None
    jwks_uri: str | None
    require_par: bool
    require_dpop: bool
    backchannel_logout_uri: str | None
    device_grant: bool


# --- pages ------------------------------------------------------------------------------------

@account.get("/admin/clients")
@signed_in_page(admin=True)
def admin_clients():
    """List the directory's apps."""
    clients = db.session.scalars(select(Client).where(Client.directory_id == g.directory.id)
                                 .order_by(Client.client_id)).all()
    return render_template("admin/clients.html", directory=g.directory, clients=clients,
                           reserved=RESERVED_PREFIX)


@account.get("/admin/clients/new")
@signed_in_page(admin=True)
def admin_client_new():
    """Show the form that registers an app."""
    return _form_page("admin/client_new.html", values={"type": "confidential",
                                                       "consent": "first_party"})


@account.post("/admin/clients/new")
@signed_in_page(admin=True)
def admin_client_create():
    """Register the app and show its secret, once."""
    try:
        client_id = new_client_id(request.form.get("client_id", ""))
        fields = read_fields(request.form)
        client, secret = register_app(g.directory, current_user(), now(), client_id=client_id,
                                      **dataclasses.asdict(fields))
    except (FormError, ClientError) as exc:
        db.session.rollback()
        return _form_page("admin/client_new.html", request.form, exc), 400
    db.session.commit()
    return _secret_page(client, secret, created=True)


@account.get("/admin/clients/<client_id>")
@signed_in_page(admin=True)
def admin_client(client_id: str):
    """Show one app with its settings."""
    client = _load(client_id)
    return _form_page("admin/client.html", _values_of(client), client=client)


@account.post("/admin/clients/<client_id>")
@signed_in_page(admin=True)
def admin_client_change(client_id: str):
    """Apply the change the pressed button names."""
    client = _load(client_id)
    if client.client_id.startswith(RESERVED_PREFIX):
        abort(403, gettext("The provider's own apps cannot be changed."))
    name = request.form.get("action", "")
    action = ACTIONS.get(name)
    if action is None:
        abort(400, gettext("This form does not say what to do."))
    if request.form.get("confirm") != "yes" and _asks_first(client, name):
        return _confirm_page(client, name)
    try:
        return action(client)
    except (FormError, ClientError) as exc:
        db.session.rollback()
        client = _load(client_id)
        return _form_page("admin/client.html", request.form, exc, client=client), 400


def _load(client_id: str) -> Client:
    client = get_client(g.directory, client_id)
    if client is None:
        raise NotFound(gettext("There is no such app in this directory."))
    return client


def _form_page(template: str, values, error: Exception | None = None, **context):
    message = None
    if isinstance(error, ClientError):  # the library's own wording, for an odd case
        message = gettext("The app could not be saved: %(reason)s", reason=error)
    elif error is not None:
        message = str(error)
    return render_template(template, directory=g.directory, values=values, error=message,
                           error_field=getattr(error, "field", None),
                           grace_until=_grace_until(context.get("client")),
                           reserved=RESERVED_PREFIX,
                           admin_scopes=[(s, SCOPE_TEXTS[s]) for s in ADMIN_SCOPES], **context)


def _secret_page(client: Client, secret: str | None, *, created: bool):
    return render_template("admin/client_secret.html", directory=g.directory, client=client,
                           secret=secret, created=created, grace_until=_grace_until(client))


def _grace_until(client: Client | None) -> float | None:
    """Return until when the app's previous secret still works (None: it does not)."""
    if client is None or not in_secret_grace(client, now()):
        return None
    return client.previous_secret_until


def _confirm_page(client: Client, name: str):
    """Ask once more before a change that cannot be undone or stops the app."""
    back = url_for("account.admin_client", client_id=client.client_id)
    if name == "rotate":
        grace = current_settings().client_secret_grace_seconds
        question = gettext("Make a new secret for %(app)s?", app=client.name)
        effects = [gettext("The app must be given the new secret, which is shown once.")]
        if grace > 0:
            effects.append(gettext("The current secret keeps working until %(when)s, then "
                                   "stops.", when=when(now() + grace)))
        else:
            effects.append(gettext("The current secret stops working at once: the app cannot "
                                   "log anyone in until it has the new one."))
        button = gettext("Make a new secret")
    elif name == "end_grace":
        question = gettext("Stop the previous secret of %(app)s now?", app=client.name)
        effects = [gettext("Anything that still uses the previous secret stops working at "
                           "once.")]
        button = gettext("Stop the previous secret now")
    else:
        question = gettext("Disable %(app)s?", app=client.name)
        effects = [gettext("Nobody can log in to it any more, and the tokens it holds are "
                           "revoked at once."),
                   gettext("You can enable it again later; people then log in again.")]
        button = gettext("Disable this app")
    return render_template("admin/confirm.html", directory=g.directory, question=question,
                           effects=effects, button=button, action=name, back_url=back,
                           action_url=url_for("account.admin_client_change",
                                              client_id=client.client_id))


def _values_of(client: Client) -> dict[str, object]:
    return {"name": client.name, "redirect_uris": "\n".join(client.redirect_uris),
            "post_logout_redirect_uris": "\n".join(client.post_logout_redirect_uris or []),
            "type": "public" if client.public else "confidential",
            "consent": "first_party" if client.first_party else "consent",
            "min_acr": "" if client.min_acr is None else str(client.min_acr),
            "introspect_all": "yes" if client.introspect_all else "",
            "service_account": "yes" if client.service_account else "",
            "service_scopes": client.service_scopes.split(),
            "jwt_access_tokens": "yes" if client.jwt_access_tokens else "",
            "pairwise_subject": "yes" if client.pairwise_subject else "",
            "private_key_jwt": "yes" if client.private_key_jwt else "",
            "jwks": json.dumps(client.jwks, indent=2) if client.jwks else "",
            "jwks_uri": client.jwks_uri or "",
            "require_par": "yes" if client.require_par else "",
            "require_dpop": "yes" if client.require_dpop else "",
            "backchannel_logout_uri": client.backchannel_logout_uri or "",
            "device_grant": "yes" if client.device_grant else ""}


# --- reading the form -------------------------------------------------------------------------

def new_client_id(text: str) -> str:
    """Return the typed client id, or a generated one when the field is empty."""
    client_id = text.strip()
    if not client_id:
        return f"app-{secrets.token_hex(8)}"
    if len(client_id) > 100 or not CLIENT_ID_PATTERN.match(client_id):
        raise FormError(gettext("A client id is 1 to 100 characters: letters, digits and "
                                ". _ ~ -"), "client_id")
    if client_id.startswith(RESERVED_PREFIX):
        raise FormError(gettext("Client ids starting with “%(prefix)s” belong to the provider.",
                                prefix=RESERVED_PREFIX), "client_id")
    if get_client(g.directory, client_id) is not None:
        raise FormError(gettext("Another app of this directory already has this client id."),
                        "client_id")
    return client_id


def _uris(form, field: str, *, required: bool) -> list[str]:
    lines = [line.strip() for line in (form.get(field) or "")[:MAX_URIS * (MAX_URI + 2)]
             .splitlines()]
    uris = list(dict.fromkeys(line for line in lines if line))
    if required and not uris:
        raise FormError(gettext("Enter at least one redirect URI."), field)
    if len(uris) > MAX_URIS:
        raise FormError(gettext("Enter at most %(count)s URIs.", count=MAX_URIS), field)
    return [_checked_uri(uri, field) for uri in uris]


def _min_acr(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdecimal()) or len(text) > 4 or int(text) > 1000:
        raise FormError(gettext("The minimum level is a whole number from 0 to 1000, or "
                                "empty."), "min_acr")
    return int(text)


def read_fields(form) -> ClientFields:
    """Check the client form; raise FormError naming the first field at fault."""
    name = (form.get("name") or "").strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise FormError(gettext("Enter the app's name: at most %(count)s characters.",
                                count=MAX_NAME), "name")
    kind, consent = form.get("type"), form.get("consent")
    if kind not in ("confidential", "public") or consent not in ("first_party", "consent"):
        raise FormError(gettext("Choose the kind of app and whether it asks for consent."))
    introspect_all = form.get("introspect_all") == "yes"
    if introspect_all and kind == "public":
        raise FormError(gettext("A public app cannot introspect tokens: it has no secret to "
                                "prove who it is. Make it confidential, or leave this off."),
                        "introspect_all")
    service_account = form.get("service_account") == "yes"
    if service_account and kind == "public":
        raise FormError(gettext("A public app cannot be a service account: it has no secret "
                                "to prove who it is. Make it confidential, or leave this off."),
                        "service_account")
    scopes = [scope for scope in form.getlist("service_scopes")[:len(ADMIN_SCOPES) + 1]
              if scope in ADMIN_SCOPES] if service_account else []
    device_grant = form.get("device_grant") == "yes"
    redirect_uris = _uris(form, "redirect_uris", required=not (service_account or device_grant))
    pairwise = form.get("pairwise_subject") == "yes"
    if pairwise and sector_of(redirect_uris) is None:
        raise FormError(gettext("A pairwise app's redirect URIs must all be on one host: its "
                                "identifiers are derived from that host."), "pairwise_subject")
    jwks, jwks_uri = _keys(form)
    return ClientFields(name=name,
                        redirect_uris=redirect_uris,
                        post_logout_redirect_uris=_uris(form, "post_logout_redirect_uris",
                                                        required=False),
                        public=kind == "public", first_party=consent == "first_party",
                        min_acr=_min_acr(form.get("min_acr", "")),
                        introspect_all=introspect_all, service_account=service_account,
                        service_scopes=scopes,
                        jwt_access_tokens=form.get("jwt_access_tokens") == "yes",
                        pairwise_subject=pairwise,
                        private_key_jwt=form.get("private_key_jwt") == "yes",
                        jwks=jwks, jwks_uri=jwks_uri,
                        require_par=form.get("require_par") == "yes",
                        require_dpop=form.get("require_dpop") == "yes",
                        backchannel_logout_uri=_one_uri(form, "backchannel_logout_uri"),
                        device_grant=device_grant)


def _keys(form) -> tuple[str | None, str | None]:
    """Return the app's public keys as pasted (a JWK Set) and their URI (checked with the
    app's other settings, ``idp.tenants.clients``)."""
    return (form.get("jwks") or "").strip() or None, _one_uri(form, "jwks_uri")


def _one_uri(form, field: str) -> str | None:
    """Return the URI of a one-URI field, checked as redirect URIs are; None when empty."""
    uri = (form.get(field) or "").strip() or None
    return None if uri is None else _checked_uri(uri, field)


def _checked_uri(uri: str, field: str) -> str:
    """Return `uri` when an app can use it (``check_redirect_uri``); raise FormError."""
    try:
        if len(uri) > MAX_URI or not uri.isprintable() or " " in uri:
            raise ClientError(uri)
        return check_redirect_uri(uri)
    except ClientError:
        raise FormError(gettext(
            "“%(uri)s” is not a URI an app can use: it must be absolute, start with "
            "https:// (http:// only on 127.0.0.1 or localhost) and have no #fragment.",
            uri=uri[:80]), field) from None


# --- the changes of the client page -------------------------------------------------------

def _save(client: Client):
    fields = read_fields(request.form)
    changed, secret = change_app(client, current_user(), now(), **dataclasses.asdict(fields))
    db.session.commit()
    if secret is not None:
        return _secret_page(client, secret, created=False)
    flash(gettext("Saved.") if changed else gettext("Nothing changed."))
    return redirect(url_for("account.admin_client", client_id=client.client_id))


def _rotate(client: Client):
    if client.public:
        raise FormError(gettext("A public app has no secret."))
    secret = new_app_secret(client, current_user(), now())
    db.session.commit()
    return _secret_page(client, secret, created=False)


def _switch(disabled: bool) -> Callable[[Client], object]:
    def change(client: Client):
        switch_app(client, disabled, current_user(), now())
        db.session.commit()
        flash(gettext("%(app)s is disabled: it cannot log anyone in, and its tokens were "
                      "revoked.", app=client.name) if disabled
              else gettext("%(app)s is enabled again.", app=client.name))
        return redirect(url_for("account.admin_client", client_id=client.client_id))
    return change


def _end_grace(client: Client):
    stopped = stop_old_secret(client, current_user(), now())
    db.session.commit()
    flash(gettext("The previous secret no longer works.") if stopped
          else gettext("The previous secret had already stopped working."))
    return redirect(url_for("account.admin_client", client_id=client.client_id))


ACTIONS: dict[str, Callable[[Client], object]] = {
    "save": _save, "rotate": _rotate, "disable": _switch(True), "enable": _switch(False),
    "end_grace": _end_grace,
}
def _asks_first(client: Client, name: str) -> bool:
    """Say whether the action asks once more (``_confirm_page``): a new secret, disabling,
    stopping the previous secret; not when it would do nothing or be refused anyway."""
    return (name == "rotate" and not client.public) \
        or (name == "disable" and not client.disabled) \
        or (name == "end_grace" and in_secret_grace(client, now()))
