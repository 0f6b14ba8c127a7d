"""Tables of the provider. Times are float seconds since the epoch (UTC)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db


class Directory(db.Model):
    """A tenant: its own issuer, users, clients and level settings."""

    __tablename__ = "directory"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    required_level: Mapped[int] = mapped_column(Integer, default=30)
    # The level a password reset must reach without the password; None: the required level
    # (``idp.domain.recovery``).
    reset_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    points: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # How long each method counts once completed, in seconds, for the methods whose time its
    # admin limited (``LevelSettings.counts_for``); the others count for the whole session.
    counts_for: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    default_locale: Mapped[str] = mapped_column(String(8), default="en")
    # Where codes may be sent ({"sms": {...}}; voice calls follow it); empty: the safe default.
    destination_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Browser sessions end this long after they start, or after this long unused.
    session_hours: Mapped[int] = mapped_column(Integer, default=12)
    session_idle_minutes: Mapped[int] = mapped_column(Integer, default=60)
    # The standard claims its users are asked for on their profile; None: the default
    # (``idp.domain.claims.DEFAULT_ASKED``).
    asked_claims: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The policies its admin chose (idp.domain.policies); the others follow their defaults.
    policies: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    # Set while an operator has it disabled: every request under /d/<slug>/ is refused.
    disabled_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    # The brand (``idp.tenants.brand``): empty means the default accent, a sender made
    # from the name, and no support contact.
    accent: Mapped[str | None] = mapped_column(String(7), nullable=True)
    sender_name: Mapped[str | None] = mapped_column(String(11), nullable=True)
    support_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    support_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    support_phone: Mapped[str | None] = mapped_column(String(20), nullable=True)


class DirectoryLogo(db.Model):
    """A directory's logo: a checked PNG or SVG, served under its content hash."""

    __tablename__ = "directory_logo"
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"),
                                              primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[float] = mapped_column(Double)


class SigningKey(db.Model):
    """A directory's signing key; the private part is sealed with the secret key.

    A key is published from `created_at` and signs from `signs_from` (later, by the JWKS
    cache time, after a rotation) until a newer key of its algorithm starts signing
    (`retired_at`); it stays published until `publish_until`.
    """

    __tablename__ = "signing_key"
    __table_args__ = (
        Index("ix_signing_key_directory_alg_signs_from", "directory_id", "alg", "signs_from"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"),
                                              index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(10))
    private_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[float] = mapped_column(Double)
    signs_from: Mapped[float] = mapped_column(Double)
    retired_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    publish_until: Mapped[float | None] = mapped_column(Double, nullable=True)


class User(db.Model):
    """A person in one directory."""

    __tablename__ = "user_account"
    __table_args__ = (
        UniqueConstraint("directory_id", "username_key", name="uq_user_directory_username"),
        UniqueConstraint("directory_id", "email_key", name="uq_user_directory_email"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"),
                                              index=True)
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    username: Mapped[str] = mapped_column(String(150))
    username_key: Mapped[str] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    email_key: Mapped[str | None] = mapped_column(String(254), nullable=True)
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    phone_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # The locale claim (a BCP 47 tag, at most 35 characters as RFC 5646 4.4.1 advises).
    locale: Mapped[str | None] = mapped_column(String(35), nullable=True)
    # The other standard claims the user gave (``idp.users.claims``); the address as an
    # object of its parts (OIDC Core 5.1.1).
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Double)
    updated_at: Mapped[float] = mapped_column(Double)
    # Until when an admin lets the user set up a new method at their next login, once
    # (``idp.users.enrol_allowance``); None: no such allowance.
    enrol_allowed_until: Mapped[float | None] = mapped_column(Double, nullable=True)

    directory: Mapped[Directory] = relationship(lazy="joined")

    def get_user_id(self) -> str:
        """Return the subject identifier (``sub``), by the name OAuth libraries ask for it."""
        return self.subject


class Credential(db.Model):
    """An enrolled sign-in method of a user (TOTP secret, recovery code, ...)."""

    __tablename__ = "credential"
    __table_args__ = (Index("ix_credential_user_method", "user_id", "method"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20))
    label: Mapped[str | None] = mapped_column(String(100), nullable=True)
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    lookup: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    #: A slow, salted hash (argon2id) of a secret the user types, such as a recovery code.
    secret_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    counter: Mapped[int] = mapped_column(BigInteger, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Double)
    confirmed_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    last_used_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)



class MethodUse(db.Model):
    """When a user's method that has no row of its own was added and last used: the
    password (set; last login with it), text message and email codes (the destination
    proven; the last code accepted). ``idp.storage.method_use`` writes it."""

    __tablename__ = "method_use"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         primary_key=True)
    method: Mapped[str] = mapped_column(String(20), primary_key=True)
    added_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    last_used_at: Mapped[float | None] = mapped_column(Double, nullable=True)

class Client(db.Model):
    """A relying app registered in a directory."""

    __tablename__ = "client"
    __table_args__ = (
        UniqueConstraint("directory_id", "client_id", name="uq_client_directory_client_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"),
                                              index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    #: The secret a new one replaced, still accepted until `previous_secret_until` (the grace
    #: period of IDP_CLIENT_SECRET_GRACE_SECONDS), so the app can be given the new one.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous_secret_until: Mapped[float | None] = mapped_column(Double, nullable=True)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    first_party: Mapped[bool] = mapped_column(Boolean, default=True)
    min_acr: Mapped[int | None] = mapped_column(Integer, nullable=True)
    id_token_alg: Mapped[str] = mapped_column(String(10), default="RS256")
    scope: Mapped[str] = mapped_column(String(500), default="openid profile email address phone")
    #: A resource server: may introspect the tokens of every app of its directory.
    introspect_all: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())
    #: Access tokens as signed JWTs (RFC 9068) that an API can check by itself; otherwise
    #: opaque strings that only introspection describes.
    jwt_access_tokens: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    #: Its own subject identifier for each person, unlinkable to other apps' (OIDC Core 8.1).
    pairwise_subject: Mapped[bool] = mapped_column(Boolean, default=False,
                                                   server_default=false())
    #: Authenticates with a JWT signed by one of its keys (RFC 7523 ``private_key_jwt``)
    #: instead of its secret.
    private_key_jwt: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    #: Its public keys (a JWK Set), for its JWT client authentication and its signed
    #: request objects; or the URI it publishes them at (``jwks_uri``), never both.
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    jwks_uri: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: Its authorization requests must be pushed first (RFC 9126 ``require_pushed_
    #: authorization_requests``).
    require_par: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: It gets tokens only with a DPoP proof (RFC 9449): all its access tokens are bound
    #: to a key it holds.
    require_dpop: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Where it is told that a session it got tokens in has ended (OpenID Connect
    #: Back-Channel Logout 1.0).
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    #: May sign in devices without a browser (TVs, command-line tools) with a code the person
    #: types elsewhere (RFC 8628 device authorization grant).
    device_grant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[float] = mapped_column(Double)
    #: A service account: may use the client_credentials grant for the admin scopes below.
    service_account: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    #: The admin scopes (``admin:users`` ...) an admin granted the service account.
    service_scopes: Mapped[str] = mapped_column(String(200), default="", server_default="")


class BrowserSession(db.Model):
    """A browser's login session in one directory, found by the hash of its cookie."""

    __tablename__ = "browser_session"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"),
                                              index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=True, index=True)
    created_at: Mapped[float] = mapped_column(Double)
    last_seen_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    ended_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)

    methods: Mapped[list[SessionMethod]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="SessionMethod.completed_at")
    # Read with the session (``idp.users.sessions.load_session``) so that the session's
    # user is in the identity map when it is asked for; written only through ``user_id``.
    user: Mapped[User | None] = relationship(viewonly=True)


class SessionMethod(db.Model):
    """A sign-in method completed in a browser session."""

    __tablename__ = "session_method"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("browser_session.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    completed_at: Mapped[float] = mapped_column(Double)
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)


class Interaction(db.Model):
    """An authorization request waiting for the user to log in, step up or consent."""

    __tablename__ = "interaction"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("browser_session.id", ondelete="CASCADE"), index=True)
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double, index=True)


class PushedRequest(db.Model):
    """An authorization request an app pushed (RFC 9126), found once by the hash of its
    ``request_uri`` and kept until it expires; its parameters are already checked."""

    __tablename__ = "pushed_request"
    uri_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    params: Mapped[dict[str, str]] = mapped_column(JSON)
    expires_at: Mapped[float] = mapped_column(Double, index=True)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class DeviceAuthorization(db.Model):
    """A device's request to sign a person in (RFC 8628): found by the hash of its device
    code (the device's) or the keyed hash of its user code (the one a person types); pending
    until a login in a browser approves or denies it, then redeemed once by the device."""

    __tablename__ = "device_authorization"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"),
                                           index=True)
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    acr_values: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double, index=True)
    #: The seconds the device must wait between polls; slow_down adds 5 (RFC 8628 3.5).
    poll_interval: Mapped[int] = mapped_column(Integer)
    last_polled_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    #: pending, approved or denied.
    status: Mapped[str] = mapped_column(String(10))
    #: Who approved (or denied), from which browser session, and the login's outcome.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), nullable=True, index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("browser_session.id", ondelete="SET NULL"), nullable=True)
    acr: Mapped[str | None] = mapped_column(String(10), nullable=True)
    amr: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    auth_time: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    decided_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    #: When the device got its tokens: a device code is redeemed once.
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class AuthorizationCode(db.Model):
    """A single-use authorization code, stored by hash."""

    __tablename__ = "authorization_code"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("browser_session.id", ondelete="SET NULL"), nullable=True)
    redirect_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(Text, nullable=True)
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True)
    code_challenge_method: Mapped[str | None] = mapped_column(String(10), nullable=True)
    acr: Mapped[str] = mapped_column(String(10))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_time: Mapped[int] = mapped_column(BigInteger)
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class TokenFamily(db.Model):
    """A grant: the tokens one code exchange issued and the refresh rotations that followed.

    Revoking the family revokes every token in it, also one a concurrent rotation is
    adding at that moment: a token is only good while its family is.
    """

    __tablename__ = "token_family"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("browser_session.id", ondelete="SET NULL"), nullable=True, index=True)
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization_code.id", ondelete="SET NULL"), nullable=True, index=True)
    started_at: Mapped[float] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class Token(db.Model):
    """An access token and, optionally, its refresh token, stored by hash."""

    __tablename__ = "token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("browser_session.id", ondelete="SET NULL"), nullable=True, index=True)
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("authorization_code.id", ondelete="SET NULL"), nullable=True, index=True)
    family: Mapped[str] = mapped_column(
        ForeignKey("token_family.id", ondelete="CASCADE"), index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True,
                                                           nullable=True)
    scope: Mapped[str] = mapped_column(Text)
    acr: Mapped[str] = mapped_column(String(10))
    amr: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_time: Mapped[int] = mapped_column(BigInteger)
    claims: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    issued_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    refresh_expires_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    revoked_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    refresh_used_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    #: The thumbprint of the key the access token is bound to (RFC 9449 ``cnf.jkt``); a
    #: public app's refresh token is bound to it too.
    dpop_jkt: Mapped[str | None] = mapped_column(String(64), nullable=True)

    client: Mapped[Client] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")
    grant: Mapped[TokenFamily] = relationship(lazy="joined")


class ServiceToken(db.Model):
    """An access token of a service account (client_credentials grant), stored by hash.

    It has no user, no refresh token and no login level: the client acts for itself.
    """

    __tablename__ = "service_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"),
                                           index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double, nullable=True)

    client: Mapped[Client] = relationship(lazy="joined")


class Consent(db.Model):
    """Scopes a user granted to a client that is not first-party."""

    __tablename__ = "consent"
    __table_args__ = (UniqueConstraint("user_id", "client_pk", name="uq_consent_user_client"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Double)


class AuditEvent(db.Model):
    """Something that happened in a directory, for its admins."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_directory_at", "directory_id", "at"),
        Index("ix_audit_event_directory_event_at", "directory_id", "event", "at"),
        Index("ix_audit_event_user_at", "user_id", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Double)
    event: Mapped[str] = mapped_column(String(50))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    client_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OneTimeCode(db.Model):
    """A code sent by SMS or email, stored by keyed hash, bound to the session that asked."""

    __tablename__ = "one_time_code"
    __table_args__ = (
        Index("ix_one_time_code_session_channel", "session_id", "channel"),
        Index("ix_one_time_code_user_channel_sent", "user_id", "channel", "sent_at"),
        Index("ix_one_time_code_destination_sent", "destination", "sent_at"),
        Index("ix_one_time_code_ip_sent", "ip", "sent_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("browser_session.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))
    purpose: Mapped[str] = mapped_column(String(10))
    destination: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)


class RememberedDevice(db.Model):
    """A browser a user chose to remember; its cookie holds a token stored here by hash."""

    __tablename__ = "remembered_device"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    last_used_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    revoked_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class Passkey(db.Model):
    """A WebAuthn credential (passkey or security key) of a user, unique in its directory."""

    __tablename__ = "passkey"
    __table_args__ = (
        UniqueConstraint("directory_id", "credential_id", name="uq_passkey_directory_credential"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    credential_id: Mapped[str] = mapped_column(String(1400))  # base64url, at most 1023 bytes
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    aaguid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[float] = mapped_column(Double)
    last_used_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    clone_warning_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class SpentSeal(db.Model):
    """A sealed form value that was used (a WebAuthn challenge, a new app's key), by hash."""

    __tablename__ = "spent_seal"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Double, index=True)


class AppDevice(db.Model):
    """An activated authenticator app: its public key, its hashed PIN and its failures."""

    __tablename__ = "app_device"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    pin_hash: Mapped[str] = mapped_column(String(255))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    removed_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    confirmed_at: Mapped[float | None] = mapped_column(Double, nullable=True)  # first approval
    last_used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class AppActivation(db.Model):
    """A single-use code that binds a new app to a user, stored by hash."""

    __tablename__ = "app_activation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The browser session that asked for it: only its pages show the code again.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("browser_session.id", ondelete="CASCADE"), nullable=True, index=True)
    # The code sealed, so its page can show it again until it is used or expires.
    code_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class AppNonce(db.Model):
    """A server nonce an app signs once, stored by hash."""

    __tablename__ = "app_nonce"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("app_device.id", ondelete="CASCADE"),
                                           index=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class AppApproval(db.Model):
    """A login waiting for the user's app: the number the browser shows, and the answer."""

    __tablename__ = "app_approval"
    __table_args__ = (Index("ix_app_approval_user_created", "user_id", "created_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(
        ForeignKey("browser_session.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # "login" or "enrol"
    client_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    number: Mapped[int] = mapped_column(Integer)
    choices: Mapped[list[int]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_device.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    decided_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class Invitation(db.Model):
    """A single-use, expiring link that lets an invited user set their password."""

    __tablename__ = "invitation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class PasswordReset(db.Model):
    """A single-use, expiring link an admin sent to let a user choose a new password."""

    __tablename__ = "password_reset"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)


class AttemptBudget(db.Model):
    """Failed guesses at one account's secrets from one source, and its lock-outs.

    The key names the account and the source (``idp.security.attempts``); rows are taken
    under a row lock, so concurrent attempts are counted one by one.
    """

    __tablename__ = "attempt_budget"
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"),
                                              index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    locked_until: Mapped[float | None] = mapped_column(Double, nullable=True)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    notified_at: Mapped[float | None] = mapped_column(Double, nullable=True)
    updated_at: Mapped[float] = mapped_column(Double, index=True)


class Registration(db.Model):
    """A code that proves an email address for a new account (self-registration).

    Stored by keyed hash and bound to the directory and the pending login it was asked in.
    A row without a code hash is a sign-up tried with an address that already has an
    account: its owner was told so instead, and the row counts against the same waits and
    limits. Not tied to the login by a foreign key, so the counts outlive a cancelled login.
    """

    __tablename__ = "registration"
    __table_args__ = (
        Index("ix_registration_email_sent", "email_key", "sent_at"),
        Index("ix_registration_ip_sent", "ip", "sent_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory_id: Mapped[int] = mapped_column(ForeignKey("directory.id", ondelete="CASCADE"))
    interaction_id: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    code_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[float | None] = mapped_column(Double, nullable=True)
