"""`idp purge`: expired rows go, live ones stay, audit events older than the retention time
go, and recovery codes still stored as SHA-256 are rehashed, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import time

from sqlalchemy import func, select

from idp.methods import MethodContext
from idp.methods.recovery import ALPHABET
from idp.security.tokens import hash_secret
from idp.services import services
from idp.storage import db
from idp.storage.models import (
    AttemptBudget,
    AuditEvent,
    BrowserSession,
    Credential,
    DeviceAuthorization,
    Interaction,
    PushedRequest,
    SpentSeal,
    Token,
    TokenFamily,
)
from idp.tenants.accounts import create_user, find_user
from idp.tenants.clients import create_client
from idp.tenants.directories import get_directory
from idp.tenants.grants import start_family
from idp.users.sessions import start_session
from tests.cli.helpers import provider, run_idp
from tests.support.live import PASSWORD


def _seed(database_url: str) -> None:
    """One expired and one live session, each with a pending login and a spent challenge,
    and an expired and a live pushed request and device request."""
    # The time of seeding, not of import: a long test run must not age the "live" rows.
    now = time.time()
    with provider(database_url):
        directory = get_directory("default")
        client, _secret = create_client(directory, client_id=f"purged-{secrets.token_hex(4)}",
                                        redirect_uris=["https://rp.example.org/cb"], now=now)
        for label, at in (("old", now - 30 * 86400), ("live", now)):
            db.session.add(PushedRequest(uri_hash=hash_secret(label + client.client_id),
                                         directory_id=directory.id, client_pk=client.id,
                                         params={}, expires_at=at + 90))
            session, _token = start_session(directory, at, "127.0.0.1", label)
            db.session.add(Interaction(id=f"{label}-login", directory_id=directory.id,
                                       session_id=session.id, params={}, state={},
                                       created_at=at, expires_at=at + 1800))
            db.session.add(SpentSeal(digest=f"{label}-challenge", expires_at=at + 300))
            db.session.add(DeviceAuthorization(
                directory_id=directory.id, client_pk=client.id,
                device_code_hash=hash_secret(f"{label}-device{client.client_id}"),
                user_code_hash=hash_secret(f"{label}-user{client.client_id}"), scope="openid",
                created_at=at, expires_at=at + 600, poll_interval=5, status="pending"))
        db.session.commit()


def _count(database_url: str, model) -> int:
    with provider(database_url):
        return db.session.scalar(select(func.count()).select_from(model))


def test_purge_deletes_what_expired_and_keeps_what_lives(any_database, idp):
    idp(any_database, "init").assert_ok()
    _seed(any_database)

    run = run_idp(any_database, "purge").assert_ok()

    assert "deleted 1 browser sessions" in run.stdout
    assert "deleted 1 interactions" in run.stdout
    assert "deleted 1 pushed requests" in run.stdout
    assert "deleted 1 device requests" in run.stdout
    assert _count(any_database, PushedRequest) == 1
    assert _count(any_database, DeviceAuthorization) == 1
    assert _count(any_database, BrowserSession) == 1
    assert _count(any_database, Interaction) == 1
    assert _count(any_database, SpentSeal) == 1


def test_a_dry_run_counts_and_deletes_nothing(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    _seed(sqlite_url)

    run = idp(sqlite_url, "purge", "--dry-run").assert_ok()

    assert "would delete 1 browser sessions" in run.stdout
    assert _count(sqlite_url, BrowserSession) == 2


DAY = 86400


def _seed_audit(database_url: str, *ages_in_days: float) -> None:
    """One audit event of each age in the default directory."""
    now = time.time()
    with provider(database_url):
        directory = get_directory("default")
        for age in ages_in_days:
            db.session.add(AuditEvent(directory_id=directory.id, at=now - age * DAY,
                                      event="login", detail={"age": age}))
        db.session.commit()


def _audit_ages(database_url: str) -> list[float]:
    with provider(database_url):
        return sorted(event.detail["age"] for event in db.session.scalars(select(AuditEvent)))


def test_purge_deletes_audit_events_older_than_the_retention_and_says_how_many(any_database,
                                                                              idp):
    idp(any_database, "init").assert_ok()
    _seed_audit(any_database, 800, 366, 364, 1)

    run = run_idp(any_database, "purge").assert_ok()

    assert "deleted 2 audit events older than 365 days" in run.stdout
    assert _audit_ages(any_database) == [1, 364]


def test_the_retention_time_is_a_setting(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    _seed_audit(sqlite_url, 40, 20, 5)

    run = idp(sqlite_url, "purge", IDP_AUDIT_RETENTION_DAYS="10").assert_ok()

    assert "deleted 2 audit events older than 10 days" in run.stdout
    assert _audit_ages(sqlite_url) == [5]


def test_a_dry_run_counts_old_audit_events_and_keeps_them(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    _seed_audit(sqlite_url, 400, 1)

    run = idp(sqlite_url, "purge", "--dry-run").assert_ok()

    assert "would delete 1 audit events older than 365 days" in run.stdout
    assert _audit_ages(sqlite_url) == [1, 400]


def test_a_retention_below_one_day_is_refused(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    idp(sqlite_url, "purge", IDP_AUDIT_RETENTION_DAYS="0").assert_one_line_error(
        "IDP_AUDIT_RETENTION_DAYS")


def test_purge_forgets_failure_budgets_two_days_after_their_last_change(any_database, idp):
    idp(any_database, "init").assert_ok()
    now = time.time()
    with provider(any_database):
        directory = get_directory("default")
        for key, at in (("1:u1:ip:203.0.113.9", now - 3 * 86400), ("1:u1:*", now - 3600)):
            db.session.add(AttemptBudget(key=key, directory_id=directory.id, failures=2,
                                         lockouts=1, updated_at=at))
        db.session.commit()

    run = run_idp(any_database, "purge").assert_ok()

    assert "deleted 1 failure budgets" in run.stdout
    with provider(any_database):
        assert db.session.scalars(select(AttemptBudget.key)).all() == ["1:u1:*"]


def _seed_grants(database_url: str) -> None:
    """Two grants of one user: one whose only token expired long ago, one still good."""
    now = time.time()
    with provider(database_url):
        directory = get_directory("default")
        user = create_user(directory, username="grace", password="correct horse battery",
                           passwords=services().passwords, now=now)
        client, _secret = create_client(directory, client_id="app",
                                        redirect_uris=["https://app.example.org/cb"], now=now)
        db.session.flush()
        for label, at in (("old", now - 200 * 86400), ("live", now)):
            grant = start_family(directory.id, client.id, user.id, None, None, at)
            db.session.add(Token(directory_id=directory.id, client_pk=client.id,
                                 user_id=user.id, family=grant.id, access_token_hash=label * 8,
                                 refresh_token_hash=None, scope="openid", acr="30", amr=[],
                                 auth_time=int(at), issued_at=at, expires_at=at + 3600))
        db.session.commit()


def test_purge_deletes_a_grant_once_its_tokens_are_gone_and_keeps_a_live_one(any_database,
                                                                              idp):
    idp(any_database, "init").assert_ok()
    _seed_grants(any_database)

    run = run_idp(any_database, "purge").assert_ok()

    assert "deleted 1 tokens" in run.stdout and "deleted 1 token grants" in run.stdout
    assert _count(any_database, Token) == 1
    assert _count(any_database, TokenFamily) == 1


# --- Recovery codes stored as SHA-256 alone, before argon2id ------------------------------

def _seed_sha256_recovery_codes(database_url: str, users: int) -> dict[str, list[str]]:
    """Give each of `users` new users ten recovery codes stored as SHA-256 alone (as before
    argon2id); return their codes by username."""
    now = time.time()
    codes: dict[str, list[str]] = {}
    with provider(database_url):
        directory = get_directory("default")
        for index in range(users):
            user = create_user(directory, username=f"old{index}", password=PASSWORD,
                               passwords=services().passwords, now=now)
            codes[user.username] = ["".join(secrets.choice(ALPHABET) for _ in range(16))
                                    for _ in range(10)]
            for code in codes[user.username]:
                db.session.add(Credential(user_id=user.id, method="recovery", label="Recovery",
                                          lookup=hash_secret(code), counter=0, data={},
                                          created_at=now, confirmed_at=now))
        db.session.commit()
    return codes


def _recovery_rows(database_url: str) -> list[tuple[str, str | None]]:
    with provider(database_url):
        return list(db.session.execute(select(Credential.lookup, Credential.secret_hash).where(
            Credential.method == "recovery")).all())


def test_purge_rehashes_recovery_codes_stored_as_sha256_in_batches(any_database, idp):
    idp(any_database, "init").assert_ok()
    codes = _seed_sha256_recovery_codes(any_database, 25)  # 250 codes: three batches

    run = run_idp(any_database, "purge").assert_ok()

    assert "rehashed 250 old SHA-256 recovery codes with argon2id" in run.stdout
    rows = _recovery_rows(any_database)
    assert len(rows) == 250
    assert all(secret_hash.startswith("$argon2id$") and len(lookup) == 4
               for lookup, secret_hash in rows)
    # Every code still works, once.
    with provider(any_database):
        directory = get_directory("default")
        method = services().methods["recovery"]
        for username in ("old0", "old24"):
            ctx = MethodContext(directory=directory, user=find_user(directory, username),
                                now=time.time(), sealer=services().sealer)
            for code in codes[username][:2]:
                assert method.verify(ctx, {"code": code}).amr == ("otp",)
            db.session.commit()
    again = idp(any_database, "purge").assert_ok()
    assert "rehashed 0 old SHA-256 recovery codes" in again.stdout


def test_a_dry_run_counts_recovery_codes_to_rehash_and_changes_none(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    _seed_sha256_recovery_codes(sqlite_url, 2)

    run = idp(sqlite_url, "purge", "--dry-run").assert_ok()

    assert "would rehash 20 old SHA-256 recovery codes with argon2id" in run.stdout
    assert all(secret_hash is None and len(lookup) == 64
               for lookup, secret_hash in _recovery_rows(sqlite_url))
