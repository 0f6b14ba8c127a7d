"""Time the lock-out preview of the admin settings page with many users, on both backends.

For each backend and user count this script makes a fresh database (a temporary SQLite
file, or a new PostgreSQL schema dropped at the end), migrates it, and inserts users in
bulk with a mix of methods (user *i*):

* a password, except every 50th (invited, no password yet); every 40th is disabled;
* a confirmed authenticator app if i % 3 == 0 (an unconfirmed one if i % 17 == 0);
* a proven mobile number if i % 4 == 0, a proven email address if i % 5 == 0;
* a passkey if i % 7 == 0; an approved app if i % 11 == 0 (a blocked one if i % 19 == 0);
* ten recovery codes, three of them used, if i % 13 == 0.

Then it times, best of ``--repeat`` runs: the census (``idp.admin.census.take_census``: one query
per method and one for the users, whatever their number), the preview rules
(``idp.domain.preview_settings`` for raising the level from 30 to 40), and rendering
the preview page (``admin/settings.html`` with those results), and prints a table.

    .venv/bin/python bench/bench_preview.py                  # 1,000 and 100,000 users
    .venv/bin/python bench/bench_preview.py --users 10000 --backends sqlite
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BATCH = 10_000

# The load benchmark's Database: a fresh SQLite file or PostgreSQL schema, dropped at the end.
from bench import Database, end_cleanly_on_sigterm  # noqa: E402


def make_app(database_url: str):
    from idp import create_app
    from idp.storage.migrate import upgrade_schema

    app = create_app({"IDP_ENV": "testing", "IDP_DATABASE_URL": database_url,
                      "IDP_BASE_URL": "http://127.0.0.1:9", "IDP_SECRET_KEY": "x" * 64,
                      "IDP_ARGON2_MEMORY_KIB": 1024, "IDP_ARGON2_TIME_COST": 1})
    with app.app_context():
        upgrade_schema()
    return app


def seed(app, total: int) -> float:
    """Insert `total` users with the mix of methods above into `default`; return seconds."""
    from sqlalchemy import insert, select

    from idp.services import services
    from idp.storage import db
    from idp.storage.models import AppDevice, Credential, Passkey, User
    from idp.tenants.directories import ensure_default_directory

    started = time.perf_counter()
    with app.app_context():
        directory, _ = ensure_default_directory(services().sealer, time.time())
        db.session.commit()
        moment = time.time()
        for first in range(0, total, BATCH):
            indexes = range(first, min(total, first + BATCH))
            db.session.execute(insert(User), [{
                "directory_id": directory.id, "subject": secrets.token_hex(16),
                "username": f"u{i:07d}", "username_key": f"u{i:07d}",
                "email": f"u{i:07d}@example.org", "email_key": f"u{i:07d}@example.org",
                "email_verified": i % 5 == 0, "phone": f"+3161{i:07d}",
                "phone_verified": i % 4 == 0, "name": f"User {i}",
                "password_hash": None if i % 50 == 0 else "$argon2id$bench",
                "is_admin": False, "disabled": i % 40 == 0,
                "created_at": moment, "updated_at": moment} for i in indexes])
            ids = dict(db.session.execute(select(User.username, User.id).where(
                User.directory_id == directory.id,
                User.username_key.between(f"u{indexes[0]:07d}", f"u{indexes[-1]:07d}"))).all())
            credentials, passkeys, apps = [], [], []
            for i in indexes:
                uid = ids[f"u{i:07d}"]
                common = {"user_id": uid, "counter": 0, "data": {}, "created_at": moment}
                if i % 3 == 0 or i % 17 == 0:
                    credentials.append({**common, "method": "totp",
                                        "confirmed_at": moment if i % 3 == 0 else None})
                if i % 13 == 0:
                    credentials += [{**common, "method": "recovery", "lookup": secrets.token_hex(8),
                                     "confirmed_at": moment, "used_at": moment if n < 3 else None}
                                    for n in range(10)]
                if i % 7 == 0:
                    passkeys.append({"directory_id": directory.id, "user_id": uid,
                                     "credential_id": secrets.token_urlsafe(16),
                                     "public_key": b"bench", "transports": [], "name": "key",
                                     "created_at": moment})
                if i % 11 == 0 or i % 19 == 0:
                    apps.append({"directory_id": directory.id, "user_id": uid,
                                 "public_id": secrets.token_hex(12), "name": "phone",
                                 "public_jwk": {}, "pin_hash": "x", "created_at": moment,
                                 "confirmed_at": moment,
                                 "blocked_at": moment if i % 11 else None})
            for model, rows in ((Credential, credentials), (Passkey, passkeys), (AppDevice, apps)):
                if rows:
                    db.session.execute(insert(model), rows)
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
    return time.perf_counter() - started


def best(runs: int, work) -> tuple[float, float, object]:
    """Return the fastest of `runs` timings of `work()`, wall clock and this process's CPU
    (on a busy machine CPU time is the steadier number), and its last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        result = work()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def measure(app, repeat: int) -> dict[str, object]:
    """Time the census, the preview rules and the page, as the settings page runs them."""
    from flask import g

    from idp.admin.census import many_objects, take_census
    from idp.domain import preview_settings
    from idp.methods import enrollable_now
    from idp.services import services
    from idp.storage import db
    from idp.storage.models import User
    from idp.tenants.directories import get_directory, level_settings
    from idp.web.admin.settings import _page, form_of

    with app.test_request_context("/d/default/admin/settings", method="POST"):
        directory = get_directory("default")
        methods = services().methods
        current = level_settings(directory)
        candidate = current.with_changes(40)

        def census():
            db.session.expire_all()
            return take_census(directory, methods)

        census_s, census_cpu, members = best(repeat, census)
        def rules():
            with many_objects():  # as the page runs them
                return preview_settings(current, candidate, members, enrollable_now(methods))

        preview_s, _cpu, preview = best(repeat, rules)
        g.directory = directory
        g.account_user = db.session.get(User, members[0].id)  # the admin looking
        page_s, _cpu, (html, _status) = best(repeat, lambda: _page(form_of(candidate),
                                                                     preview=preview))
    return {"members": len(members), "census": census_s, "census_cpu": census_cpu,
            "preview": preview_s, "page": page_s,
            "losing": len(preview.losing), "locked_out": len(preview.locked_out),
            "short": len(preview.still_short), "html_kib": len(html) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", default="1000,100000",
                        help="comma-separated user counts (default 1000,100000)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best counts")
    opts = parser.parse_args()
    end_cleanly_on_sigterm()
    counts = sorted(int(n) for n in opts.users.split(","))
    rows = []
    for backend in opts.backends.split(","):
        database = Database(backend)
        try:
            app = make_app(database.url)
            for count in counts:
                seed_s = seed(app, count)
                result = measure(app, opts.repeat)
                rows.append({"backend": backend, "users": count, "seed": seed_s, **result})
                print(f"{backend:10} {count:>8,} users: seeded in {seed_s:.1f} s, census "
                      f"{result['census'] * 1000:.0f} ms", flush=True)
                remove_users(app)
            with app.app_context():
                from idp.storage import db

                db.engine.dispose()
        finally:
            database.drop()
    print()
    print(table(rows))


def remove_users(app) -> None:
    """Remove the benchmark's users, so that the next count starts from none."""
    from sqlalchemy import delete

    from idp.storage import db
    from idp.storage.models import AppDevice, Credential, Passkey, User

    with app.app_context():
        for model in (Credential, Passkey, AppDevice, User):
            db.session.execute(delete(model))
        db.session.commit()


def table(rows: list[dict]) -> str:
    head = ("| backend | users | active | census (5 queries) | census CPU here | preview rules "
            "| page render | total | losing at 40 | page size |")
    lines = [head, "|" + "---|" * 10]
    for r in rows:
        total = r["census"] + r["preview"] + r["page"]
        lines.append(
            f"| {r['backend']} | {r['users']:,} | {r['members']:,} | {r['census'] * 1000:.0f} ms "
            f"| {r['census_cpu'] * 1000:.0f} ms | {r['preview'] * 1000:.0f} ms "
            f"| {r['page'] * 1000:.0f} ms | {total * 1000:.0f} ms | {r['losing']:,} "
            f"| {r['html_kib']:.0f} KiB |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
