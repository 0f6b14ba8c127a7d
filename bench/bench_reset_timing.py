"""Time the start of a password reset for a known name and an unknown one, with a slow mail server.

"Forgot your password?" must not tell whether an account exists, by its time either. The
script prepares a fresh database (``python -m idp init``, then users with a proven email
address and one client), starts a slow SMTP server in a process of its own (it waits
``--smtp-delay`` seconds, 0.25 by default, before it accepts each message) and
``gunicorn -w 2 --threads 4 'idp:create_app()'`` mailing through it, and then, ``--rounds``
times (200 by default), in a random order within each round, starts a reset for a known
name and for an unknown one. Each start is a new browser: the authorization request, the
login page and the reset page are not timed; the POST of the name is, up to its answer
(the redirect to the code page). It prints the median (and quartiles) of each kind and the
difference of the medians, and checks that every known name's code reached the mail server
(after the timed part) and that the unknown names sent nothing.

    .venv/bin/python bench/bench_reset_timing.py
    .venv/bin/python bench/bench_reset_timing.py --rounds 50 --backend postgresql

Rate limits are off (``IDP_ENV=testing``) and so are, in effect, the hourly code limits:
what is measured is the page, not the limits.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402
    PASSWORD,
    BenchClient,
    Database,
    Target,
    authorize,
    csrf_of,
    expect,
    free_port,
    idp_init,
    served,
)

LIMIT = "1000000"
USER_PREFIX = "reset"


# -- the slow mail server (run as a process of its own: --serve-smtp) --------------------------

def serve_smtp(delay: float, count_file: Path) -> None:
    """Accept every message after `delay` seconds; keep the count in `count_file`."""
    from aiosmtpd.controller import Controller

    received = 0

    class Slow:
        async def handle_DATA(self, server, session, envelope) -> str:
            nonlocal received
            await asyncio.sleep(delay)
            received += 1
            count_file.write_text(str(received))
            return "250 Message accepted for delivery"

    count_file.write_text("0")
    port = free_port()
    controller = Controller(Slow(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening on {port}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


class SlowMailServer:
    """The slow SMTP server's process, and the count of messages it accepted."""

    def __init__(self, delay: float):
        self._dir = tempfile.mkdtemp(prefix="idp-bench-smtp-")
        self.count_file = Path(self._dir) / "count"
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
        try:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--serve-smtp", str(delay), str(self.count_file)],
                stdout=subprocess.PIPE, text=True)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
        line = self.process.stdout.readline() if self.process.stdout else ""
        found = re.match(r"listening on (\d+)", line)
        if found is None:
            raise SystemExit(f"the SMTP server did not start: {line!r}")
        self.port = int(found.group(1))

    def received(self) -> int:
        try:
            return int(self.count_file.read_text() or 0)
        except (OSError, ValueError):
            return 0

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


# -- preparing the provider -------------------------------------------------------------------

def provider_env(database_url: str, base_url: str, smtp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update({
        "IDP_ENV": "testing",  # the only way to turn the rate limits off
        "IDP_DATABASE_URL": database_url,
        "IDP_BASE_URL": base_url,
        "IDP_SECRET_KEY": secrets.token_urlsafe(32),
        "IDP_RATE_LIMITS_ENABLED": "false",
        "IDP_SMTP_HOST": "127.0.0.1", "IDP_SMTP_PORT": str(smtp_port),
        "IDP_SMTP_SECURITY": "none",
        "IDP_OTP_PER_IP_PER_HOUR": LIMIT, "IDP_OTP_PER_USER_PER_HOUR": LIMIT,
        "IDP_OTP_PER_DESTINATION_PER_HOUR": LIMIT,
        "PYTHONPATH": str(ROOT),
    })
    return env


def make_app(env: dict[str, str]):
    from idp import create_app
    from idp.config import KEYS_BY_NAME

    return create_app({k: KEYS_BY_NAME[k].parse(v) for k, v in env.items() if k in KEYS_BY_NAME})


def seed(env: dict[str, str], users: int) -> BenchClient:
    """Add `users` users with a password and a proven email address, and a client."""
    from sqlalchemy import insert

    from idp.clock import now
    from idp.services import services
    from idp.storage import db
    from idp.storage.models import User
    from idp.tenants.clients import create_client
    from idp.tenants.directories import get_directory

    app = make_app(env)
    with app.app_context():
        directory = get_directory("default")
        moment = now()
        password_hash = services().passwords.hash(PASSWORD)
        db.session.execute(insert(User), [
            {"directory_id": directory.id, "subject": secrets.token_urlsafe(16),
             "username": known_name(i), "username_key": known_name(i),
             "email": f"{known_name(i)}@example.org", "email_key": f"{known_name(i)}@example.org",
             "email_verified": True, "name": f"Reset User {i}", "password_hash": password_hash,
             "is_admin": False, "disabled": False, "created_at": moment, "updated_at": moment}
            for i in range(users)])
        client_id = f"bench-reset-{secrets.token_hex(3)}"
        _row, secret = create_client(directory, client_id=client_id,
                                     redirect_uris=["http://127.0.0.1:9/callback"], now=now())
        db.session.commit()
        db.engine.dispose()
    return BenchClient(client_id, secret or "", "RS256")


def known_name(index: int) -> str:
    return f"{USER_PREFIX}{index:05d}"


def unknown_name(index: int) -> str:
    return f"nobody{index:05d}"[:len(known_name(index))]  # as long as a known name


def outcome(env: dict[str, str]) -> dict[str, int]:
    """Count what the provider stored: codes, delivered ones, and undelivered events."""
    from sqlalchemy import func, select

    from idp.storage import db
    from idp.storage.models import AuditEvent, OneTimeCode

    app = make_app(env)
    with app.app_context():
        counts = {
            "codes": db.session.scalar(select(func.count(OneTimeCode.id))) or 0,
            "delivered": db.session.scalar(select(func.count(OneTimeCode.id)).where(
                OneTimeCode.delivered.is_(True))) or 0,
            "undelivered_events": db.session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.event == "password_reset.code_undelivered")) or 0,
        }
        db.engine.dispose()
    return counts


# -- measuring ----------------------------------------------------------------------------------

def start_reset(target: Target, name: str) -> float:
    """Open a reset in a new browser and time the POST of the name; return seconds."""
    with requests.Session() as http:
        response, _verifier = authorize(http, target, target.clients["RS256"])
        interaction = urljoin(response.url, response.headers["Location"])
        expect(http.get(interaction, timeout=60), 200)
        page = expect(http.get(interaction + "/reset", timeout=60), 200)
        data = {"csrf_token": csrf_of(page.text), "username": name}
        started = time.perf_counter()
        answer = http.post(interaction + "/reset", data=data, allow_redirects=False, timeout=60)
        took = time.perf_counter() - started
        expect(answer, 303)
    return took


def summary(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    q1, median, q3 = statistics.quantiles(ms, n=4)
    return (f"median {statistics.median(ms):7.2f} ms   quartiles {q1:6.2f}–{q3:6.2f} ms   "
            f"mean {statistics.fmean(ms):7.2f} ms   (n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--smtp-delay", type=float, default=0.25)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--warm-up", type=int, default=10)
    parser.add_argument("--serve-smtp", nargs=2, metavar=("DELAY", "COUNT_FILE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_smtp:
        serve_smtp(float(args.serve_smtp[0]), Path(args.serve_smtp[1]))
        return

    rounds, warm = args.rounds, args.warm_up
    database = Database(args.backend)
    mail = SlowMailServer(args.smtp_delay)
    try:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = provider_env(database.url, base_url, mail.port)
        idp_init(env)
        client = seed(env, warm + rounds)
        target = Target(base_url, f"{base_url}/d/default", {"RS256": client}, "")
        log = Path(tempfile.mkdtemp(prefix="idp-bench-log-")) / "gunicorn.log"
        times: dict[str, list[float]] = {"known": [], "unknown": []}
        rng = random.Random(15)
        with served(env, port, args.workers, args.threads, log, server="gunicorn"):
            for index in range(warm + rounds):
                kinds = ["known", "unknown"]
                rng.shuffle(kinds)
                for kind in kinds:
                    name = known_name(index) if kind == "known" else unknown_name(index)
                    took = start_reset(target, name)
                    if index >= warm:
                        times[kind].append(took)
            deadline = time.monotonic() + 60 + (warm + rounds) * args.smtp_delay
            while mail.received() < warm + rounds and time.monotonic() < deadline:
                time.sleep(0.2)
        counts = outcome(env)
    finally:
        mail.stop()
        database.drop()

    known, unknown = times["known"], times["unknown"]
    difference = (statistics.median(known) - statistics.median(unknown)) * 1000
    print(f"Reset start (POST of the name), {args.backend}, gunicorn -w {args.workers} "
          f"--threads {args.threads}, SMTP server waiting {args.smtp_delay * 1000:.0f} ms "
          f"per message, {rounds} rounds interleaved (after {warm} untimed):")
    print(f"  known name:   {summary(known)}")
    print(f"  unknown name: {summary(unknown)}")
    print(f"  difference of the medians (known - unknown): {difference:+.2f} ms")
    print(f"  mail server accepted {mail.received()} messages for {warm + rounds} known names; "
          f"codes stored {counts['codes']}, delivered {counts['delivered']}, "
          f"undelivered (audited) {counts['undelivered_events']}")


if __name__ == "__main__":
    main()
