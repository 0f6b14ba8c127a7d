"""Time the admin's user list with 100,000 users: first page, deep pages, searches.

    .venv/bin/python bench/bench_admin_users.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/bench_admin_users.py --backends sqlite --users 20000

Each backend gets a fresh database (a temporary SQLite file, or a new PostgreSQL schema
that is dropped at the end), migrated with the provider's migrations. Users are
inserted in bulk; every third has a confirmed authenticator app, every fifth a passkey,
so the page's "methods" column has work to do. Each case runs ``search_users`` (the
page query, the has-more check and the methods of the 50 users shown) and renders the
page's template; the median and the slowest of the repeats are printed, with the
query plan of the page query.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import psycopg  # noqa: E402
from flask import g, render_template  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from idp import create_app  # noqa: E402
from idp.admin.users import search_users
from idp.clock import now  # noqa: E402
from idp.services import services  # noqa: E402
from idp.storage import db  # noqa: E402
from idp.storage.migrate import upgrade_schema  # noqa: E402
from idp.storage.models import Credential, Passkey, User  # noqa: E402
from idp.tenants.directories import create_directory

POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
NAMES = ("Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder",
         "de Boer", "Bos", "Vos", "Peters", "Hendriks", "Dekker", "Brouwer", "de Wit")
FIRST = ("Anna", "Bram", "Cor", "Daan", "Eva", "Fleur", "Gijs", "Hanna", "Iris", "Jan")
BATCH = 10_000


def _database(backend: str) -> tuple[str, str | None]:
    if backend == "sqlite":
        path = os.path.join(tempfile.mkdtemp(prefix="bench-users-"), "idp.sqlite3")
        return f"sqlite:///{path}", None
    schema = f"bench_users_{secrets.token_hex(5)}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES else "?"
    return f"{POSTGRES}{sep}options=-csearch_path%3D{schema}", schema


def _drop(url: str, schema: str | None) -> None:
    if url.startswith("sqlite:///"):
        shutil.rmtree(os.path.dirname(url[len("sqlite:///"):]), ignore_errors=True)
    if schema:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _fill(directory_id: int, count: int) -> None:
    moment = now()
    for start in range(0, count, BATCH):
        rows = [{"directory_id": directory_id, "subject": secrets.token_urlsafe(16),
                 "username": f"user{i:06d}", "username_key": f"user{i:06d}",
                 "email": f"person{i:06d}@example.org", "email_key": f"person{i:06d}@example.org",
                 "email_verified": i % 2 == 0, "phone": None, "phone_verified": False,
                 "name": f"{FIRST[i % len(FIRST)]} {NAMES[(i // 10) % len(NAMES)]}",
                 "password_hash": "$argon2id$placeholder", "is_admin": False, "disabled": False,
                 "created_at": moment, "updated_at": moment}
                for i in range(start, min(start + BATCH, count))]
        db.session.execute(insert(User), rows)
    ids = list(db.session.scalars(text("SELECT id FROM user_account ORDER BY id")))
    totp = [{"user_id": uid, "method": "totp", "label": "app", "counter": 0, "data": {},
             "created_at": moment, "confirmed_at": moment} for uid in ids[::3]]
    for start in range(0, len(totp), BATCH):
        db.session.execute(insert(Credential), totp[start:start + BATCH])
    keys = [{"directory_id": directory_id, "user_id": uid, "credential_id": f"c{uid}",
             "public_key": b"k", "sign_count": 0, "transports": [], "backup_eligible": False,
             "backed_up": False, "name": "key", "created_at": moment} for uid in ids[::5]]
    for start in range(0, len(keys), BATCH):
        db.session.execute(insert(Passkey), keys[start:start + BATCH])
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()


def _time(run, repeats: int) -> tuple[float, float]:
    run()  # warm the caches once
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)


def _plan(directory_id: int, sql_where: str) -> str:
    # Only the benchmark's own constants are formatted in: this is not user input.
    query = (f"SELECT id FROM user_account WHERE directory_id = {directory_id} "  # noqa: S608
             f"{sql_where} ORDER BY username_key LIMIT 51")
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(text("EXPLAIN " + query)).all()
        return " | ".join(r[0].strip() for r in rows[:4])
    rows = db.session.execute(text("EXPLAIN QUERY PLAN " + query)).all()
    return " | ".join(str(r[-1]) for r in rows)


def bench(backend: str, count: int, repeats: int) -> list[tuple[str, int, float, float, str]]:
    """Return (case, rows shown, median ms, slowest ms, plan) for one backend."""
    url, schema = _database(backend)
    try:
        app = create_app({"IDP_ENV": "testing", "IDP_DATABASE_URL": url,
                          "IDP_BASE_URL": "http://127.0.0.1:1"})
        with app.app_context():
            upgrade_schema()
            directory = create_directory("bench", "Bench", services().sealer, now())
            db.session.commit()
            started = time.perf_counter()
            _fill(directory.id, count)
            print(f"{backend}: {count:,} users inserted in {time.perf_counter() - started:.1f} s",
                  flush=True)
            deep = f"user{int(count * 0.9):06d}"
            cases = [
                ("first page", {}, ""),
                ("deep page (after 90%)", {"after": deep}, f"AND username_key > '{deep}'"),
                ("previous page (before 90%)", {"before": deep},
                 f"AND username_key < '{deep}'"),
                ("last page", {"after": f"user{count - 10:06d}"}, ""),
                ("search username prefix 'user0999'", {"query": "user0999"},
                 "AND username_key LIKE 'user0999%'"),
                ("search email prefix 'person05'", {"query": "person05"}, ""),
                ("search name part 'jansen' (1 in 16)", {"query": "jansen"}, ""),
                ("search with no match 'zzzz'", {"query": "zzzz"},
                 "AND (username_key LIKE 'zzzz%' OR email_key LIKE 'zzzz%' "
                 "OR lower(name) LIKE '%zzzz%')"),
            ]
            results = []
            with app.test_request_context("/d/bench/admin/users"):
                g.directory = directory
                for label, kwargs, where in cases:
                    shown = []

                    def run(kwargs=kwargs, shown=shown):
                        page = search_users(directory, services().methods, kwargs.get("query", ""),
                                            after=kwargs.get("after"),
                                            before=kwargs.get("before"))
                        render_template("admin/users.html", directory=directory, page=page,
                                        query=kwargs.get("query", ""),
                                        methods=services().methods)
                        shown[:] = page.users

                    median, worst = _time(run, repeats)
                    results.append((label, len(shown), median, worst,
                                    _plan(directory.id, where) if where else ""))
            db.session.remove()
            db.engine.dispose()
        return results
    finally:
        _drop(url, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    for backend in args.backends.split(","):
        results = bench(backend, args.users, args.repeats)
        print(f"\n{backend}, {args.users:,} users: median / slowest of {args.repeats} (ms), "
              "search_users + rendering the page")
        for label, shown, median, worst, plan in results:
            print(f"  {label:40s} {shown:3d} rows  {median:7.1f}  {worst:7.1f}")
            if plan:
                print(f"      plan: {plan}")
        print(flush=True)


if __name__ == "__main__":
    main()
