"""The Authlib authorization server and its storage hooks, for the current directory.

One server serves every directory: each hook reads the directory of the
request (``flask.g.directory``), so a client, code or token of one directory
is never found from another.

A token request is one transaction: the code, device code or refresh token is claimed, the
grant and its tokens are added and the audit is written, and all of it commits together
after everything that can fail (``Server.create_token_response``). A claim holds its row
until then, so a second redemption of the same code or refresh token waits for the
first to commit and then finds the tokens it must revoke; a failed database leaves the
code or refresh token as it was, to be tried again.

A code is read first and claimed last (``PendingCode``): its tokens are made and signed
before the transaction begins, which then holds only the claim, the check of the
browser session and the new rows. On SQLite a transaction that writes holds the whole
database, so what it holds is what every other writer waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import OAuth2Error, OAuth2Request, grants
from authlib.oauth2.rfc6749.errors import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    MissingAuthorizationError,
    UnauthorizedClientError,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, JsonRequest
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc8628 import (
    AuthorizationPendingError,
    DeviceCodeGrant,
    ExpiredTokenError,
    SlowDownError,
)
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import g
from flask import request as flask_request
from sqlalchemy import bindparam, select

from .. import audit
from ..clock import now as clock_now
from ..config import Settings, current_settings
from ..domain.lifetimes import refresh_expiry
from ..domain.policies import ACCESS_TOKEN_MINUTES, REFRESH_ABSOLUTE_DAYS, REFRESH_TOKEN_DAYS
from ..security.tokens import hash_secret, new_secret, presented_digest
from ..services import services
from ..storage import db
from ..storage.models import (
    AuthorizationCode,
    BrowserSession,
    DeviceAuthorization,
    Token,
    TokenFamily,
    User,
)
from ..storage.plain import PlainQuery, PlainRows, PlainStatement
from ..tenants.accounts import active_user, is_active, served_user
from ..tenants.clients import may_introspect, serving_client
from ..tenants.device_codes import (
    APPROVED,
    DENIED,
    find_by_device_code,
    note_poll,
    redeem_request,
)
from ..tenants.directories import issuer_of
from ..tenants.grants import add_token, revoke_families, revoke_token, start_family, token_good
from ..tenants.keys import signing_key, verification_keyset
from ..tenants.logout_notices import set_sender as set_logout_sender
from ..tenants.policies import directory_policies
from ..tenants.service_accounts import add_service_token, allowed_scope, find_service_token
from ..tenants.tokens import find_token
from ..users.sessions import LIVE, end_sessions, live_values
from .access_tokens import AccessTokens, hand_login, issue_moment
from .backchannel import send_logouts
from .claims import app_session_id, app_subject, user_claims
from .client_auth import CONFIDENTIAL_AUTH, PrivateKeyJwt
from .client_auth import METHOD as CLIENT_ASSERTION
from .device_authorization import DeviceEndpoint
from .dpop import PROOF_ALGS, DPoPError, Proof, check_proof, current_nonce
from .login import LoginResult
from .models import OAuthClient, ServiceAccessToken, StoredCode, StoredDevice, StoredToken

#: The longest authorization code looked up: ours are 48 characters.
MAX_CODE_LENGTH = 200


def current_issuer() -> str:
    """Return the issuer of the directory being served."""
    return issuer_of(g.directory, services().base_url)


def session_holds(session_id: int | None, now: float) -> bool:
    """Say whether the browser session a code came from is live, holding its row until commit.

    Ending a session writes its row before it revokes the session's grants
    (``idp.users.sessions.end_sessions``): holding the row (FOR SHARE on PostgreSQL; SQLite has
    one writer at a time) makes the end wait for this exchange's grant, or this exchange
    see the session ended.
    """
    if session_id is None:
        return False
    return _HOLD_SESSION.first(session=session_id, **live_values(g.directory, now)) is not None


# The statements of every exchange and refresh, built once (as ``LIVE``).
# Run on the driver's cursor (``idp.storage.plain``): the rows they read and write are
# never held by the session.
_HOLD_SESSION = PlainStatement(select(BrowserSession.id).where(
    BrowserSession.id == bindparam("session"), *LIVE).with_for_update(read=True))
_CODE_AND_USER = PlainRows(AuthorizationCode, User)
_CODE = AuthorizationCode.__table__.c
_READ_CODE = PlainQuery(_CODE_AND_USER, _CODE_AND_USER.select().join_from(
    AuthorizationCode, User, _CODE.user_id == User.__table__.c.id).where(
    _CODE.code_hash == bindparam("digest"), _CODE.directory_id == bindparam("directory")))
_CLAIM_CODE = PlainStatement(AuthorizationCode.__table__.update().where(
    _CODE.id == bindparam("code"), _CODE.used_at.is_(None)).values(used_at=bindparam("now")))
_TOKEN = Token.__table__.c
_CLAIM_REFRESH = PlainStatement(Token.__table__.update().where(
    _TOKEN.id == bindparam("token"), _TOKEN.refresh_used_at.is_(None)).values(
    refresh_used_at=bindparam("now")))


def endpoint_url() -> str:
    """Return the URL of the endpoint being served, as apps address it (a DPoP ``htu``)."""
    return services().base_url.rstrip("/") + flask_request.path


def token_request_proof() -> Proof | None:
    """Check the DPoP proof of a token request, if it has one (RFC 9449 5), and keep it for
    the tokens it binds (``bound_key``)."""
    values = flask_request.headers.getlist("DPoP")
    if not values:
        return None
    g.dpop = check_proof(values, "POST", endpoint_url(), services().sealer.digest,
                         need_nonce=True)
    return g.dpop


def dpop_nonce() -> str:
    """Return the DPoP nonce the provider hands out now."""
    return current_nonce(services().sealer.digest)


def bound_key() -> str | None:
    """Return the thumbprint of the key this token request's proof was made with."""
    proof: Proof | None = g.get("dpop")
    return proof.jkt if proof is not None else None


class DPoPRequired(OAuth2Error):
    """An app whose admin requires DPoP asked for tokens without a proof (RFC 9449 5)."""

    error = "invalid_dpop_proof"
    description = "This client must send a DPoP proof."


def _client_with_proof(client: OAuthClient) -> OAuthClient:
    if client.row.require_dpop and bound_key() is None:
        raise DPoPRequired()
    return client


def opaque_token(*_args: Any, **_kwargs: Any) -> str:
    """Return a new opaque access or refresh token: 256 random bits, URL-safe (Authlib's
    default draws each of its 42 characters with a call of its own to the system's random
    source)."""
    return new_secret()


def access_token_seconds(_client: Any, _grant_type: str) -> int:
    """Return how long an access token of this directory lives (its ``expires_in``)."""
    return directory_policies(g.directory).seconds(ACCESS_TOKEN_MINUTES)


class Server(AuthorizationServer):
    """Authlib's server with our client lookup and token storage."""

    #: The introspection endpoint, as registered (``plain_introspection`` runs it).
    introspection: Introspection

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        # A stored authorization request (resumed after login) is already built.
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)

    def query_client(self, client_id: str) -> OAuthClient | None:
        row = serving_client(g.directory, client_id)
        if row is None or row.disabled:
            return None
        return OAuthClient(row)

    def create_bearer_token_generator(self, config):
        """Make Bearer tokens whose lifetime is the directory's access-token policy: opaque,
        or signed JWTs for the apps whose admin chose them (``idp.oidc.access_tokens``)."""
        generator = super().create_bearer_token_generator(config)
        generator.expires_generator = access_token_seconds
        return AccessTokens(generator)

    def create_token_response(self, request=None):
        """Answer a token request in one transaction, committed after everything that can fail.

        A database failure undoes all of it (the web layer's error handler rolls back and
        answers an outage 503 temporarily_unavailable), so the code or refresh token can be
        used again.
        """
        response = super().create_token_response(request)
        pending: PendingCode | None = g.pop("pending_code", None)
        if pending is not None and not pending.settle() and pending.store is not None:
            # Presented again meanwhile, or its browser session ended: no tokens.
            response = self.handle_error_response(request, InvalidGrantError())
        db.session.commit()
        return response

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Add the tokens to the transaction: a new grant for a code (once the code is
        claimed, see ``PendingCode``), the same for a refresh, a service token for a service
        account."""
        pending: PendingCode | None = g.get("pending_code")
        if pending is not None:
            pending.store = lambda: self._add_tokens(token, request)
        else:
            self._add_tokens(token, request)

    @staticmethod
    def _add_tokens(token: dict[str, Any], request: OAuth2Request) -> None:
        now = issue_moment()
        if request.payload.grant_type == ServiceGrant.GRANT_TYPE:
            scope = token.get("scope", "")
            add_service_token(request.client.row, token["access_token"], scope, now,
                              int(token["expires_in"]))
            audit.record(g.directory.id, audit.events.TOKENS_SERVICE_ISSUED, now,
                         client_id=request.client.row.client_id, ip=flask_request.remote_addr,
                         user_agent=flask_request.user_agent.string, scopes=scope.split())
            return
        code: StoredCode | None = request.authorization_code
        device: StoredDevice | None = request.credential
        previous: StoredToken | None = request.refresh_token
        source: AuthorizationCode | DeviceAuthorization | Token
        if code is not None or device is not None:
            # A new grant: a code's, or an approved device's (RFC 8628 3.5).
            source = code.row if code is not None else device.row  # type: ignore[union-attr]
            grant = start_family(g.directory.id, request.client.row.id, request.user.id,
                                 source.session_id, code.row.id if code else None, now)
        else:
            source = previous.row  # type: ignore[union-attr]
            grant = source.grant
        refresh = token.get("refresh_token")
        policies = directory_policies(g.directory)
        add_token(
            directory_id=g.directory.id, client_pk=request.client.row.id,
            user_id=request.user.id, session_id=source.session_id,
            code_id=code.row.id if code else None, family=grant.id,
            access_token_hash=hash_secret(token["access_token"]),
            refresh_token_hash=hash_secret(refresh) if refresh else None,
            scope=token.get("scope") or source.scope, acr=source.acr,
            amr=list(source.amr or []), auth_time=source.auth_time,
            claims=None if device is not None else source.claims, issued_at=now,
            expires_at=now + int(token["expires_in"]), dpop_jkt=bound_key(),
            refresh_expires_at=refresh_expiry(grant.started_at, now,
                                              policies.seconds(REFRESH_TOKEN_DAYS),
                                              policies.seconds(REFRESH_ABSOLUTE_DAYS))
            if refresh else None)


class PendingCode:
    """A code read and not yet claimed, claimed with its tokens at the end of the request.

    ``settle`` claims it; then, if the tokens were made (`store`) and the browser session
    the code came from is still live, adds them. The claim is the transaction's first
    write, so everything before it, the ID token's signature included, runs outside the
    transaction. A second redemption of the same code claims nothing: it waits for the
    first's transaction (PostgreSQL's row lock, SQLite's one writer), then revokes the
    tokens the first issued, as a replay does.
    """

    def __init__(self, row: AuthorizationCode, user: User, client_id: str):
        self.row, self.user, self.client_id = row, user, client_id
        self.store: Callable[[], None] | None = None

    def settle(self) -> bool:
        """Claim the code and add its tokens, if made; say whether they were."""
        now = clock_now()
        if _CLAIM_CODE.execute(code=self.row.id, now=now) != 1:
            self.replayed(now)
            return False
        if self.store is None:
            return True
        if not session_holds(self.row.session_id, now):
            return False  # spent all the same
        self.store()
        return True

    def replayed(self, now: float) -> None:
        """Revoke every grant of the code: someone else holds a copy."""
        revoked = revoke_families(TokenFamily.code_id == self.row.id, now=now)
        audit.record(g.directory.id, audit.events.CODE_REPLAYED, now, user_id=self.row.user_id,
                     client_id=self.client_id, ip=flask_request.remote_addr, grants=revoked)


class CodeGrant(grants.AuthorizationCodeGrant):
    """Authorization code grant (RFC 6749 4.1) with single-use, hashed codes."""

    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL_AUTH, "none"]

    def authenticate_token_endpoint_client(self) -> OAuthClient:
        return _client_with_proof(super().authenticate_token_endpoint_client())

    def generate_authorization_code(self) -> str:
        return new_secret(36)  # 48 characters, as Authlib's

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        login: LoginResult = request.user  # the grant_user the login handed Authlib
        data = request.payload.data
        now = clock_now()
        db.session.add(AuthorizationCode(
            code_hash=hash_secret(code), directory_id=g.directory.id,
            client_pk=request.client.row.id, user_id=login.user.id,
            session_id=login.session_id, redirect_uri=request.payload.redirect_uri,
            scope=request.scope, nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            acr=login.outcome.acr, amr=list(login.outcome.amr),
            auth_time=login.outcome.auth_time, claims=login.claims, created_at=now,
            expires_at=now + int(current_settings().code_ttl_seconds)))
        # Committed by the login's answer, with its audit line and the answered interaction.

    def query_authorization_code(self, code: str, client: OAuthClient) -> StoredCode | None:
        """Read the code, to be claimed once with its tokens (``PendingCode``); a code
        presented before is a replay, which revokes what it issued (RFC 6749 4.1.2, 10.5).

        A code refused here (another app's, expired) is claimed at once: a code is presented
        once, whatever the answer.
        """
        code_hash = presented_digest(code, MAX_CODE_LENGTH)
        if code_hash is None:
            return None
        found = _READ_CODE.first(digest=code_hash, directory=g.directory.id)
        if found is None:
            return None
        row, user = found  # in no session
        pending = PendingCode(row, user, client.client_id)
        now = clock_now()
        if row.used_at is not None:
            pending.replayed(now)
            return None
        if row.client_pk != client.row.id or row.expires_at <= now:
            pending.settle()
            return None
        g.pending_code = pending
        return StoredCode(row)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        """Nothing to do: the code is claimed with its tokens (``PendingCode``)."""

    def authenticate_user(self, authorization_code: StoredCode) -> User | None:
        return served_user(g.directory, g.pending_code.user)  # read with the code

    def generate_token(self, *args, **kwargs) -> dict[str, Any]:
        hand_login(self.request.authorization_code.row)
        return super().generate_token(*args, **kwargs)


class RefreshGrant(grants.RefreshTokenGrant):
    """Refresh token grant (RFC 6749 6) with rotation and reuse detection (RFC 9700 4.14)."""

    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL_AUTH, "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> StoredToken | None:
        """Claim the refresh token once; a reuse revokes its whole grant (RFC 9700 4.14.2).

        As with codes, the claim commits with the new tokens, so a concurrent reuse waits
        for them and then revokes them too; and the grant is one row that every use of
        any of its tokens checks.
        """
        now = clock_now()
        row = find_token(g.directory, refresh_token, refresh=True)
        if row is None or row.revoked_at is not None or row.grant.revoked_at is not None:
            return None
        if row.dpop_jkt is not None and row.client.public and row.dpop_jkt != bound_key():
            # A public app's refresh token is bound to its DPoP key (RFC 9449 5).
            return None
        if _CLAIM_REFRESH.execute(token=row.id, now=now) != 1:
            # A rotated refresh token came back: someone holds a copy. End the grant.
            revoke_families(TokenFamily.id == row.family, now=now)
            audit.record(g.directory.id, audit.events.REFRESH_TOKEN_REUSED, now,
                         user_id=row.user_id, client_id=row.client.client_id,
                         ip=flask_request.remote_addr)
            return None
        if not token_good(row, now, refresh=True):
            return None
        return StoredToken(row, now)

    def authenticate_token_endpoint_client(self) -> OAuthClient:
        return _client_with_proof(super().authenticate_token_endpoint_client())

    def authenticate_user(self, refresh_token: StoredToken) -> User | None:
        user = refresh_token.row.user  # read with the token
        return user if is_active(user, g.directory.id) else None

    def generate_token(self, *args, **kwargs) -> dict[str, Any]:
        hand_login(self.request.refresh_token.row)
        return super().generate_token(*args, **kwargs)

    def revoke_old_credential(self, refresh_token: StoredToken) -> None:
        """Nothing to do: the old refresh token was claimed when it was read."""


class DeviceGrant(DeviceCodeGrant):
    """Device code grant (RFC 8628 3.4, 3.5): the device polls until a person's login
    answered its request, then gets the tokens the code flow would issue, once.

    Only an app with the device switch may use it (``OAuthClient.check_grant_type``). An
    unknown device code, or one issued to another app, is ``invalid_grant`` (RFC 6749 5.2),
    as is a second redemption of an approved one, which issues nothing.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL_AUTH, "none"]

    def authenticate_token_endpoint_client(self) -> OAuthClient:
        return _client_with_proof(super().authenticate_token_endpoint_client())

    def validate_token_request(self) -> None:
        """Authlib's checks (RFC 8628 3.4), the app's first (an app without the switch hears
        only that), with invalid_grant for a code that is not the app's."""
        client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(self.GRANT_TYPE):
            raise UnauthorizedClientError("This app may not use the device authorization "
                                          "grant.")
        device_code = self.request.payload.data.get("device_code")
        if not device_code:
            raise InvalidRequestError("Missing 'device_code' in the request.")
        if len(self.request.payload.datalist.get("device_code") or []) > 1:
            raise InvalidRequestError("'device_code' is given more than once.")
        credential = self.query_device_credential(device_code)
        if credential is None or not credential.check_client(client):
            raise InvalidGrantError("The device code is not one this app was given.")
        self.request.client = client
        self.request.credential = credential
        self.request.user = self.validate_device_credential(credential)

    def query_device_credential(self, device_code: str) -> StoredDevice | None:
        row = find_by_device_code(g.directory.id, device_code)
        return StoredDevice(row, clock_now()) if row is not None else None

    def validate_device_credential(self, credential: StoredDevice) -> User:
        """Answer the poll (RFC 8628 3.5): expired_token, access_denied, the login that
        approved it (claimed once), or authorization_pending / slow_down."""
        row, now = credential.row, credential.now
        if credential.is_expired():
            raise ExpiredTokenError("The device code has expired: start again.")
        if row.status == DENIED:
            raise AccessDeniedError("The sign-in was not allowed.")
        if row.status == APPROVED:
            # Spent all the same when refused below: the tokens are given once.
            if not redeem_request(row, now):
                raise InvalidGrantError("The device code was used before.")
            user = active_user(g.directory.id, row.user_id) if row.user_id else None
            if user is None or not session_holds(row.session_id, now):
                raise InvalidGrantError("The sign-in that approved this device has ended.")
            return user
        if self.should_slow_down(credential):
            raise SlowDownError("Polling too fast: wait the interval, now 5 seconds longer.")
        raise AuthorizationPendingError("The person has not answered yet.")

    def should_slow_down(self, credential: StoredDevice) -> bool:
        return not note_poll(credential.row, credential.now)

    def generate_token(self, *args, **kwargs) -> dict[str, Any]:
        hand_login(self.request.credential.row)
        return super().generate_token(*args, **kwargs)


class ServiceGrant(grants.ClientCredentialsGrant):
    """Client credentials grant (RFC 6749 4.4) for service accounts, with admin scopes.

    Only a confidential client an admin made a service account may use it
    (``OAuthClient.check_grant_type``). The token has no user, so no login level (acr)
    applies; no refresh token (RFC 6749 4.4.3) and no ID token are issued.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def validate_requested_scope(self):
        """Refuse a scope the admin did not grant the client (RFC 6749 3.3, 5.2)."""
        if allowed_scope(self.request.client.row, self.request.payload.scope) is None:
            raise InvalidScopeError("The client may only ask for the admin scopes it was "
                                    "granted.")


class ServiceTokenGenerator(BearerTokenGenerator):
    """Bearer tokens whose scope is the service account's granted admin scopes."""

    @staticmethod
    def get_allowed_scope(client: OAuthClient, scope: str | None) -> str:
        allowed = allowed_scope(client.row, scope)
        if allowed is None:
            raise InvalidScopeError()
        return allowed


class IdTokenIssuer(OpenIDCode):
    """Issue ID tokens signed with the directory's key (OIDC Core 3.1.3.6)."""

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # nonces are the client's replay protection; the client checks them

    def resolve_client_private_key(self, client: OAuthClient):
        return signing_key(g.directory.id, client.row.id_token_alg, services().sealer,
                           clock_now())

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return client.row.id_token_alg

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        key = self.resolve_client_private_key(client)
        return {"alg": client.row.id_token_alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        now = int(clock_now())
        return {"iss": current_issuer(), "aud": client.client_id, "azp": client.client_id,
                "iat": now, "exp": now + int(current_settings().id_token_ttl_seconds)}

    def get_compatible_claims(self, request: OAuth2Request) -> dict[str, Any]:
        claims = super().get_compatible_claims(request)
        code = request.authorization_code
        claims.update(user_claims(request.user, "", code.row.claims if code else None,
                                  "id_token", request.client.row))
        login = code if code is not None else request.credential
        sid = app_session_id(login.row.session_id) if login is not None else None
        if sid is not None:
            claims["sid"] = sid
        if request.credential is not None:
            # A device's login: its auth_time, acr and amr, as a code's (OIDC Core 2).
            claims.update(self.get_authorization_code_claims(request.credential))
        return claims

    def generate_user_info(self, user: User, scope: str) -> dict[str, Any]:
        # Scope claims are served by userinfo (OIDC Core 5.4); the ID token carries sub
        # plus the claims asked for individually, set by get_compatible_claims, which
        # knows the app (a pairwise app's sub is its own).
        return {}


class PkceS256(CodeChallenge):
    """PKCE (RFC 7636) with S256 only; required for public clients (RFC 9700 2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if data.get("code_challenge") and not data.get("code_challenge_method"):
            raise InvalidRequestError("'code_challenge_method' must be S256",
                                      redirect_uri=redirect_uri)
        if grant.request.client.row.public and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must use PKCE with S256",
                                      redirect_uri=redirect_uri)
        return super().validate_code_challenge(grant, redirect_uri)


class AccessTokenValidator(BearerTokenValidator):
    """Find bearer tokens of the current directory; a DPoP-bound one is no bearer token
    (RFC 9449 7.2)."""

    def authenticate_token(self, token_string: str) -> StoredToken | None:
        row = find_token(g.directory, token_string)
        if row is None or not token_good(row, clock_now()) or not self.bound_as_presented(
                row, token_string):
            return None
        g.current_token = row
        return StoredToken(row, clock_now())

    def bound_as_presented(self, row: Token, token_string: str) -> bool:
        return row.dpop_jkt is None


class DPoPTokenValidator(AccessTokenValidator):
    """Find DPoP-bound tokens, each with a proof by its key naming it (RFC 9449 7.1)."""

    TOKEN_TYPE = "dpop"  # noqa: S105 (the scheme, RFC 9449 7.1)

    def bound_as_presented(self, row: Token, token_string: str) -> bool:
        challenge = f'DPoP error="invalid_dpop_proof", algs="{" ".join(PROOF_ALGS)}"'
        try:
            proof = check_proof(flask_request.headers.getlist("DPoP"), flask_request.method,
                                endpoint_url(), services().sealer.digest,
                                access_token=token_string)
        except DPoPError as exc:
            raise DPoPError(exc.detail or "", status=401, challenge=challenge) from exc
        return row.dpop_jkt is not None and proof.jkt == row.dpop_jkt


class ServiceTokenValidator(BearerTokenValidator):
    """Find service accounts' bearer tokens of the current directory (the admin API's)."""

    def authenticate_token(self, token_string: str) -> ServiceAccessToken | None:
        row = find_service_token(g.directory.id, token_string)
        return ServiceAccessToken(row, clock_now()) if row is not None else None


def create_service_protector() -> ResourceProtector:
    """Return the protector of the admin API: service account tokens only (RFC 6750 2.1)."""
    protector = ResourceProtector()
    protector.register_token_validator(ServiceTokenValidator())
    return protector


class NoBearerToken(OAuth2Error):
    """A request without a bearer token: challenge it, without error details (RFC 6750 3.1)."""

    error = "invalid_request"
    description = "A bearer access token is required."
    status_code = 401

    def get_headers(self):
        return [*super().get_headers(), ("WWW-Authenticate", "Bearer")]


class BearerProtector(ResourceProtector):
    """Accept the token in the Authorization header or a form body (RFC 6750 2.1, 2.2)."""

    def parse_request_authorization(self, request):
        if "Authorization" not in request.headers and flask_request.method == "POST" and \
                flask_request.mimetype == "application/x-www-form-urlencoded":
            token = flask_request.form.get("access_token")
            if token:
                return self.get_token_validator("bearer"), token
        try:
            return super().parse_request_authorization(request)
        except (MissingAuthorizationError, UnsupportedTokenTypeError) as exc:
            raise NoBearerToken() from exc


class UserInfo(UserInfoEndpoint):
    """The userinfo endpoint (OIDC Core 5.3)."""

    def get_issuer(self) -> str:
        return current_issuer()

    def generate_user_info(self, user: User, scope: str) -> dict[str, Any]:
        return userinfo_claims(g.current_token)


def userinfo_claims(row: Token) -> dict[str, Any]:
    """Return what userinfo tells the app of the access token `row` about its user."""
    return user_claims(row.user, row.scope, row.claims, "userinfo", row.client)


def plain_userinfo(protector: BearerProtector, authorization: str) -> dict[str, Any] | None:
    """Return userinfo's JSON answer (OIDC Core 5.3.2) to a request whose Authorization
    header is `authorization`, when that is a bearer token the endpoint accepts and its
    app takes the answer unsigned; otherwise None, and the endpoint itself answers.

    The endpoint's own steps with the request's headers alone: Authlib parses the header
    and checks the token (found, still good, bound to no DPoP key, ``openid`` in its scope)
    with the protector's validators. ``g.directory`` is the request's.
    """
    request = JsonRequest("GET", "", headers={"Authorization": authorization})
    try:
        token = protector.validate_request(["openid"], request)
    except OAuth2Error:
        return None
    if token.get_client().client_metadata.get("userinfo_signed_response_alg"):
        return None
    return userinfo_claims(token.row)


class FormRequest(OAuth2Request):
    """Authlib's request of a form already read (one value per name) and the headers given:
    an endpoint's steps on a request that Flask has not made a request of."""

    def __init__(self, method: str, uri: str, headers: dict[str, str], form: dict[str, str]):
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(form)
        self._form = form

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


def plain_introspection(server: Server, uri: str, authorization: str,
                        form: dict[str, str]
                        ) -> tuple[dict[str, Any], list[tuple[str, str]], str] | None:
    """Return introspection's JSON answer (RFC 7662 2.2) to a POST to `uri` of the form
    `form` with the Authorization header `authorization`: its body, its headers and the
    client id of the app that asked; None when the endpoint refuses the request (the app,
    its form), which the endpoint itself then answers.

    The endpoint's own steps, as registered: Authlib authenticates the app with the
    endpoint's methods, checks the form and asks the endpoint about the token.
    ``g.directory`` is the request's.
    """
    request = FormRequest("POST", uri, {"Authorization": authorization}, form)
    try:
        status, body, headers = server.introspection(request)
    except OAuth2Error:
        return None
    return (body, headers, request.client.get_client_id()) if status == 200 else None


def _find_token(token_string: str, hint: str | None) -> StoredToken | None:
    """Find an access or refresh token of this directory, trying the hinted kind first."""
    kinds = [False, True] if hint != "refresh_token" else [True, False]
    for is_refresh in kinds:
        row = find_token(g.directory, token_string, refresh=is_refresh)
        if row is not None:
            return StoredToken(row, clock_now(), is_refresh)
    service = find_service_token(g.directory.id, token_string)
    return ServiceAccessToken(service, clock_now()) if service is not None else None


class Revocation(RevocationEndpoint):
    """Token revocation (RFC 7009); revoking a refresh token ends its whole grant."""

    CLIENT_AUTH_METHODS = [*CONFIDENTIAL_AUTH, "none"]

    def query_token(self, token_string: str, token_type_hint: str | None):
        return _find_token(token_string, token_type_hint)

    def revoke_token(self, token: StoredToken | ServiceAccessToken, request) -> None:
        now = clock_now()
        if isinstance(token, ServiceAccessToken):
            token.row.revoked_at = now
        elif token.is_refresh:
            revoke_families(TokenFamily.id == token.row.family, now=now)
        else:
            revoke_token(token.row.id, now)  # the row was read in no session
        db.session.commit()


class Introspection(IntrospectionEndpoint):
    """Token introspection (RFC 7662) with acr and auth_time (RFC 9470 section 6)."""

    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH

    def query_token(self, token_string: str, token_type_hint: str | None):
        return _find_token(token_string, token_type_hint)

    def check_permission(self, token: StoredToken, client: OAuthClient, request) -> bool:
        """Answer only the token's own client or a resource server allowed to ask (RFC 7662
        2.1, 4); Authlib answers anyone else ``{"active": false}``, as for an unknown token."""
        return may_introspect(client.row, token.row)

    def introspect_token(self, token: StoredToken | ServiceAccessToken) -> dict[str, Any]:
        if isinstance(token, ServiceAccessToken):
            return self.introspect_service_token(token)
        row = token.row
        is_refresh = token.is_refresh
        if not token_good(row, clock_now(), refresh=is_refresh):
            return {"active": False}
        expires = row.refresh_expires_at if is_refresh else row.expires_at
        return {"active": True, "client_id": row.client.client_id, "scope": row.scope,
                "sub": app_subject(row.client, row.user), "username": row.user.username,
                "token_type": "refresh_token" if is_refresh else "Bearer",
                "iss": current_issuer(), "iat": int(row.issued_at), "exp": int(expires),
                "acr": row.acr, "amr": list(row.amr), "auth_time": row.auth_time,
                **({"token_type": "DPoP", "cnf": {"jkt": row.dpop_jkt}}
                   if row.dpop_jkt is not None and not is_refresh else {})}

    def introspect_service_token(self, token: ServiceAccessToken) -> dict[str, Any]:
        """Describe a service account's token: the client acts for itself, so there is no
        ``sub`` (nor ``username``, ``acr``, ``amr``, ``auth_time``): RFC 7662 2.2 makes
        ``sub`` optional, and a resource server must never take the client for a person."""
        if token.is_expired() or token.is_revoked():
            return {"active": False}
        row = token.row
        return {"active": True, "client_id": row.client.client_id, "scope": token.get_scope(),
                "token_type": "Bearer", "iss": current_issuer(), "iat": int(row.issued_at),
                "exp": int(row.expires_at)}

    def create_introspection_payload(self, token):
        if not token:
            return {"active": False}
        return self.introspect_token(token)


class EndSession(EndSessionEndpoint):
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)."""

    def get_server_jwks(self):
        return verification_keyset(g.directory.id, clock_now())

    def end_session(self, end_session_request) -> None:
        """End the browser's session and revoke the tokens apps were given from it."""
        session: BrowserSession | None = g.get("browser_session")
        if session is not None:
            now = clock_now()
            end_sessions(g.directory, session.user_id, now, "logout", only=session.id,
                         ip=flask_request.remote_addr)
            audit.record(g.directory.id, audit.events.LOGOUT, now, user_id=session.user_id,
                         ip=flask_request.remote_addr)
            db.session.commit()
            g.clear_session_cookie = True


class Issuer(IssuerParameter):
    """Add ``iss`` to every authorization response (RFC 9207 section 2)."""

    def get_issuer(self) -> str:
        return current_issuer()


def create_server(settings: Settings) -> tuple[Server, BearerProtector]:
    """Build the authorization server with our grants and endpoints."""
    server = Server()
    server.config = {}
    config = {"OAUTH2_ACCESS_TOKEN_GENERATOR": opaque_token,
              "OAUTH2_REFRESH_TOKEN_GENERATOR": opaque_token}
    server.load_config(config)
    # Service-account tokens: the directory's access-token lifetime, no refresh token.
    default = server.create_bearer_token_generator(config).opaque
    server.register_token_generator("client_credentials", ServiceTokenGenerator(
        default.access_token_generator, None, default.expires_generator))
    server.register_client_auth_method(CLIENT_ASSERTION, PrivateKeyJwt(current_issuer))
    set_logout_sender(send_logouts)
    server.register_grant(CodeGrant, [IdTokenIssuer(require_nonce=False), PkceS256()])
    server.register_grant(RefreshGrant)
    server.register_grant(ServiceGrant)
    server.register_grant(DeviceGrant, [IdTokenIssuer(require_nonce=False)])
    server.register_endpoint(DeviceEndpoint)
    protector = BearerProtector()
    protector.register_token_validator(AccessTokenValidator())
    protector.register_token_validator(DPoPTokenValidator())
    server.register_endpoint(UserInfo(resource_protector=protector))
    server.register_endpoint(Revocation)
    server.introspection = Introspection(server)
    server.register_endpoint(server.introspection)
    server.register_endpoint(EndSession)
    server.register_extension(Issuer())
    return server, protector
