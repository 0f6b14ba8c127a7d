"""Sample relying portal that asks for a minimum authentication level per page.

Each protected page needs an ``acr`` of at least its level (20, 30 or 40 points). When the
ID token in the portal's session is below that, the portal sends the user back to the provider
with ``acr_values`` set to the page's level, and the provider steps the user up by asking only
for the methods still needed; the fresh ID token then replaces the old one.

The Invoices page calls the sample API (``clients.api``) with the access token. When the
API answers that the login falls short (RFC 9470), the portal sends the user to step up
with exactly the ``acr_values`` and ``max_age`` the API named, then calls it again.

When the session at the provider ends (a logout elsewhere, an admin, a disabled account),
the provider posts a logout token to ``/backchannel-logout`` (OpenID Connect Back-Channel
Logout 1.0); the portal checks it (``clients.portal.backchannel``) and drops that session
at its next request.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify, redirect, render_template, request, session
from joserfc.errors import JoseError

from clients.api.stepup import challenge_of, level_of
from clients.portal.backchannel import Ended, LogoutTokenError, LogoutTokens

DEFAULTS = {
    "PORTAL_ISSUER": "http://localhost:5000/d/default",
    "PORTAL_CLIENT_ID": "portal",
    "PORTAL_CLIENT_SECRET": "",
    "PORTAL_BASE_URL": "http://localhost:5001",
    "PORTAL_SECRET_KEY": "",
    # The sample API the Invoices page calls; empty: no Invoices page.
    "PORTAL_API_URL": "http://localhost:5002",
}
CLAIMS = ("sub", "sid", "acr", "amr", "auth_time", "name", "preferred_username", "email")
# name: (title, required acr, what the page stands for)
PAGES = {
    "account": ("Account", 20, "Your profile details."),
    "billing": ("Billing", 30, "Invoices and payment details."),
    "security": ("Security", 40, "Security settings such as linked devices."),
}
_PROCESS_SECRET_KEY = secrets.token_hex(32)
#: The level the Invoices page asks for when it has no token yet (what the API needs to read).
READ_LEVEL = 30
#: Logins a session may have under way at once (one per tab), the oldest forgotten first.
MAX_PENDING = 5


def safe_path(path: object) -> str:
    """Return path when it is a local absolute path, else "/"."""
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        return path if "\\" not in path else "/"
    return "/"


def display_name(user: dict) -> str:
    """Return how to name the signed-in person: their name, username or email, else "you"."""
    return str(user.get("name") or user.get("preferred_username") or user.get("email") or "you")


def readable_time(timestamp: object) -> str:
    """Format a Unix time as a readable UTC time."""
    if not isinstance(timestamp, int | float):
        return ""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


#: What the error page says for the errors people meet: a headline and what to do next
#: (any other error: "Something went wrong" and the provider's description).
ERRORS = {
    "access_denied": ("Login cancelled",
                      "You did not log in, so this page stays closed. Nothing was changed."),
    "unmet_authentication_requirements": (
        "Your sign-in methods are not enough for this page",
        "The provider could not verify you strongly enough for this page. Set up another "
        "sign-in method in your account at the provider, or ask its administrator."),
    "insufficient_acr": ("Your login was not strong enough for this page",
                         "Open the page again to log in with another step."),
    "provider_unreachable": ("The sign-in service cannot be reached",
                             "Try again in a moment."),
    "api_refused": ("The invoices service refused the request", None),
}


def error_page(error: str, description: str | None, status: int = 400):
    """Render the error page: what happened in words, what to do, the code in small print."""
    headline, advice = ERRORS.get(error, ("Something went wrong", None))
    return render_template("error.html", error=error, description=description,
                           headline=headline, advice=advice), status


def create_portal(config: dict | None = None) -> Flask:
    """Create the portal app; config overrides the PORTAL_* environment variables."""
    settings = {key: os.environ.get(key, default) for key, default in DEFAULTS.items()}
    settings.update(config or {})
    settings["PORTAL_ISSUER"] = settings["PORTAL_ISSUER"].rstrip("/")
    settings["PORTAL_BASE_URL"] = settings["PORTAL_BASE_URL"].rstrip("/")
    app = Flask(__name__)
    app.config.update(settings)
    app.config.update(
        SECRET_KEY=settings["PORTAL_SECRET_KEY"] or _PROCESS_SECRET_KEY,
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["PORTAL_BASE_URL"].startswith("https:"),
    )
    issuer, base_url = settings["PORTAL_ISSUER"], settings["PORTAL_BASE_URL"]
    api_url = settings["PORTAL_API_URL"].rstrip("/")
    secret = settings["PORTAL_CLIENT_SECRET"]
    client_kwargs = {
        "scope": "openid profile email phone",
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
    }
    oauth = OAuth(app)
    idp = oauth.register(
        "idp",
        client_id=settings["PORTAL_CLIENT_ID"],
        client_secret=secret or None,
        server_metadata_url=issuer + "/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )

    def csrf_token() -> str:
        """Return this session's token for the logout form, creating it when needed."""
        return session.setdefault("csrf", secrets.token_urlsafe(24))

    app.jinja_env.globals.update(csrf_token=csrf_token, pages=PAGES, api=bool(api_url))

    ended = Ended()
    logout_tokens = LogoutTokens(
        issuer, settings["PORTAL_CLIENT_ID"],
        lambda fetch_again: idp.fetch_jwk_set(force=fetch_again))

    @app.before_request
    def drop_ended_session():
        """Forget a session the provider said ended (back-channel logout)."""
        user = session.get("user")
        if user and ended.covers(user):
            session.clear()

    @app.post("/backchannel-logout")
    def backchannel_logout():
        """Take the provider's logout token (Back-Channel Logout 1.0 section 2.5, 2.8)."""
        try:
            ended.add(logout_tokens.check(request.form.get("logout_token")))
        except LogoutTokenError as exc:
            answer = jsonify(error="invalid_request", error_description=str(exc))
            answer.status_code = 400
        except requests.RequestException:
            answer = jsonify(error="temporarily_unavailable",
                             error_description="The provider's keys cannot be fetched.")
            answer.status_code = 503
        else:
            answer = app.response_class(status=200)
        answer.headers["Cache-Control"] = "no-store"
        return answer

    @app.errorhandler(requests.RequestException)
    def provider_unreachable(exc: requests.RequestException):
        """Show an error page when the provider cannot be reached."""
        return error_page("provider_unreachable", f"Could not reach the provider: {exc}", 502)

    @app.get("/")
    def index():
        """Show who is signed in and link to the protected pages."""
        return render_template("index.html", user=session.get("user"))

    def start_login(acr_values: str, back_to: str, max_age: int | None = None,
                    retry: dict | None = None):
        """Send the user to the provider for a login of one of `acr_values` (at most
        `max_age` seconds old); then come back to `back_to`, making the API call `retry`
        first."""
        # Each login of its own, keyed by its state: two tabs may be logging in at once.
        state = secrets.token_urlsafe(24)
        pending = dict(session.get("pending") or {})
        while len(pending) >= MAX_PENDING:
            pending.pop(next(iter(pending)))
        wanted = min((level_of(value) for value in acr_values.split()), default=0)
        pending[state] = {"acr": wanted, "next": safe_path(back_to), "retry": retry}
        session["pending"] = pending
        extra = {"max_age": str(max_age)} if max_age is not None else {}
        return idp.authorize_redirect(base_url + "/callback", acr_values=acr_values,
                                      state=state, **extra)

    def protected_page(name: str):
        """Show a protected page, or step the user up to its level first."""
        title, required, blurb = PAGES[name]
        user = session.get("user")
        if not user or level_of(user.get("acr")) < required:
            return start_login(str(required), request.path)
        when = readable_time(user.get("auth_time"))
        return render_template(
            "page.html", title=title, required=required, blurb=blurb, user=user, when=when,
            level=level_of(user.get("acr")), who=display_name(user)
        )

    for name in PAGES:
        app.add_url_rule(f"/{name}", name, protected_page, defaults={"name": name})

    @app.get("/callback")
    def callback():
        """Finish the login: exchange the code, validate the ID token and check its acr."""
        pending = dict(session.get("pending") or {})
        asked = pending.pop(str(request.args.get("state", ""))[:100], None) or {}
        session["pending"] = pending
        wanted = level_of(asked.get("acr", 0))
        target = safe_path(asked.get("next", "/"))
        if "error" in request.args:
            return error_page(request.args["error"], request.args.get("error_description"))
        try:
            token = idp.authorize_access_token(
                claims_options={"iss": {"essential": True, "values": [issuer]}}
            )
        except (AuthlibBaseError, JoseError) as exc:
            return error_page(exc.error or "invalid_response", exc.description)
        claims = token.get("userinfo")
        if not claims:
            return error_page("invalid_response", "The provider returned no ID token.")
        if level_of(claims.get("acr")) < wanted:
            got = claims.get("acr")
            return error_page("insufficient_acr", f"Asked for acr {wanted}, received {got}.")
        session.pop("csrf", None)
        session["user"] = {key: claims[key] for key in CLAIMS if key in claims}
        session["user"]["logged_in_at"] = time.time()
        # The name and email come from userinfo (the ID token carries the login's claims).
        try:
            info = idp.userinfo(token=token)
        except (AuthlibBaseError, requests.RequestException, ValueError):
            info = {}
        if info.get("sub") == claims.get("sub"):
            session["user"].update({key: info[key] for key in ("name", "preferred_username",
                                                               "email") if key in info})
        session["id_token"] = token["id_token"]
        session["access_token"] = token["access_token"]
        if asked.get("retry") and api_url:
            # Once: an API still refusing the new login is an error, not another login.
            refused = call_api(asked["retry"], token["access_token"], step_up=False)
            if refused is not None:
                return refused
            session["notice"] = asked["retry"]["done"]
        return redirect(target)

    def call_api(call: dict, access_token: str | None, step_up: bool = True):
        """Make an API call for the Invoices page; return None when it succeeded, or the
        answer to give: a step-up the API's challenge asks for (RFC 9470; with `step_up`),
        or an error."""
        response = requests.request(call["method"], api_url + call["path"],
                                    json=call.get("json"), timeout=10,
                                    headers={"Authorization": f"Bearer {access_token}"})
        if response.ok:
            call["result"] = response.json()
            return None
        if response.status_code == 401 and step_up:
            # The login falls short (RFC 9470: ask for what the API names, as it names it),
            # or there is no token, or it expired: log in again, at least at the level
            # reading needs.
            challenge = challenge_of(response) or {}
            max_age = challenge.get("max_age", "")
            return start_login(challenge.get("acr_values") or str(READ_LEVEL), "/invoices",
                               int(max_age) if max_age.isdecimal() and len(max_age) < 9
                               else None, retry=call if call["method"] != "GET" else None)
        try:
            description = response.json().get("error_description")
        except ValueError:
            description = None
        return error_page("api_refused", description or f"HTTP {response.status_code}",
                          response.status_code if response.status_code < 500 else 502)

    if api_url:
        @app.get("/invoices")
        def invoices():
            """Show the invoices and the bank account the API holds for the user."""
            token = session.get("access_token")
            listing = {"method": "GET", "path": "/invoices"}
            account = {"method": "GET", "path": "/bank-account"}
            for call in (listing, account):
                refused = call_api(call, token)
                if refused is not None:
                    return refused
            user = session.get("user") or {}
            return render_template("invoices.html", invoices=listing["result"]["invoices"],
                                   iban=account["result"]["iban"], user=user,
                                   who=display_name(user), notice=session.pop("notice", None))

        @app.post("/bank-account")
        def change_bank_account():
            """Change the bank account at the API, stepping up first when it asks."""
            expected = session.get("csrf")
            if not expected or not secrets.compare_digest(request.form.get("csrf", ""),
                                                          expected):
                return error_page("invalid_request", "The form has expired; please try again.")
            iban = str(request.form.get("iban", ""))[:64]
            call = {"method": "PUT", "path": "/bank-account", "json": {"iban": iban},
                    "done": "Your bank account was changed."}
            refused = call_api(call, session.get("access_token"))
            if refused is not None:
                return refused
            session["notice"] = call["done"]
            return redirect("/invoices")

    @app.post("/logout")
    def logout():
        """Clear the portal session and end the session at the provider."""
        expected = session.get("csrf")
        if not expected or not secrets.compare_digest(request.form.get("csrf", ""), expected):
            return error_page("invalid_request", "The logout form has expired; please try again.")
        id_token = session.get("id_token")
        session.clear()
        if not id_token or not idp.load_server_metadata().get("end_session_endpoint"):
            return redirect("/")
        result = idp.create_logout_url(
            post_logout_redirect_uri=base_url + "/",
            id_token_hint=id_token,
            client_id=settings["PORTAL_CLIENT_ID"],
            state=secrets.token_urlsafe(16),
        )
        return redirect(result["url"])

    return app
