"""PostgreSQL cursors describe each shape of result once per process, and say what
psycopg's own cursors say."""

from __future__ import annotations

import secrets

import psycopg
import pytest
from sqlalchemy import text

from idp import create_app
from idp.storage import db
from idp.storage.described import DescribedCursor
from tests.conftest import BACKENDS, POSTGRES
from tests.support.live import TEST_SETTINGS

pytestmark = [pytest.mark.storage, pytest.mark.skipif(
    "postgresql" not in BACKENDS, reason="the tests run on SQLite only (IDP_TEST_BACKENDS)")]

SHAPED = "SELECT 1::int AS number, 'x'::varchar(12) AS word, now() AS moment, '{}'::json AS doc"


def said(description) -> list[tuple]:
    return [tuple(column) for column in description]


@pytest.fixture
def connection():
    with psycopg.connect(POSTGRES, cursor_factory=DescribedCursor) as conn:
        yield conn


def test_a_result_says_what_psycopgs_own_cursor_says(connection):
    with psycopg.connect(POSTGRES) as plain:
        expected = said(plain.execute(SHAPED).description)
    assert said(connection.execute(SHAPED).description) == expected
    assert said(connection.execute(SHAPED).description) == expected  # and again, kept
    assert [column.name for column in connection.execute(SHAPED).description] == [
        "number", "word", "moment", "doc"]


def test_a_shape_seen_before_is_not_described_again_on_any_connection(connection):
    first = connection.execute(SHAPED).description
    second = connection.execute(SHAPED).description
    assert all(a is b for a, b in zip(first, second, strict=True))
    second.clear()  # each reader gets a list of its own
    assert len(connection.execute(SHAPED).description) == 4
    with psycopg.connect(POSTGRES, cursor_factory=DescribedCursor) as other:
        third = other.execute(SHAPED).description
    assert all(a is b for a, b in zip(first, third, strict=True))


def test_a_type_of_one_schema_is_not_taken_for_its_namesake_of_another(connection):
    schemas = [f"shaped_{secrets.token_hex(4)}" for _ in range(2)]
    for schema in schemas:  # in the test's transaction, rolled back at the end
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f"""CREATE TYPE "{schema}".mood AS ENUM ('glad')""")
    try:
        a, b = (connection.execute(f"""SELECT 'glad'::"{schema}".mood AS m""").description[0]
                for schema in schemas)
        assert a.name == b.name == "m"
        assert a.type_code != b.type_code
    finally:
        connection.rollback()


def test_a_table_changed_between_two_reads_is_described_as_it_is_now(connection):
    connection.execute("CREATE TEMPORARY TABLE shaped (a integer)")
    assert [c.name for c in connection.execute("SELECT * FROM shaped").description] == ["a"]
    connection.execute("ALTER TABLE shaped RENAME COLUMN a TO b")
    assert [c.name for c in connection.execute("SELECT * FROM shaped").description] == ["b"]
    connection.execute("ALTER TABLE shaped ALTER COLUMN b TYPE text")
    column, = connection.execute("SELECT * FROM shaped").description
    assert column.type_code == psycopg.adapters.types["text"].oid


def test_a_result_without_columns_is_described_as_psycopg_describes_it(connection):
    connection.execute("CREATE TEMPORARY TABLE shaped (a integer)")
    assert connection.execute("INSERT INTO shaped VALUES (1)").description is None
    assert connection.execute("SELECT FROM shaped").description == []


def test_the_providers_postgresql_connections_use_it(database_url_factory):
    app = create_app({**TEST_SETTINGS, "IDP_DATABASE_URL": database_url_factory("postgresql")})
    try:
        with app.app_context(), db.engine.connect() as conn:
            result = conn.execute(text(SHAPED))
            assert isinstance(result.cursor, DescribedCursor)
            assert list(result.keys()) == ["number", "word", "moment", "doc"]
    finally:
        with app.app_context():
            db.engine.dispose()
