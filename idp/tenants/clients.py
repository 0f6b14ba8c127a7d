"""Relying apps (OAuth clients) of a directory."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext
from sqlalchemy import delete, select

from ..security.sealing import Sealer
from ..security.tokens import hash_secret, new_secret, secret_matches
from ..storage import db
from ..storage.db import current_session
from ..storage.kept import KeptRows
from ..storage.models import AuthorizationCode, Client, Directory, Token, TokenFamily, User
from .client_keys import ClientKeyError, check_jwks
from .grants import revoke_families
from .keys import SUPPORTED_ALGS
from .service_accounts import clean_scopes, revoke_service_tokens

CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9._~-]{1,100}$")


class ClientError(ValueError):
    """A client registration is invalid; ``field`` names the setting, when it is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def check_redirect_uri(uri: str) -> str:
    """Accept an absolute http(s) URI without a fragment (RFC 6749 3.1.2)."""
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise ClientError(f"not a URI: {uri!r}") from exc
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.fragment:
        raise ClientError(f"a redirect URI is an absolute http(s) URI without #: {uri!r}")
    if parts.scheme == "http" and parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise ClientError(f"http redirect URIs are only allowed on loopback: {uri!r}")
    return uri


def create_client(directory: Directory, *, client_id: str, redirect_uris: list[str],
                  now: float, name: str | None = None, public: bool = False,
                  min_acr: int | None = None, first_party: bool = True,
                  post_logout_redirect_uris: list[str] | None = None,
                  introspect_all: bool = False, service_account: bool = False,
                  service_scopes: list[str] | str = (),
                  id_token_alg: str = "RS256",  # noqa: S107
                  jwt_access_tokens: bool = False,
                  pairwise_subject: bool = False, private_key_jwt: bool = False,
                  jwks: dict[str, Any] | str | None = None, jwks_uri: str | None = None,
                  require_par: bool = False, require_dpop: bool = False,
                  backchannel_logout_uri: str | None = None,
                  device_grant: bool = False) -> tuple[Client, str | None]:
    """Register a client; return it with its secret (None for public clients).

    A service account (``service_account``, with the admin scopes ``service_scopes``) may
    use the client_credentials grant; it needs no redirect URI when it only does that.
    Its public keys (``jwks`` by value or ``jwks_uri``) verify what it signs; with
    ``private_key_jwt`` it authenticates by them instead of its secret. With
    ``require_par`` its authorization requests must be pushed first (RFC 9126); with
    ``require_dpop`` it gets tokens only with a DPoP proof (RFC 9449). At its
    ``backchannel_logout_uri`` it is told when a session it got tokens in ends. With
    ``device_grant`` it may sign in devices with a code (RFC 8628), and needs no redirect
    URI when it only does that.
    """
    if not CLIENT_ID_PATTERN.match(client_id):
        raise ClientError("a client id is 1-100 characters of A-Z a-z 0-9 . _ ~ -")
    if client_id.startswith("idp-"):
        raise ClientError("client ids starting with 'idp-' are reserved for the provider")
    if get_client(directory, client_id) is not None:
        raise ClientError(f"client {client_id!r} already exists")
    _check_redirect_uris(redirect_uris, service_account, device_grant)
    if min_acr is not None and not 0 <= min_acr <= 1000:
        raise ClientError("the minimum acr is between 0 and 1000")
    if id_token_alg not in SUPPORTED_ALGS:
        raise ClientError(f"id_token_alg is one of {', '.join(SUPPORTED_ALGS)}")
    _check_introspection(public, introspect_all)
    scopes = _check_service_account(public, service_account, service_scopes)
    uris = [check_redirect_uri(u) for u in redirect_uris]
    _check_pairwise(pairwise_subject, uris)
    keys = _check_keys(public, private_key_jwt, jwks, jwks_uri)
    secret = None if public else new_secret(32)
    client = Client(
        directory_id=directory.id, client_id=client_id, name=name or client_id,
        secret_hash=hash_secret(secret) if secret else None,
        redirect_uris=uris,
        post_logout_redirect_uris=[check_redirect_uri(u) for u in post_logout_redirect_uris or []],
        public=public, first_party=first_party, min_acr=min_acr, id_token_alg=id_token_alg,
        introspect_all=introspect_all, service_account=service_account,
        service_scopes=scopes, jwt_access_tokens=jwt_access_tokens,
        pairwise_subject=pairwise_subject, private_key_jwt=private_key_jwt,
        require_par=require_par, require_dpop=require_dpop, device_grant=device_grant,
        created_at=now, **keys, backchannel_logout_uri=_logout_uri(backchannel_logout_uri))
    db.session.add(client)
    db.session.flush()
    return client, secret


def rotate_secret(client: Client, now: float = 0.0, grace: float = 0) -> str:
    """Give a confidential client a new secret and return it; the old one is still accepted
    for `grace` seconds from `now` (none: it stops at once)."""
    if client.public:
        raise ClientError("public clients have no secret")
    secret = new_secret(32)
    if grace > 0 and client.secret_hash:
        client.previous_secret_hash, client.previous_secret_until = \
            client.secret_hash, now + grace
    else:
        end_secret_grace(client)
    client.secret_hash = hash_secret(secret)
    return secret


def end_secret_grace(client: Client) -> bool:
    """Stop accepting the client's previous secret; return whether one was accepted."""
    had = client.previous_secret_hash is not None
    client.previous_secret_hash = client.previous_secret_until = None
    return had


def in_secret_grace(client: Client, now: float) -> bool:
    """Return whether the client's previous secret is still accepted."""
    return client.previous_secret_hash is not None and \
        (client.previous_secret_until or 0) > now


def secret_accepted(client: Client, secret: str, now: float) -> bool:
    """Return whether `secret` is the confidential client's secret, or its previous one
    within the grace period after a new one was made."""
    if client.public:
        return False
    if secret_matches(secret, client.secret_hash):
        return True
    return in_secret_grace(client, now) and secret_matches(secret, client.previous_secret_hash)


def update_client(client: Client, *, name: str, redirect_uris: list[str],
                  post_logout_redirect_uris: list[str], public: bool, first_party: bool,
                  min_acr: int | None, introspect_all: bool = False,
                  service_account: bool | None = None,
                  service_scopes: list[str] | str | None = None,
                  jwt_access_tokens: bool = False,
                  pairwise_subject: bool = False, private_key_jwt: bool = False,
                  jwks: dict[str, Any] | str | None = None, jwks_uri: str | None = None,
                  require_par: bool = False, require_dpop: bool = False,
                  backchannel_logout_uri: str | None = None,
                  device_grant: bool = False) -> tuple[list[str], str | None]:
    """Change a client's registration; return the changed fields, and the new secret when
    a public client became confidential (a confidential one turned public loses its secret).

    ``service_account`` and ``service_scopes`` stay as they are when not given.
    """
    if service_account is None:
        service_account = client.service_account
    if service_scopes is None:
        service_scopes = client.service_scopes
    _check_redirect_uris(redirect_uris, service_account, device_grant)
    if min_acr is not None and not 0 <= min_acr <= 1000:
        raise ClientError("the minimum acr is between 0 and 1000")
    _check_introspection(public, introspect_all)
    scopes = _check_service_account(public, service_account, service_scopes)
    uris = [check_redirect_uri(u) for u in redirect_uris]
    _check_pairwise(pairwise_subject, uris)
    if pairwise_subject and client.pairwise_subject \
            and sector_of(uris) != sector_of(client.redirect_uris):
        raise ClientError("a pairwise app's redirect URIs stay on their host: another host "
                          "would change the subject identifier of everyone the app knows")
    keys = _check_keys(public, private_key_jwt, jwks, jwks_uri)
    values = {"name": name or client.client_id,
              "redirect_uris": uris,
              "post_logout_redirect_uris": [check_redirect_uri(u)
                                            for u in post_logout_redirect_uris],
              "public": public, "first_party": first_party, "min_acr": min_acr,
              "introspect_all": introspect_all, "service_account": service_account,
              "service_scopes": scopes, "jwt_access_tokens": jwt_access_tokens,
              "pairwise_subject": pairwise_subject, "private_key_jwt": private_key_jwt,
              "require_par": require_par, "require_dpop": require_dpop,
              "device_grant": device_grant, **keys,
              "backchannel_logout_uri": _logout_uri(backchannel_logout_uri)}
    changed = [field for field, value in values.items() if getattr(client, field) != value]
    secret = None
    if "public" in changed:
        secret = None if public else new_secret(32)
        client.secret_hash = hash_secret(secret) if secret else None
        end_secret_grace(client)
    for field in changed:
        setattr(client, field, values[field])
    return changed, secret


def sector_of(redirect_uris: list[str]) -> str | None:
    """Return the host an app's redirect URIs share (its sector, OIDC Core 8.1), or None
    when they have none or several."""
    hosts = {urlsplit(uri).hostname for uri in redirect_uris}
    return hosts.pop() if len(hosts) == 1 else None


def _check_redirect_uris(redirect_uris: list[str], service_account: bool,
                         device_grant: bool) -> None:
    if not redirect_uris and not service_account and not device_grant:
        # Only an app that never sends a browser back (a service account, or one that signs
        # in devices with a code) does without.
        raise ClientError("a client needs at least one redirect URI")


def _check_pairwise(pairwise: bool, redirect_uris: list[str]) -> None:
    if pairwise and sector_of(redirect_uris) is None:
        # Without a sector_identifier_uri the sector is the redirect URIs' one host.
        raise ClientError("a pairwise app's redirect URIs must all be on one host")


def subject_for(client: Client | None, user: User, sealer: Sealer) -> str:
    """Return the subject identifier (``sub``) an app knows a person by: the person's own,
    or for a pairwise app one derived from its sector (OIDC Core 8.1), the same for every
    app of that host and unlinkable to any other's without the installation's key."""
    if client is None or not client.pairwise_subject:
        return user.subject
    return sealer.digest(f"pairwise-subject:{sector_of(client.redirect_uris)}:{user.subject}")


def _logout_uri(uri: str | None) -> str | None:
    """An app's back-channel logout URI: absolute, https except on loopback, no fragment
    (Back-Channel Logout 1.0 section 2.2)."""
    return check_redirect_uri(uri) if uri else None


def _check_keys(public: bool, private_key_jwt: bool, jwks: dict[str, Any] | str | None,
                jwks_uri: str | None) -> dict[str, Any]:
    """Return the app's checked keys as its ``jwks`` and ``jwks_uri`` columns."""
    if jwks and jwks_uri:
        raise ClientError(gettext("Give the app's public keys or their URI, not both."), "jwks")
    try:
        keys = {"jwks": check_jwks(jwks) if jwks else None}
    except ClientKeyError as exc:
        raise ClientError(gettext("These are not public keys an app can use: %(reason)s.",
                                  reason=exc), "jwks") from exc
    try:
        keys["jwks_uri"] = check_redirect_uri(jwks_uri) if jwks_uri else None
    except ClientError as exc:
        raise ClientError(f"keys: {exc}", "jwks_uri") from exc
    if private_key_jwt and (public or not (jwks or jwks_uri)):
        # RFC 7523 2.2: the app proves itself with a key it holds and we know.
        raise ClientError("an app authenticating with private_key_jwt is confidential and "
                          "needs its public keys (by value or URI)")
    return keys


def _check_introspection(public: bool, introspect_all: bool) -> None:
    if public and introspect_all:
        # Introspection needs client authentication (RFC 7662 2.1): a public app has none.
        raise ClientError("a public client cannot introspect tokens")


def _check_service_account(public: bool, service_account: bool,
                           scopes: list[str] | tuple[str, ...] | str) -> str:
    if public and service_account:
        # RFC 6749 4.4: the client_credentials grant is for confidential clients only.
        raise ClientError("a public client cannot be a service account")
    try:
        return clean_scopes(scopes) if service_account else ""
    except ValueError as exc:
        raise ClientError(str(exc)) from exc


def may_introspect(client: Client, token: Token) -> bool:
    """Return whether `client` may learn about `token` at the introspection endpoint.

    A client may introspect the tokens issued to itself; a resource server its admin
    allowed to (``introspect_all``) those of every app of its directory. Another
    directory's never (RFC 7662 2.1, 4: the endpoint must not tell a token's details to
    any client that asks).
    """
    if token.directory_id != client.directory_id:
        return False
    return token.client_pk == client.id or client.introspect_all


def set_client_disabled(client: Client, disabled: bool, now: float) -> None:
    """Disable a client (revoking every token it holds) or enable it again.

    A disabled client is unknown to the authorization and token endpoints; its grants
    are revoked too, so userinfo, introspection and refresh refuse its tokens at once.
    """
    client.disabled = disabled
    if disabled:
        revoke_families(TokenFamily.client_pk == client.id, now=now)
        revoke_service_tokens(client, now)


def revoke_grants(client: Client, user_id: int, now: float) -> int:
    """Revoke every grant (and so every token) the client holds for the user, and forget the
    codes it has not exchanged yet; return how many grants were revoked.

    The codes go first: a code being exchanged at this moment is locked by its exchange,
    so the delete waits for it, and the grant it then committed is revoked next.
    """
    db.session.execute(delete(AuthorizationCode).where(
        AuthorizationCode.client_pk == client.id, AuthorizationCode.user_id == user_id,
        AuthorizationCode.used_at.is_(None)).execution_options(synchronize_session=False))
    return revoke_families(TokenFamily.client_pk == client.id, TokenFamily.user_id == user_id,
                           now=now)


def serving_client(directory: Directory, client_id: object) -> Client | None:
    """Return the client a request names, from this process's memory while it is fresh (at
    most IDP_CACHE_SECONDS, see ``idp.storage.kept``); otherwise as ``get_client``. For
    serving requests; what changes a client reads it with ``get_client``. It comes into the
    request's session, or in none when the request has used none (as ``attach_client``)."""
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.match(client_id):
        return None
    return _serving.get(current_session(), (directory.id, client_id),
                        lambda: get_client(directory, client_id))


def _keys(values: dict[str, Any]) -> tuple[tuple[int, str], int]:
    """The keys a client is asked for by: its client id in its directory, its primary key."""
    return (values["directory_id"], values["client_id"]), values["id"]


_serving: KeptRows[Client] = KeptRows(Client, keys=_keys)


def attach_client(pk: int) -> Client | None:
    """Put the client with primary key `pk` into the request's session, from this process's
    memory while it is fresh (the same kept row as ``serving_client``'s), so that a row
    referring to it (a token's ``client``) finds it there instead of reading it again. A
    request that has used no session gets it in none (``KeptRows.get``)."""
    return _serving.get(current_session(), pk, lambda: db.session.get(Client, pk))


def get_client(directory: Directory, client_id: str) -> Client | None:
    """Return the directory's client with this id, if any."""
    # Only ids that could have been registered reach the database (PostgreSQL refuses NUL).
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.match(client_id):
        return None
    return db.session.scalars(select(Client).where(
        Client.directory_id == directory.id, Client.client_id == client_id)).first()
