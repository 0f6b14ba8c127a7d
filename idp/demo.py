"""Demo data for trying the provider: four users and the sample portal's client in the
default directory, and an operator of the installation in the operators' directory."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyotp
from sqlalchemy import select

from .methods.totp import DIGITS, STEP
from .services import Services
from .storage import db
from .storage.models import Credential, Directory, User
from .tenants.accounts import create_user, find_user
from .tenants.clients import create_client, get_client, rotate_secret
from .tenants.directories import ensure_operator_directory, get_directory

PORTAL_URL = "http://localhost:5001"
DEMO_USERS = (
    # username, password, admin, with an authenticator app
    ("alice", "alice-demo-password", False, False),
    ("bob", "bob-demo-password", False, True),
    ("carol", "carol-demo-password", False, False),
    ("admin", "admin-demo-password", True, True),
)
# Phone numbers: (number, proven). Alice confirms hers during login (she has only a
# password); Carol's number and address are proven, so she can get codes by SMS or email.
DEMO_PHONES = {"alice": ("+31612345678", False), "carol": ("+447911123456", True)}
PROVEN_EMAIL = {"carol"}
#: The Python that `make run` installs into, as a path from the checkout.
VENV_PYTHON = ".venv/bin/python"
#: The operator of the installation: an admin of the operators' directory, with an
#: authenticator app (username, password).
DEMO_OPERATOR = ("ops", "ops-demo-password")


def demo_email(username: str) -> str:
    """Return the email address of a demo user."""
    return f"{username}@example.org"


@dataclass
class DemoData:
    """What a person needs to try the demo."""

    portal_client_id: str = "portal"
    portal_secret: str = ""
    users: list[tuple[str, str, str | None]] = field(default_factory=list)
    recovery_codes: dict[str, list[str]] = field(default_factory=dict)
    #: The operator: username, password, authenticator app key, console URL path.
    operator: tuple[str, str, str, str] | None = None


def _totp_secret(user: User, svc: Services, now: float) -> str:
    row = db.session.scalars(select(Credential).where(
        Credential.user_id == user.id, Credential.method == "totp",
        Credential.confirmed_at.is_not(None))).first()
    if row is None:
        secret = pyotp.random_base32(32)
        db.session.add(Credential(user_id=user.id, method="totp", label="Authenticator app",
                                  secret_sealed=svc.sealer.seal(secret.encode()), counter=0,
                                  data={}, created_at=now, confirmed_at=now))
        return secret
    return svc.sealer.unseal(row.secret_sealed or b"").decode()


def seed_demo(directory: Directory, svc: Services, now: float,
              portal_url: str = PORTAL_URL) -> DemoData:
    """Create (or refresh) the demo users and the portal client; return their credentials."""
    data = DemoData()
    for username, password, admin, with_totp in DEMO_USERS:
        user = find_user(directory, username) or create_user(
            directory, username=username, password=password, passwords=svc.passwords, now=now,
            email=demo_email(username), name=username.title(), is_admin=admin)
        phone, proven = DEMO_PHONES.get(username, (None, False))
        user.phone, user.phone_verified = phone, proven
        user.email_verified = username in PROVEN_EMAIL
        data.users.append((username, password, _totp_secret(user, svc, now) if with_totp
                           else None))
        if with_totp:
            data.recovery_codes[username] = svc.methods["recovery"].issue(  # type: ignore[attr-defined]
                user, now)
    client = get_client(directory, data.portal_client_id)
    if client is None:
        client, secret = create_client(
            directory, client_id=data.portal_client_id, name="Sample portal",
            redirect_uris=[f"{portal_url}/callback"],
            post_logout_redirect_uris=[f"{portal_url}/"], now=now,
            jwt_access_tokens=True,  # for the sample API the portal calls
            backchannel_logout_uri=f"{portal_url}/backchannel-logout")
    else:
        secret = rotate_secret(client)
        # The portal may have moved (another port or host name since the last run).
        client.redirect_uris = [f"{portal_url}/callback"]
        client.post_logout_redirect_uris = [f"{portal_url}/"]
        client.jwt_access_tokens = True
        client.backchannel_logout_uri = f"{portal_url}/backchannel-logout"
    data.portal_secret = secret or ""
    data.operator = _seed_operator(svc, now)
    db.session.commit()
    return data


def _seed_operator(svc: Services, now: float) -> tuple[str, str, str, str]:
    """Create (or refresh) the demo operator; return its credentials and console path."""
    operators, _created = ensure_operator_directory(svc.sealer, now)
    username, password = DEMO_OPERATOR
    user = find_user(operators, username) or create_user(
        operators, username=username, password=password, passwords=svc.passwords, now=now,
        email=demo_email(username), name="Operator", is_admin=True)
    return username, password, _totp_secret(user, svc, now), f"/d/{operators.slug}/operator/"


def describe(data: DemoData, issuer: str, outbox: str | None = None) -> str:
    """Return the demo credentials as text for the terminal."""
    lines = [f"Portal client: {data.portal_client_id} (secret: {data.portal_secret})",
             "Demo users:"]
    for username, password, totp in data.users:
        line = f"  {username} / {password}"
        if username in DEMO_PHONES:
            phone, proven = DEMO_PHONES[username]
            line += f"  (phone {phone}{'' if proven else ', to confirm at first login'})"
        if username in PROVEN_EMAIL:
            line += f"  (email {demo_email(username)})"
        if totp:
            # The venv's own Python: pyotp is installed there, whether or not it is active.
            line += (f"  (authenticator app key {totp}; current code: {VENV_PYTHON} -c "
                     f"\"import pyotp; print(pyotp.TOTP('{totp}', digits={DIGITS}, "
                     f"interval={STEP}).now())\")")
        lines.append(line)
        if username in data.recovery_codes:
            lines.append(f"      recovery codes: {' '.join(data.recovery_codes[username])}")
    lines.append(f"Self-service profile: {issuer}/account/   "
                 f"Admin settings (log in as admin): {issuer}/admin/")
    if data.operator is not None:
        username, password, totp, path = data.operator
        base = issuer.rsplit("/d/", 1)[0]
        lines.append(f"Operator console: {base}{path} (log in as {username} / {password}, "
                     f"authenticator app key {totp})")
    if outbox:
        lines.append(f"SMS and email codes are not sent in development: read them at {outbox}")
    return "\n".join(lines)


def default_directory() -> Directory:
    """Return the `default` directory (after `idp init`)."""
    directory = get_directory("default")
    if directory is None:
        raise LookupError("run `idp init` first")
    return directory
