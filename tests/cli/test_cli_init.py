"""`idp init [--demo]`: schema, default directory and keys, once; demo credentials."""

from __future__ import annotations

import re

from sqlalchemy import inspect, text

from idp.security.tokens import secret_matches
from idp.storage import db
from idp.tenants.accounts import find_user
from idp.tenants.clients import get_client
from idp.tenants.directories import get_directory
from tests.cli.helpers import jwks, provider, run_idp


def _schema(database_url: str) -> tuple[str, list[str]]:
    with provider(database_url):
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        return version, sorted(inspect(db.engine).get_table_names())


def test_init_creates_the_default_and_the_operators_directory_and_a_second_run_changes_nothing(
        any_database):
    first = run_idp(any_database, "init").assert_ok()
    keys = jwks(any_database)
    schema = _schema(any_database)

    second = run_idp(any_database, "init").assert_ok()

    assert "Created directory 'default'" in first.stdout
    assert "Created directory 'operators' for the installation's operators" in first.stdout
    assert "http://localhost:5000/d/operators/operator/" in first.stdout
    assert re.search(r"issuer http://localhost:5000/d/default$", first.stdout, re.M)
    assert "Created" not in second.stdout
    assert "Database ready" in second.stdout
    assert sorted(k["kid"] for k in keys) == sorted(k["kid"] for k in jwks(any_database))
    assert {k["alg"] for k in keys} == {"RS256", "ES256"}
    assert _schema(any_database) == schema
    assert "directory" in schema[1] and "user_account" in schema[1]


def test_init_demo_prints_the_demo_users_and_the_portal_secret_and_can_run_again(sqlite_url):
    first = run_idp(sqlite_url, "init", "--demo").assert_ok()
    second = run_idp(sqlite_url, "init", "--demo").assert_ok()

    def secret(run):
        found = re.search(r"Portal client: portal \(secret: (\S+)\)", run.stdout)
        assert found, run.stdout
        return found.group(1)

    def bob_key(run):
        return re.search(r"bob / .*authenticator app key ([A-Z2-7]{32})", run.stdout).group(1)

    for user in ("alice", "bob", "carol", "admin"):
        assert re.search(rf"^\s+{user} / {user}-demo-password", first.stdout, re.M), first.stdout
    assert "carol / carol-demo-password  (phone +447911123456)" in first.stdout
    assert "/dev/outbox" not in first.stdout  # the outbox page exists in development only
    assert secret(first) != secret(second), "a second run gives the portal a new secret"
    assert bob_key(first) == bob_key(second), "and keeps the users as they are"
    with provider(sqlite_url):
        directory = get_directory("default")
        portal = get_client(directory, "portal")
        assert secret_matches(secret(second), portal.secret_hash)
        assert not secret_matches(secret(first), portal.secret_hash)
        carol = find_user(directory, "carol")
        assert (carol.phone, carol.phone_verified, carol.email_verified) == (
            "+447911123456", True, True)
        assert find_user(directory, "admin").is_admin
        assert not find_user(directory, "alice").is_admin
        operator = find_user(get_directory("operators"), "ops")
        assert operator is not None and operator.is_admin
    console = re.findall(r"^Operator console: http://localhost:5000/d/operators/operator/ "
                         r"\(log in as ops / ops-demo-password, authenticator app key "
                         r"([A-Z2-7]{32})\)$", first.stdout + second.stdout, re.M)
    assert len(console) == 2 and console[0] == console[1], first.stdout
