"""Finding a presented access or refresh token: userinfo, introspection, revocation and
refresh all look tokens up here, on every request.

The token's row comes with its user and grant in one statement, as plain columns run on
the driver's cursor, and is handed over in no session (``idp.storage.plain``): nothing
changes it through the ORM, and loading three instances into the session cost more than
the statement. Its directory and app are what each process keeps in memory
(``idp.storage.kept``), linked to it from there.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy.orm.attributes import set_committed_value

from ..security.tokens import presented_digest
from ..storage.models import Directory, Token, TokenFamily, User
from ..storage.plain import PlainQuery, PlainRows
from .clients import attach_client

#: The longest token string looked up (a JWT access token is about 1,000 characters); nothing
#: longer is hashed.
MAX_TOKEN_LENGTH = 4096

_PLAIN = PlainRows(Token, User, TokenFamily)

# Built once, of the tables alone: the token, its user and its grant, joined by their keys.
_TOKEN, _USER, _GRANT = Token.__table__.c, User.__table__.c, TokenFamily.__table__.c
_BY_HASH = {refresh: PlainQuery(_PLAIN, _PLAIN.select().select_from(Token.__table__.join(
    User.__table__, _TOKEN.user_id == _USER.id).join(
    TokenFamily.__table__, _TOKEN.family == _GRANT.id)).where(
    column == bindparam("digest"), _TOKEN.directory_id == bindparam("directory")))
    for refresh, column in ((False, _TOKEN.access_token_hash), (True, _TOKEN.refresh_token_hash))}


def find_token(directory: Directory, token: object, refresh: bool = False) -> Token | None:
    """Return the directory's token whose access token (with `refresh`, whose refresh token)
    `token` is, whether or not it is still good, with its user, grant and app. It is in no
    session: revoke or claim it with a statement. The directory is the request's
    (``idp.tenants.directories.serving_directory``); the app is in the request's session
    when it has one (``attach_client``)."""
    digest = presented_digest(token, MAX_TOKEN_LENGTH)
    if digest is None:
        return None
    found = _BY_HASH[refresh].first(digest=digest, directory=directory.id)
    if found is None:
        return None
    row, user, grant = found
    set_committed_value(user, "directory", directory)
    set_committed_value(row, "user", user)
    set_committed_value(row, "grant", grant)
    set_committed_value(row, "client", attach_client(row.client_pk))
    return row
