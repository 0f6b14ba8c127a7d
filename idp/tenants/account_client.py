"""The directory's own account pages as a first-party client of the directory.

The profile and admin pages log people in like any relying app: through the
authorization endpoint, so the same login policy (required level, step-up,
enrolment during login, max_age) applies. The client is built in, public and
first-party; its redirect URI follows the base URL.
"""

from __future__ import annotations

from sqlalchemy import update

from ..security.tokens import hash_secret
from ..storage import db
from ..storage.models import AuthorizationCode, Client, Directory
from .clients import get_client
from .directories import issuer_of

ACCOUNT_CLIENT_ID = "idp-account"
RESERVED_PREFIX = "idp-"


def account_redirect_uri(directory: Directory, base_url: str) -> str:
    """Return where the account pages receive their logins."""
    return f"{issuer_of(directory, base_url)}/account/callback"


def ensure_account_client(directory: Directory, base_url: str, now: float) -> Client:
    """Return the directory's account client, creating or re-pointing it as needed."""
    redirect_uri = account_redirect_uri(directory, base_url)
    logged_out = f"{issuer_of(directory, base_url)}/account/"
    client = get_client(directory, ACCOUNT_CLIENT_ID)
    if client is None:
        client = Client(directory_id=directory.id, client_id=ACCOUNT_CLIENT_ID,
                        name="Your account", secret_hash=None, redirect_uris=[redirect_uri],
                        post_logout_redirect_uris=[logged_out], public=True, first_party=True,
                        min_acr=None, id_token_alg="RS256",  # noqa: S106
                        scope="openid", created_at=now)
        db.session.add(client)
        db.session.flush()
    elif client.redirect_uris != [redirect_uri] or client.disabled:
        client.redirect_uris = [redirect_uri]
        client.post_logout_redirect_uris = [logged_out]
        client.disabled = False
    return client


def consume_account_code(client: Client, code: str, now: float) -> bool:
    """Mark an account login's code used; the browser session already carries the login."""
    if not code or len(code) > 200:
        return False
    result = db.session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == hash_secret(code),
               AuthorizationCode.client_pk == client.id,
               AuthorizationCode.used_at.is_(None),
               AuthorizationCode.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False))
    return bool(result.rowcount)
