"""Adapters that let Authlib read our stored clients, codes and tokens."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE, DeviceCredentialMixin
from authlib.oidc.core import AuthorizationCodeMixin

from ..clock import now
from ..storage import db
from ..storage.models import (
    AuthorizationCode,
    Client,
    DeviceAuthorization,
    ServiceToken,
    Token,
    User,
)
from ..tenants.clients import secret_accepted
from ..tenants.service_accounts import effective_scope, service_token_good


class OAuthClient(ClientMixin):
    """A registered client as Authlib sees it."""

    def __init__(self, row: Client):
        self.row = row
        self.client_id = row.client_id
        self.id_token_signed_response_alg = row.id_token_alg
        self.client_metadata: dict = {
            "post_logout_redirect_uris": list(row.post_logout_redirect_uris or [])}

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OIDC Core 3.1.2.1: redirect_uri is required; never guess one.
        return None

    def get_allowed_scope(self, scope: str) -> str:
        if not scope:
            return ""
        allowed = set(self.row.scope.split())
        return " ".join(s for s in dict.fromkeys(scope.split()) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Match exactly, character for character (RFC 9700 2.1)."""
        return redirect_uri in self.row.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_accepted(self.row, client_secret, now())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.row.public:
            return method == "none"
        if self.row.private_key_jwt:
            return method == "private_key_jwt"
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "client_credentials":
            # RFC 6749 4.4: confidential clients only, and only those an admin made
            # service accounts.
            return self.row.service_account and not self.row.public
        if grant_type == DEVICE_CODE_GRANT_TYPE:
            # RFC 8628: only the apps an admin allowed to sign in devices with a code.
            return self.row.device_grant
        return grant_type in {"authorization_code", "refresh_token"}


class StoredCode(AuthorizationCodeMixin):
    """An authorization code row as Authlib sees it."""

    def __init__(self, row: AuthorizationCode):
        self.row = row

    def get_redirect_uri(self) -> str | None:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_acr(self) -> str:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return list(self.row.amr or [])

    # RFC 7636 4.6, read by Authlib's CodeChallenge extension
    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.row.code_challenge_method


class StoredDevice(DeviceCredentialMixin):
    """A device's request (RFC 8628) as Authlib sees it, and, once a login approved it, the
    login the ID token tells of (as a code does, OIDC Core 2)."""

    def __init__(self, row: DeviceAuthorization, now: float):
        self.row = row
        self.now = now

    def check_client(self, client: OAuthClient) -> bool:
        return client.row.id == self.row.client_pk

    def get_client_id(self) -> str:
        client = db.session.get(Client, self.row.client_pk)
        return client.client_id if client is not None else ""

    def get_scope(self) -> str:
        return self.row.scope

    def get_user_code(self) -> None:
        """The user code is kept only as a keyed hash: nobody can read it back."""
        return None

    def is_expired(self) -> bool:
        return self.row.expires_at <= self.now

    def get_nonce(self) -> None:
        return None  # a device's request carries no nonce

    def get_auth_time(self) -> int | None:
        return self.row.auth_time

    def get_acr(self) -> str | None:
        return self.row.acr

    def get_amr(self) -> list[str]:
        return list(self.row.amr or [])


class StoredToken(TokenMixin):
    """An access/refresh token row as Authlib sees it."""

    def __init__(self, row: Token, now: float, is_refresh: bool = False):
        self.row = row
        self.now = now
        self.scope = row.scope
        self.is_refresh = is_refresh  # found by its refresh token rather than its access token

    def check_client(self, client: OAuthClient) -> bool:
        return client.row.id == self.row.client_pk

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int(self.row.expires_at - self.row.issued_at)

    def is_expired(self) -> bool:
        return self.row.expires_at <= self.now

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or self.row.grant.revoked_at is not None

    def get_user(self) -> User:
        return self.row.user

    def get_client(self) -> OAuthClient:
        return OAuthClient(self.row.client)


class ServiceAccessToken(TokenMixin):
    """A service account's access token as Authlib sees it: no user, no refresh token."""

    is_refresh = False

    def __init__(self, row: ServiceToken, now: float):
        self.row = row
        self.now = now

    def check_client(self, client: OAuthClient) -> bool:
        return client.row.id == self.row.client_pk

    def get_scope(self) -> str:
        return effective_scope(self.row)

    def get_expires_in(self) -> int:
        return int(self.row.expires_at - self.row.issued_at)

    def is_expired(self) -> bool:
        return self.row.expires_at <= self.now

    def is_revoked(self) -> bool:
        return not self.is_expired() and not service_token_good(self.row, self.now)

    def get_user(self) -> None:
        return None

    def get_client(self) -> OAuthClient:
        return OAuthClient(self.row.client)
