"""The vocabulary of the audit log: every event the provider records, declared once.

An event is declared with its name as stored (the log of every directory already holds
these names: never rename one), its family (the part of the name before the first dot,
which groups it in the admin's filter), what it means for the directory's admins, what it
means for the person it is about when their profile's recent activity shows it (no text:
not shown to them), and the details it records, each with its label.

``idp.audit.record`` takes only these declarations, so an event nobody can filter or read
cannot be written. The admin's audit log (``idp.admin.audit_log``) and the person's recent
activity (``idp.web.account.profile_activity``) read their texts here. The texts are
English and marked with ``N_``: whoever shows one translates it then (gettext).

A person's text may name these parameters, which the profile fills from the event:
``app`` (the app logged in to), ``level`` (the level reached), ``method`` (the sign-in
method's title), ``name`` (the item's name: app, passkey or device), ``count`` (how many)
and ``what`` (the admin's text, translated).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..i18n import N_

#: The parameters a person's text may name (see the module's docstring).
USER_PARAMETERS = ("app", "level", "method", "name", "count", "what")
#: The detail keys that record a change, shown together as one "changes" detail.
CHANGE_KEYS = ("before", "after")


class UndeclaredEvent(TypeError):
    """An audit event was recorded that this vocabulary does not declare."""


@dataclass(frozen=True)
class Family:
    """A family of events: the first part of their names, and its title in the filter."""

    name: str
    title: str


@dataclass(frozen=True)
class Detail:
    """A detail an event records: its key in the stored detail, and its label."""

    key: str
    label: str


@dataclass(frozen=True)
class Event:
    """One kind of audit event (see the module's docstring)."""

    name: str
    family: Family
    admin_text: str
    user_text: str | None = None
    #: A detail key, and the person's text used instead of `user_text` when it is set.
    user_text_if: tuple[str, str] | None = None
    details: tuple[Detail, ...] = ()

    @property
    def shown(self) -> bool:
        """Say whether the person the event is about sees it in their recent activity."""
        return self.user_text is not None

    def user_text_for(self, detail: Mapping[str, object] | None) -> str | None:
        """Return the person's text for an event with this detail (None: not shown)."""
        if self.user_text_if is not None and (detail or {}).get(self.user_text_if[0]):
            return self.user_text_if[1]
        return self.user_text

    def declares(self, key: str) -> bool:
        """Say whether the event declares a detail key (`before`/`after` as its changes)."""
        keys = {d.key for d in self.details}
        return key in keys or (key in CHANGE_KEYS and CHANGES.key in keys)


# --- Families, in the order of the admin's filter ----------------------------------------

FAMILIES: dict[str, Family] = {family.name: family for family in (
    Family("login", N_("Logins")),
    Family("method", N_("Sign-in methods")),
    Family("challenge", N_("Codes and requests sent")),
    Family("account", N_("Lock-outs")),
    Family("app", N_("Authenticator app")),
    Family("passkey", N_("Passkeys")),
    Family("recovery_codes", N_("Recovery codes")),
    Family("device", N_("Remembered devices")),
    Family("session", N_("Sessions")),
    Family("logout", N_("Log-outs")),
    Family("code", N_("Authorization codes")),
    Family("refresh_token", N_("Refresh tokens")),
    Family("tokens", N_("App tokens")),
    Family("invitation", N_("Invitations")),
    Family("registration", N_("Self-registration")),
    Family("password_reset", N_("Password resets")),
    Family("consent", N_("App access")),
    Family("profile", N_("Profile changes")),
    Family("settings", N_("Settings changes")),
    Family("admin", N_("Admin actions")),
    Family("directory", N_("Directory changes by the operator")),
)}


# --- Details, in the order the admin's log shows them --------------------------------------

ACTOR = Detail("actor", N_("By"))
#: A change made through the admin API: the client id of the service account that made it.
ACTOR_CLIENT = Detail("actor_client", N_("By service account"))
METHOD = Detail("method", N_("Method"))
METHODS = Detail("methods", N_("Methods"))
LEVEL = Detail("level", N_("Level"))
ACR = Detail("acr", N_("Level (acr)"))
AMR = Detail("amr", N_("Proofs (amr)"))
PURPOSE = Detail("purpose", N_("Purpose"))
DEVICE = Detail("device", N_("Device"))
PASSKEY = Detail("passkey", N_("Passkey"))
NAME = Detail("name", N_("Name"))
TYPED_LOGIN = Detail("login", N_("Typed login"))
LIMIT = Detail("limit", N_("Limit"))
SCOPE = Detail("scope", N_("Who waits"))
SECONDS = Detail("seconds", N_("Wait (seconds)"))
LOCKOUTS = Detail("lockouts", N_("Lock-outs in a row"))
FAILURES = Detail("failures", N_("Failures"))
STORED_COUNT = Detail("stored_count", N_("Signature counter stored"))
REPORTED_COUNT = Detail("reported_count", N_("Signature counter reported"))
FIELDS = Detail("fields", N_("Fields"))
SESSION = Detail("session", N_("Session"))
CURRENT = Detail("current", N_("This browser's session"))
OTHERS = Detail("others", N_("Other sessions"))
COUNT = Detail("count", N_("Number"))
SESSIONS = Detail("sessions", N_("Sessions"))
SESSIONS_ENDED = Detail("sessions_ended", N_("Sessions ended"))
DEVICES = Detail("devices", N_("Remembered devices forgotten"))
GRANTS = Detail("grants", N_("App sign-ins revoked"))
REASON = Detail("reason", N_("Reason"))
IS_ADMIN = Detail("admin", N_("Administrator"))
PUBLIC = Detail("public", N_("Public app"))
INTROSPECT_ALL = Detail("introspect_all", N_("May introspect every app's tokens"))
JWT_ACCESS_TOKENS = Detail("jwt_access_tokens", N_("Access tokens as signed JWTs"))
PAIRWISE_SUBJECT = Detail("pairwise_subject", N_("A subject identifier of its own"))
PRIVATE_KEY_JWT = Detail("private_key_jwt", N_("Authenticates with its key"))
REQUIRE_PAR = Detail("require_par", N_("Must push its authorization requests"))
REQUIRE_DPOP = Detail("require_dpop", N_("Must bind its tokens to its key"))
DEVICE_GRANT = Detail("device_grant", N_("Signs in devices with a code"))
SERVICE_SCOPES = Detail("service_scopes", N_("Admin scopes of the service account"))
CHANGES = Detail("changes", N_("Changes"))
USERS_LOSING = Detail("users_losing", N_("Users who could no longer reach the level"))
USERS_LOSING_SMS = Detail("users_losing_sms", N_("Users who could no longer get text messages"))
USERS_LOCKED_OUT = Detail("users_locked_out", N_("Users locked out"))
SMS_ONLY = Detail("sms_only", N_("Reachable only with SMS"))
SMS_EXCLUDED = Detail("sms_excluded", N_("Users SMS alone excludes"))
FILTER = Detail("filter", N_("Filter"))
SCOPES = Detail("scopes", N_("Scopes"))
DIRECTORY = Detail("directory", N_("Directory"))
HOURS = Detail("hours", N_("Valid for (hours)"))
GRACE = Detail("grace_seconds", N_("Old secret still accepted for (seconds)"))

#: Every detail by its key, in the order the admin's log shows them.
DETAILS: dict[str, Detail] = {detail.key: detail for detail in (
    ACTOR, ACTOR_CLIENT, METHOD, METHODS, LEVEL, ACR, AMR, PURPOSE, DEVICE, PASSKEY, NAME,
    TYPED_LOGIN,
    LIMIT, SCOPE, SECONDS, LOCKOUTS, FAILURES, STORED_COUNT, REPORTED_COUNT, FIELDS, SESSION,
    CURRENT, OTHERS, COUNT, SESSIONS, SESSIONS_ENDED, DEVICES, GRANTS, REASON, IS_ADMIN, PUBLIC,
    INTROSPECT_ALL, JWT_ACCESS_TOKENS, PAIRWISE_SUBJECT, PRIVATE_KEY_JWT, REQUIRE_PAR, REQUIRE_DPOP,
    DEVICE_GRANT, CHANGES,
    USERS_LOSING, USERS_LOSING_SMS, USERS_LOCKED_OUT, SMS_ONLY, SMS_EXCLUDED, FILTER, SCOPES,
    SERVICE_SCOPES, DIRECTORY, HOURS, GRACE)}

#: Every declared event by its stored name, in the order of declaration.
EVENTS: dict[str, Event] = {}


def declare(name: str, admin_text: str, user_text: str | None = None, *,
            details: tuple[Detail, ...] = (),
            user_text_if: tuple[str, str] | None = None) -> Event:
    """Declare an event once; its family is the part of its name before the first dot."""
    if name in EVENTS:
        raise ValueError(f"audit event {name!r} is declared twice")
    event = Event(name, FAMILIES[name.split(".", 1)[0]], admin_text, user_text,
                  user_text_if, details)
    EVENTS[name] = event
    return event


#: What a person reads about an admin's action on their account.
BY_ADMIN = N_("By an administrator: %(what)s")


# --- Logins -------------------------------------------------------------------------------

LOGIN = declare(
    "login", N_("Logged in"), N_("Logged in to %(app)s (level %(level)s)"),
    details=(METHODS, LEVEL, ACR, AMR))
LOGIN_FAILED = declare("login.failed", N_("Failed login"), details=(METHOD,))
#: The right password (or a valid passkey) of a disabled account: refused, told so, and not
#: counted as a failed guess.
LOGIN_DISABLED = declare(
    "login.disabled", N_("Login refused: the account is disabled"),
    N_("A login was refused while your account was disabled"), details=(METHOD,))
LOGIN_DENIED = declare(
    "login.denied", N_("Login denied by the user"),
    N_("You said in the app that a login was not you"), details=(METHOD,))
#: What a device asked for (RFC 8628) was not allowed: the person denied it on the
#: verification page (reason access_denied), or could not reach the level it needs
#: (unmet_authentication_requirements).
LOGIN_DEVICE_DENIED = declare(
    "login.device_denied", N_("Sign-in on a device not allowed"),
    N_("A sign-in to %(app)s on a device was not allowed"), details=(REASON,))

# --- Sign-in methods ----------------------------------------------------------------------

METHOD_COMPLETED = declare("method.completed", N_("Method completed"), details=(METHOD,))
METHOD_FAILED = declare("method.failed", N_("Method failed"),
                        N_("Failed check: %(method)s"), details=(METHOD,))
METHOD_ENROLLED = declare("method.enrolled", N_("Method enrolled"),
                          N_("Sign-in method added: %(method)s"), details=(METHOD, NAME))
METHOD_REMOVED = declare("method.removed", N_("Method removed"),
                         N_("Sign-in method removed: %(method)s"), details=(METHOD, NAME))
METHOD_ENROLLED_WITH_HELP = declare(
    "method.enrolled_with_help", N_("Method enrolled with an admin's allowance"),
    N_("Sign-in method added with your administrator's help: %(method)s"),
    details=(METHOD,))
METHOD_RENAMED = declare("method.renamed", N_("Method renamed"),
                         N_("Sign-in method renamed: %(name)s"),
                         details=(METHOD, NAME, CHANGES))
METHOD_PREPARED = declare("method.prepared",
                          N_("Method set-up prepared (an activation code made)"),
                          details=(METHOD,))
CHALLENGE_SENT = declare("challenge.sent", N_("Code or request sent"),
                         details=(METHOD, PURPOSE))
ACCOUNT_LOCKED = declare("account.locked", N_("Account locked after failed attempts"),
                         details=(METHOD, TYPED_LOGIN, LIMIT, SCOPE, SECONDS, LOCKOUTS))

# --- The authenticator app, passkeys, recovery codes, remembered devices -----------------

APP_ACTIVATED = declare("app.activated", N_("App activated"), N_("App activated: %(name)s"),
                        details=(DEVICE,))
APP_APPROVED = declare("app.approved", N_("Login approved in the app"),
                       N_("Login approved in the app"), details=(DEVICE,))
APP_DENIED = declare("app.denied", N_("Login denied in the app"),
                     N_("Login refused in the app"), details=(DEVICE,))
APP_REFUSED = declare("app.refused", N_("App approval with the wrong number"),
                      N_("A wrong number was picked in the app"), details=(DEVICE,))
APP_REMOVED = declare("app.removed", N_("App removed"), N_("App removed: %(name)s"),
                      details=(DEVICE,))
APP_BLOCKED = declare("app.blocked", N_("App blocked after wrong PINs"),
                      details=(DEVICE, FAILURES))
#: The app's answers to a login request, by the status the app's API reports.
APP_ANSWERS: dict[str, Event] = {"approved": APP_APPROVED, "denied": APP_DENIED,
                                 "refused": APP_REFUSED}
PASSKEY_CLONE_WARNING = declare(
    "passkey.clone_warning", N_("Passkey may have been copied"),
    N_("A passkey looked copied and was refused: %(name)s"),
    details=(PASSKEY, STORED_COUNT, REPORTED_COUNT))
RECOVERY_CODES_ISSUED = declare("recovery_codes.issued", N_("Recovery codes issued"),
                                N_("New recovery codes created"))
DEVICE_REMEMBERED = declare("device.remembered", N_("Device remembered"),
                            N_("This device was remembered"))
DEVICE_REVOKED = declare("device.revoked", N_("Remembered device ended"),
                         N_("Remembered device forgotten: %(name)s"), details=(DEVICE,))

# --- Sessions and tokens ------------------------------------------------------------------

SESSION_ENDED = declare(
    "session.ended", N_("Session ended"), N_("A session was ended"),
    user_text_if=(OTHERS.key, N_("Other sessions ended: %(count)s")),
    details=(SESSION, CURRENT, OTHERS, COUNT))
LOGOUT = declare("logout", N_("Logged out"), N_("Logged out"))
CODE_REPLAYED = declare("code.replayed", N_("Authorization code used twice"),
                        details=(GRANTS,))
REFRESH_TOKEN_REUSED = declare("refresh_token.reused", N_("Refresh token used twice"))
TOKENS_REVOKED = declare("tokens.revoked", N_("App tokens revoked because sessions ended"),
                         details=(REASON, SESSIONS, GRANTS))
#: A service account got an access token (client_credentials grant), with the scopes granted.
TOKENS_SERVICE_ISSUED = declare("tokens.service_issued",
                                N_("Access token issued to a service account"),
                                details=(SCOPES,))
INVITATION_ACCEPTED = declare("invitation.accepted", N_("Invitation accepted"))
REGISTRATION_COMPLETED = declare("registration.completed",
                                 N_("Account created by the person (self-registration)"),
                                 N_("You created your account"))
#: A sign-up was tried with the address of this existing user; they were emailed about it.
REGISTRATION_EXISTING_ADDRESS = declare(
    "registration.existing_address", N_("Sign-up tried with this user's email address"))
#: Account recovery ("Forgot your password?", or an admin's reset link), step by step.
PASSWORD_RESET_STARTED = declare("password_reset.started",
                        N_("Password reset asked for (a code was sent, if the name is known)"),
                        details=(METHOD,))
PASSWORD_RESET_CODE_UNDELIVERED = declare(
    "password_reset.code_undelivered",
    N_("Password reset: the first code could not be sent (the person was not told)"),
    details=(METHOD, REASON))
PASSWORD_RESET_PROOF = declare("password_reset.proof", N_("Password reset: a method was proven"),
                      details=(METHOD, LEVEL))
PASSWORD_RESET_LEVEL_REACHED = declare("password_reset.level_reached",
                              N_("Password reset: the reset level was reached"),
                              details=(LEVEL, METHODS))
PASSWORD_RESET_STUCK = declare("password_reset.stuck",
                      N_("Password reset: the person's methods cannot reach the reset level; "
                         "they were told to contact an admin"), details=(LEVEL, METHODS))
PASSWORD_RESET_COMPLETED = declare("password_reset.completed",
                          N_("Password reset: a new password was chosen, every session ended"),
                          N_("Your password was reset"), details=(PURPOSE, SESSIONS, GRANTS))
CONSENT_WITHDRAWN = declare("consent.withdrawn", N_("App access removed by the user"),
                            N_("Access removed for %(app)s"), details=(SCOPES, GRANTS))

# --- The person's own details -------------------------------------------------------------

PROFILE_NAME_CHANGED = declare("profile.name_changed", N_("Name changed"), N_("Name changed"))
PROFILE_EMAIL_CHANGED = declare("profile.email_changed", N_("Email address changed"),
                                N_("Email address changed"), details=(CHANGES,))
PROFILE_PHONE_CHANGED = declare("profile.phone_changed", N_("Phone number changed"),
                                N_("Phone number changed"), details=(CHANGES,))
PROFILE_PASSWORD_CHANGED = declare("profile.password_changed", N_("Password changed"),
                                   N_("Password changed"), details=(SESSIONS_ENDED,))
PROFILE_CLAIMS_CHANGED = declare("profile.claims_changed", N_("Profile details changed"),
                                 N_("Profile details changed"), details=(FIELDS,))
#: A proven new contact address, by the contact's name (`email`, `phone`).
CONTACT_CHANGED: dict[str, Event] = {"email": PROFILE_EMAIL_CHANGED,
                                     "phone": PROFILE_PHONE_CHANGED}

# --- Administration -----------------------------------------------------------------------

SETTINGS_CHANGED = declare(
    "settings.changed", N_("Settings changed"),
    details=(ACTOR, ACTOR_CLIENT, CHANGES, USERS_LOSING, USERS_LOSING_SMS, USERS_LOCKED_OUT,
             SMS_ONLY, SMS_EXCLUDED))
SETTINGS_CLAIMS_CHANGED = declare("settings.claims_changed",
                                  N_("Profile details asked of users changed"),
                                  details=(ACTOR, ACTOR_CLIENT, CHANGES))
SETTINGS_POLICIES_CHANGED = declare("settings.policies_changed", N_("Policies changed"),
                                    details=(ACTOR, ACTOR_CLIENT, CHANGES))
ADMIN_USER_CREATED = declare("admin.user_created", N_("User created"), BY_ADMIN,
                             details=(ACTOR, ACTOR_CLIENT, IS_ADMIN))
ADMIN_INVITATION_SENT = declare("admin.invitation_sent", N_("Invitation sent"), BY_ADMIN,
                                details=(ACTOR, ACTOR_CLIENT))
ADMIN_RESET_LINK_SENT = declare("admin.reset_link_sent", N_("Password reset link sent"),
                                BY_ADMIN, details=(ACTOR, ACTOR_CLIENT))
ADMIN_USER_UPDATED = declare("admin.user_updated", N_("User details changed"), BY_ADMIN,
                             details=(ACTOR, ACTOR_CLIENT, FIELDS))
ADMIN_USER_DISABLED = declare("admin.user_disabled", N_("User disabled"), BY_ADMIN,
                              details=(ACTOR, ACTOR_CLIENT, DEVICES))
ADMIN_USER_ENABLED = declare("admin.user_enabled", N_("User enabled"), BY_ADMIN,
                             details=(ACTOR, ACTOR_CLIENT))
ADMIN_USER_UNLOCKED = declare("admin.user_unlocked",
                              N_("User unlocked after failed attempts"), BY_ADMIN,
                              details=(ACTOR, ACTOR_CLIENT, COUNT))
ADMIN_METHOD_REMOVED = declare("admin.method_removed", N_("Method removed by an admin"),
                               BY_ADMIN, details=(ACTOR, ACTOR_CLIENT, METHOD))
ADMIN_ENROL_ALLOWED = declare(
    "admin.enrol_allowed", N_("New method allowed at the next login"), BY_ADMIN,
    details=(ACTOR, ACTOR_CLIENT, HOURS))
ADMIN_ENROL_WITHDRAWN = declare(
    "admin.enrol_withdrawn", N_("New method at the next login no longer allowed"), BY_ADMIN,
    details=(ACTOR, ACTOR_CLIENT))
ADMIN_SESSIONS_ENDED = declare("admin.sessions_ended", N_("Sessions ended by an admin"),
                               BY_ADMIN, details=(ACTOR, ACTOR_CLIENT, SESSIONS, DEVICES))
ADMIN_CLIENT_CREATED = declare("admin.client_created", N_("App registered"),
                               details=(ACTOR, ACTOR_CLIENT, PUBLIC, INTROSPECT_ALL,
                                        JWT_ACCESS_TOKENS, PAIRWISE_SUBJECT, PRIVATE_KEY_JWT,
                                        REQUIRE_PAR, REQUIRE_DPOP, DEVICE_GRANT,
                                        SERVICE_SCOPES))
ADMIN_CLIENT_UPDATED = declare("admin.client_updated", N_("App changed"),
                               details=(ACTOR, ACTOR_CLIENT, FIELDS))
ADMIN_CLIENT_SECRET_ROTATED = declare("admin.client_secret_rotated", N_("App secret rotated"),
                                      details=(ACTOR, ACTOR_CLIENT, GRACE))
ADMIN_CLIENT_SECRET_GRACE_ENDED = declare("admin.client_secret_grace_ended",
                                          N_("App's old secret stopped before its time"),
                                          details=(ACTOR, ACTOR_CLIENT))
ADMIN_CLIENT_DISABLED = declare("admin.client_disabled", N_("App disabled"),
                                details=(ACTOR, ACTOR_CLIENT))
ADMIN_CLIENT_ENABLED = declare("admin.client_enabled", N_("App enabled"),
                               details=(ACTOR, ACTOR_CLIENT))
ADMIN_DIRECTORY_CREATED = declare("admin.directory_created",
                                  N_("Directory created by an operator"),
                                  details=(ACTOR, DIRECTORY, NAME))
ADMIN_DIRECTORY_DISABLED = declare("admin.directory_disabled",
                                   N_("Directory disabled by an operator"),
                                   details=(ACTOR, DIRECTORY))
ADMIN_DIRECTORY_ENABLED = declare("admin.directory_enabled",
                                  N_("Directory enabled by an operator"),
                                  details=(ACTOR, DIRECTORY))
ADMIN_BRAND_CHANGED = declare("admin.brand_changed", N_("Brand changed"),
                              details=(ACTOR, ACTOR_CLIENT, FIELDS))
ADMIN_AUDIT_EXPORTED = declare("admin.audit_exported", N_("Audit log exported"),
                               details=(ACTOR, ACTOR_CLIENT, FILTER))

# --- The directory itself, changed by the installation's operator (`idp directory ...`) ------

DIRECTORY_CREATED = declare("directory.created", N_("Directory created"), details=(NAME,))
DIRECTORY_RENAMED = declare("directory.renamed", N_("Directory renamed"), details=(CHANGES,))
DIRECTORY_DISABLED = declare("directory.disabled",
                             N_("Directory disabled: its sessions ended, its tokens revoked"),
                             details=(SESSIONS, GRANTS))
DIRECTORY_ENABLED = declare("directory.enabled", N_("Directory enabled"))


def find_event(name: str) -> Event | None:
    """Return the declared event of a stored name, or None (a name no longer declared)."""
    return EVENTS.get(name)


def declared(event: object) -> Event:
    """Return the event if this vocabulary declares it; raise UndeclaredEvent otherwise."""
    if isinstance(event, Event) and EVENTS.get(event.name) is event:
        return event
    raise UndeclaredEvent(f"{event!r} is not an event of idp.audit.events: declare it there")


def shown_names() -> tuple[str, ...]:
    """Return the names of the events a person sees in their recent activity."""
    return tuple(name for name, event in EVENTS.items() if event.shown)
