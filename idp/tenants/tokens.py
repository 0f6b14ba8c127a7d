"""Finding a presented access or refresh token: userinfo, introspection, revocation and
refresh all look tokens up here, on every request.

The token's row comes with its user and grant in one statement. Its directory and app
are what each process keeps in memory (``idp.storage.kept``): the request's session
holds them already, or is handed them here, so the lookup neither joins nor reads them.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import defaultload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from ..security.tokens import presented_digest
from ..storage import db
from ..storage.models import Token
from .accounts import USER_WITHOUT_DIRECTORY
from .clients import attach_client

#: The longest token string looked up (a JWT access token is about 1,000 characters); nothing
#: longer is hashed.
MAX_TOKEN_LENGTH = 4096

# Built once. Neither the app nor the user's directory is joined: the app is handed over
# from memory below, and the directory, lazily loaded, is found in the session's identity
# map, where the request's kept row is (no statement, no columns to read).
_BY_HASH = {refresh: select(Token).where(
    column == bindparam("digest"), Token.directory_id == bindparam("directory")).options(
    lazyload(Token.client), defaultload(Token.user).options(*USER_WITHOUT_DIRECTORY))
    for refresh, column in ((False, Token.access_token_hash), (True, Token.refresh_token_hash))}


def find_token(directory_id: int, token: object, refresh: bool = False) -> Token | None:
    """Return the directory's token whose access token (with `refresh`, whose refresh token)
    `token` is, whether or not it is still good. The directory must be the request's
    (``idp.tenants.directories.serving_directory``)."""
    digest = presented_digest(token, MAX_TOKEN_LENGTH)
    if digest is None:
        return None
    row = db.session.scalars(_BY_HASH[refresh], {
        "digest": digest, "directory": directory_id}).first()
    if row is not None:
        # Held by the row: the session alone keeps a clean instance only weakly.
        set_committed_value(row, "client", attach_client(row.client_pk))
    return row
