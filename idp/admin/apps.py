"""What a directory's admin (or a service account) does with its apps: register, change,
rotate the secret, disable and enable; each change audited with its actor.

The provider's own apps (``idp-…``) are never changed here. A service account may give an
app only admin scopes it holds itself: it cannot make a more powerful one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import audit
from ..config import current_settings
from ..storage import db
from ..storage.models import Client, Directory, User
from ..tenants.account_client import RESERVED_PREFIX
from ..tenants.clients import (
    ClientError,
    create_client,
    end_secret_grace,
    in_secret_grace,
    rotate_secret,
    set_client_disabled,
    update_client,
)
from ..tenants.service_accounts import granted_scopes


class AppAdminError(ValueError):
    """A change to an app is refused; ``status`` says how (403: not the actor's to make)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def built_in(client: Client) -> bool:
    """Say whether the app is one of the provider's own."""
    return client.client_id.startswith(RESERVED_PREFIX)


def _check_grant(actor: User | Client, service_account: bool, scopes: list[str] | str) -> None:
    """Refuse a service account giving admin scopes it does not hold itself."""
    if not isinstance(actor, Client) or not service_account:
        return
    asked = set(scopes.split() if isinstance(scopes, str) else scopes)
    if not asked <= granted_scopes(actor):
        raise AppAdminError("A service account can only grant admin scopes it holds itself.",
                            403)


def register_app(directory: Directory, actor: User | Client, now: float,
                 **fields: Any) -> tuple[Client, str | None]:
    """Register an app (``create_client``'s fields); return it and its secret. Audited."""
    _check_grant(actor, fields.get("service_account", False), fields.get("service_scopes", ()))
    client, secret = create_client(directory, now=now, **fields)
    audit.record(directory.id, audit.events.ADMIN_CLIENT_CREATED, now,
                 client_id=client.client_id, public=client.public,
                 introspect_all=client.introspect_all,
                 jwt_access_tokens=client.jwt_access_tokens,
                 pairwise_subject=client.pairwise_subject,
                 private_key_jwt=client.private_key_jwt, require_par=client.require_par,
                 require_dpop=client.require_dpop,
                 device_grant=client.device_grant,
                 **({"service_scopes": client.service_scopes} if client.service_account else {}),
                 **audit.actor_of(actor))
    return client, secret


def change_app(client: Client, actor: User | Client, now: float,
               **fields: Any) -> tuple[list[str], str | None]:
    """Change an app (``update_client``'s fields); return what changed and the new secret a
    public app turned confidential gets. Audited."""
    _refuse_built_in(client)
    _check_grant(actor, fields.get("service_account", False), fields.get("service_scopes", ()))
    changed, secret = update_client(client, **fields)
    if changed:
        audit.record(client.directory_id, audit.events.ADMIN_CLIENT_UPDATED, now,
                     client_id=client.client_id, fields=changed, **audit.actor_of(actor))
    if secret is not None:
        audit.record(client.directory_id, audit.events.ADMIN_CLIENT_SECRET_ROTATED, now,
                     client_id=client.client_id, **audit.actor_of(actor))
    return changed, secret


def new_app_secret(client: Client, actor: User | Client, now: float) -> str:
    """Give a confidential app a new secret and return it. The old one is still accepted
    for the installation's grace period (IDP_CLIENT_SECRET_GRACE_SECONDS; 0: it stops at
    once), so the app can be given the new one without an outage. Audited, with the grace."""
    _refuse_built_in(client)
    grace = current_settings().client_secret_grace_seconds
    try:
        secret = rotate_secret(client, now, grace)
    except ClientError as exc:
        raise AppAdminError("A public app has no secret.") from exc
    audit.record(client.directory_id, audit.events.ADMIN_CLIENT_SECRET_ROTATED, now,
                 client_id=client.client_id, **audit.actor_of(actor),
                 grace_seconds=grace if client.previous_secret_hash else 0)
    return secret


def stop_old_secret(client: Client, actor: User | Client, now: float) -> bool:
    """Stop accepting the app's previous secret before its grace period ends; return whether
    it was still accepted. Audited."""
    _refuse_built_in(client)
    if not in_secret_grace(client, now):
        end_secret_grace(client)
        return False
    end_secret_grace(client)
    audit.record(client.directory_id, audit.events.ADMIN_CLIENT_SECRET_GRACE_ENDED, now,
                 client_id=client.client_id, **audit.actor_of(actor))
    return True


def switch_app(client: Client, disabled: bool, actor: User | Client, now: float) -> None:
    """Disable an app (revoking its tokens) or enable it again. Audited."""
    _refuse_built_in(client)
    set_client_disabled(client, disabled, now)
    event = audit.events.ADMIN_CLIENT_DISABLED if disabled else audit.events.ADMIN_CLIENT_ENABLED
    audit.record(client.directory_id, event, now, client_id=client.client_id,
                 **audit.actor_of(actor))


def _refuse_built_in(client: Client) -> None:
    if built_in(client):
        raise AppAdminError("The provider's own apps cannot be changed.", 403)


def list_apps(directory: Directory, after: str | None, size: int) -> tuple[list[Client], bool]:
    """Return a page of the directory's apps in client id order after `after`, and whether
    more follow."""
    rows = list(db.session.scalars(select(Client).where(
        Client.directory_id == directory.id,
        *([Client.client_id > after] if after is not None else []))
        .order_by(Client.client_id).limit(size + 1)))
    return rows[:size], len(rows) > size
