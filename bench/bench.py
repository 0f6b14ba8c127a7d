"""Load test of the provider as production runs it, on SQLite and PostgreSQL, with 1k and 100k
users.

For each storage backend and user count this script prepares a database
(``python -m idp init`` plus bulk inserts through the app), starts
``idp run --workers 2 --threads 4`` (granian; ``--server`` picks gunicorn instead) and
measures, with a threaded
load generator whose browsers are ``bench/browser.py``'s (keep-alive HTTP/1.1 with cookies,
cheaper in CPU than ``requests``, which would take a larger share of the cores it shares with
the provider):

* full login flows per second: authorize -> login page -> password -> step-up page ->
  TOTP form -> TOTP code -> authorization code -> token exchange, the CPU time each flow
  cost the provider's processes (and PostgreSQL's and Redis's), and the p50/p99 latency of
  each of the flow's requests;
* the same flows started at fixed rates (``--rates``, 10, 15 and 20 a second by default) whether
  or not earlier ones have finished, as people arrive: the p50/p99 latency of each request
  at a load below what the provider can take, where the closed loop above measures it
  saturated;
* code exchanges per second for an RS256 and an ES256 client (codes are issued first through
  the browser flow of signed-in sessions; only the exchanges are timed);
* requests per second and p50/p99 latency of userinfo, discovery and JWKS;
* SMS code requests per second: browsers signed in with their password (untimed) press
  "Text a code to ..." on the step-up page; the provider sends the code synchronously to an
  HTTP SMS gateway on loopback (``bench/sms_gateway.py``, a separate process) that answers at
  once, and again with a gateway that answers after 50 ms;
* the resident memory (VmRSS, and the peak VmHWM) of each worker process.

It prints a table and writes the numbers to ``bench/results/<time>.json``.

    .venv/bin/python bench/bench.py            # both backends, 1,000 and 100,000 users
    .venv/bin/python bench/bench.py --quick    # shorter, 1,000 users only

Rate limits are off (``IDP_RATE_LIMITS_ENABLED=false``, allowed with ``IDP_ENV=testing``), and so
are, in effect, the hourly limits of SMS codes (``IDP_OTP_PER_*_PER_HOUR=1000000``); the
password hashes use the production argon2id parameters (19456 KiB, t=2, p=1).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import itertools
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import phonenumbers
import psycopg
import pyotp
import requests
from browser import Answer, Browser

ROOT = Path(__file__).resolve().parent.parent
#: What the flows run with: the benchmark's lean ``Browser``, or a ``requests`` session.
Http = Browser | requests.Session
Response = Answer | requests.Response
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
POSTGRES = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never visited: the code is read from Location
USER_PREFIX = "bench"
CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]*)\"")
FORM = re.compile(r"<form\b[^>]*\baction=\"([^\"]+)\"[^>]*>(.*?)</form>", re.S)
BUTTON = re.compile(r"<button\b[^>]*>(.*?)</button>", re.S)
SMS_BUTTON = "Text a code to "  # the label of the SMS choice on the step-up page
OTP_LIMIT = "1000000"  # codes per hour per IP, user and destination: not what is measured
SLOW_GATEWAY_SECONDS = 0.05  # the second SMS row: a gateway one realistic network hop away
WARM_UP_SECONDS = 2.0  # of login flows, untimed, before the first measurement of each server


# -- measurements ------------------------------------------------------------------------------

@dataclass
class Measurement:
    """Completed operations over a wall-clock time, with their latencies (seconds)."""

    name: str
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    first_error: str | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]

    def summary(self) -> dict:
        return {"ok": self.ok, "errors": self.errors, "seconds": round(self.seconds, 3),
                "per_second": round(self.rate, 1),
                "p50_ms": round(self.percentile(50) * 1000, 2),
                "p99_ms": round(self.percentile(99) * 1000, 2),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2)
                if self.latencies else None,
                "first_error": self.first_error}


#: The requests of a login flow (``log_in`` and ``exchange``), in their order.
STEPS = ("authorize", "login page", "password", "step-up page", "authenticator form", "TOTP",
         "back to the app", "token exchange")
Timed = Callable[[str, Response], None]


class StepTimes:
    """How long each request of the login flows took, by step: from sending it until its
    answer was read (the answer's ``elapsed``), as the person's browser waits."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.steps = {step: Measurement(step) for step in STEPS}

    def note(self, step: str, response: Response) -> None:
        with self._lock:
            measurement = self.steps[step]
            measurement.ok += 1
            measurement.latencies.append(response.elapsed.total_seconds())

    def summary(self) -> dict[str, dict]:
        return {step: {"n": m.ok, "p50_ms": round(m.percentile(50) * 1000, 2),
                       "p99_ms": round(m.percentile(99) * 1000, 2)}
                for step, m in self.steps.items() if m.ok}


def _untimed(_step: str, _response: Response) -> None:
    pass


def _record(measurement: Measurement, lock: threading.Lock, started: float,
            error: Exception | None) -> None:
    elapsed = time.perf_counter() - started
    with lock:
        if error is None:
            measurement.ok += 1
            measurement.latencies.append(elapsed)
        else:
            measurement.errors += 1
            measurement.first_error = measurement.first_error or repr(error)[:300]


def run_for(name: str, seconds: float, threads: int,
            operation: Callable[[Http], object]) -> Measurement:
    """Run `operation` in `threads` threads (one HTTP session each) for `seconds`."""
    measurement, lock = Measurement(name), threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        with Browser() as http:
            while time.perf_counter() < deadline:
                started, error = time.perf_counter(), None
                try:
                    operation(http)
                except StopIteration:
                    return
                except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                    error = exc
                _record(measurement, lock, started, error)

    _run_workers(measurement, threads, worker)
    return measurement


def run_at_rate(name: str, rate: float, seconds: float,
                operation: Callable[[Http], object],
                max_in_flight: int = 64) -> tuple[Measurement, float]:
    """Start `operation` `rate` times a second for `seconds`, at random times (as many as
    ``rate * seconds``, spread as a Poisson process spreads them, the same on every run),
    whether or not the earlier ones have finished; wait for all of them. Return the
    measurement, each latency counted from when the operation was due to start (so a start
    the load generator delayed counts against the latency, not for it), and the longest such
    delay in seconds.

    At most `max_in_flight` run at once (one HTTP session per thread); more would wait.
    """
    measurement, lock = Measurement(name), threading.Lock()
    local = threading.local()
    sessions: list[Http] = []
    latest_start = [0.0]
    arrivals = random.Random(f"{name}/{rate}/{seconds}")
    offsets = sorted(arrivals.uniform(0, seconds) for _ in range(round(rate * seconds)))

    def one(due: float) -> None:
        http = getattr(local, "http", None)
        if http is None:
            http = local.http = Browser()
            with lock:
                sessions.append(http)
        late, error = time.perf_counter() - due, None
        try:
            operation(http)
        except Exception as exc:  # noqa: BLE001 - counted, the run goes on
            error = exc
        with lock:
            latest_start[0] = max(latest_start[0], late)
        _record(measurement, lock, due, error)

    begin = time.perf_counter()
    with ThreadPoolExecutor(max_in_flight) as pool:
        for offset in offsets:
            due = begin + offset
            time.sleep(max(0.0, due - time.perf_counter()))
            pool.submit(one, due)
    measurement.seconds = time.perf_counter() - begin
    for http in sessions:
        http.close()
    return measurement, latest_start[0]


def _run_workers(measurement: Measurement, threads: int, worker: Callable[[], None]) -> None:
    """Run `worker` in `threads` threads and record the wall time they took together."""
    begin = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    measurement.seconds = time.perf_counter() - begin


def run_items(name: str, items: list, threads: int,
              operation: Callable[[Http, object], object]) -> tuple[Measurement, list]:
    """Run `operation` once per item in `threads` threads; return the timing and the results."""
    measurement, lock = Measurement(name), threading.Lock()
    pending: Iterator = iter(items)
    results: list = []

    def worker() -> None:
        with Browser() as http:
            while True:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                started, error = time.perf_counter(), None
                try:
                    result = operation(http, item)
                    with lock:
                        results.append(result)
                except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                    error = exc
                _record(measurement, lock, started, error)

    _run_workers(measurement, threads, worker)
    return measurement, results


# -- the relying party and the person ---------------------------------------------------------

@dataclass
class BenchClient:
    client_id: str
    secret: str
    alg: str


@dataclass
class Target:
    """Where the provider runs and what was registered in it."""

    base_url: str
    issuer: str
    clients: dict[str, BenchClient]
    totp_secret: str


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    tag = CSRF_INPUT.search(html)
    value = VALUE.search(tag.group(0)) if tag else None
    if value is None:
        raise AssertionError(f"no CSRF token on the page: {html[:200]!r}")
    return value.group(1)


def expect(response: Response, status: int) -> Response:
    if response.status_code != status:
        raise AssertionError(f"{response.request.method} {urlsplit(response.url).path}: "
                             f"{response.status_code}, expected {status}: {response.text[:200]!r}")
    return response


def authorize(http: Http, target: Target, client: BenchClient,
              timed: Timed = _untimed) -> tuple[Response, str]:
    """Send the browser to the authorization endpoint; return the answer and the verifier."""
    verifier = secrets.token_urlsafe(48)
    response = http.get(target.issuer + "/authorize", allow_redirects=False, timeout=60, params={
        "response_type": "code", "client_id": client.client_id, "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email", "state": secrets.token_urlsafe(12),
        "nonce": secrets.token_urlsafe(12), "code_challenge": s256(verifier),
        "code_challenge_method": "S256"})
    timed("authorize", response)
    return expect(response, 302), verifier


def code_of(response: Response) -> str:
    location = expect(response, 302).headers["Location"]
    if not location.startswith(REDIRECT_URI + "?"):
        raise AssertionError(f"not redirected to the client: {location[:200]}")
    params = parse_qs(urlsplit(location).query)
    if "code" not in params:
        raise AssertionError(f"no code: {location[:200]}")
    return params["code"][0]


def log_in(http: Http, target: Target, client: BenchClient,
           username: str, timed: Timed = _untimed) -> tuple[str, str]:
    """Run the front channel as a person: password, then the app's code; return code, verifier.
    `timed` is told each answer, by its step (``STEPS``)."""
    def step(name: str, response: Response, status: int) -> Response:
        timed(name, response)
        return expect(response, status)

    response, verifier = authorize(http, target, client, timed)
    interaction = urljoin(response.url, response.headers["Location"])
    page = step("login page", http.get(interaction, timeout=60), 200)
    step("password", http.post(interaction + "/login", allow_redirects=False, timeout=60, data={
        "csrf_token": csrf_of(page.text), "username": username, "password": PASSWORD}), 302)
    page = step("step-up page", http.get(interaction, allow_redirects=False, timeout=60), 200)
    if "/method/totp" not in page.text:
        raise AssertionError("the step-up page does not offer the authenticator app")
    page = step("authenticator form", http.get(interaction + "/method/totp", timeout=60), 200)
    step("TOTP", http.post(interaction + "/method/totp", allow_redirects=False, timeout=60, data={
        "csrf_token": csrf_of(page.text), "code": pyotp.TOTP(target.totp_secret).now()}), 302)
    response = http.get(interaction, allow_redirects=False, timeout=60)
    timed("back to the app", response)
    return code_of(response), verifier


def exchange(http: Http, target: Target, client: BenchClient, code: str,
             verifier: str, timed: Timed = _untimed) -> dict:
    """Exchange a code at the token endpoint with client_secret_basic."""
    response = http.post(target.issuer + "/token", auth=(client.client_id, client.secret),
                         timeout=60, data={"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": REDIRECT_URI,
                                           "code_verifier": verifier})
    timed("token exchange", response)
    tokens = expect(response, 200).json()
    if "id_token" not in tokens or "access_token" not in tokens:
        raise AssertionError(f"incomplete token response: {sorted(tokens)}")
    return tokens


@dataclass
class SmsChoice:
    """A browser signed in with the password, on the step-up page, that never asked for a code."""

    cookies: dict[str, str]
    send_url: str  # the action of the "Text a code to ..." form
    method_url: str  # where the provider sends the browser once the code went out
    csrf: str
    phone: str


def sms_form(page: str) -> tuple[str, str, str]:
    """Return the action, inner HTML and button label of the step-up page's SMS choice."""
    for action, form in FORM.findall(page):
        button = BUTTON.search(form)
        label = html.unescape(button.group(1)).strip() if button else ""
        if label.startswith(SMS_BUTTON):
            return action, form, label
    raise AssertionError(f"the step-up page offers no SMS code: {page[:300]!r}")


def open_sms_choice(http: Http, target: Target, client: BenchClient,
                    index: int) -> SmsChoice:
    """As a new browser, sign in with the password and stop where the SMS code is offered."""
    http.cookies.clear()
    response, _verifier = authorize(http, target, client)
    interaction = urljoin(response.url, response.headers["Location"])
    page = expect(http.get(interaction, timeout=60), 200)
    response = http.post(interaction + "/login", allow_redirects=False, timeout=60, data={
        "csrf_token": csrf_of(page.text), "username": username(index), "password": PASSWORD})
    expect(response, 302)
    page = expect(http.get(interaction, allow_redirects=False, timeout=60), 200)
    action, form, label = sms_form(page.text)
    phone = phone_of(index)
    if not label.endswith(phone[-4:]):
        raise AssertionError(f"{label!r} is not the number of {username(index)} ({phone})")
    send_url = urljoin(interaction, html.unescape(action))
    if not send_url.endswith("/method/sms/send"):
        raise AssertionError(f"unexpected action of the SMS form: {send_url}")
    return SmsChoice(http.cookies.copy(), send_url, interaction + "/method/sms", csrf_of(form),
                     phone)


def request_sms(http: Http, choice: SmsChoice) -> tuple[str, float]:
    """Press "Text a code to ..." in the prepared browser; return the number and the latency."""
    http.cookies = choice.cookies  # this worker's connection, that browser's cookies
    started = time.perf_counter()
    response = http.post(choice.send_url, data={"csrf_token": choice.csrf},
                         allow_redirects=False, timeout=60)
    elapsed = time.perf_counter() - started
    location = urljoin(choice.send_url, expect(response, 302).headers["Location"])
    if location != choice.method_url:
        raise AssertionError(f"sent to {location[:200]}, expected {choice.method_url}")
    return choice.phone, elapsed


class NoUserLeft(StopIteration):
    """Every user of the pool has signed in once (a StopIteration: it ends a timed run)."""


class UserPool:
    """Hands out each user once: a TOTP code is accepted only once per account and window."""

    def __init__(self, count: int, used: set[int]):
        order = [i for i in range(count) if i not in used]
        random.shuffle(order)
        self._order = iter(order)
        self._used = used
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            index = next(self._order, None)
            if index is None:  # ends the thread's timed run; elsewhere it is the error
                raise NoUserLeft("every user has signed in once: run with more --users "
                                 "or fewer --seconds")
            self._used.add(index)
        return username(index)


def username(index: int) -> str:
    return f"{USER_PREFIX}{index:06d}"


def phone_of(index: int) -> str:
    """Return the user's mobile number in E.164: a Dutch 06-1 number, one per index."""
    if not 0 <= index < 10_000_000:
        raise ValueError(f"no phone number for user {index}")
    return f"+3161{index:07d}"


def check_mobile(e164: str) -> None:
    """Refuse a number that phonenumbers does not take for a valid mobile number in E.164."""
    number = phonenumbers.parse(e164, None)
    if not (phonenumbers.is_valid_number(number)
            and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
            and phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            == e164):
        raise SystemExit(f"{e164} is not a valid mobile number in E.164")


# -- preparing the database --------------------------------------------------------------------

def provider_env(database_url: str, base_url: str, secret_key: str,
                 sms_gateway_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDP_")}
    env.update({
        "IDP_ENV": "testing",  # the only way to turn the rate limits off
        "IDP_DATABASE_URL": database_url,
        "IDP_BASE_URL": base_url,
        "IDP_SECRET_KEY": secret_key,
        "IDP_REDIS_URL": REDIS,
        "IDP_RATE_LIMITS_ENABLED": "false",
        # Production argon2id parameters, stated so that nothing lowers them.
        "IDP_ARGON2_MEMORY_KIB": "19456", "IDP_ARGON2_TIME_COST": "2",
        "IDP_ARGON2_PARALLELISM": "1",
        # Codes are issued before the exchanges are timed; keep them valid meanwhile.
        "IDP_CODE_TTL_SECONDS": "900",
        # SMS codes go to the benchmark's gateway; the hourly limits per IP (all requests come
        # from 127.0.0.1), user and number must not be what is measured. The 30 s wait before
        # another code is per browser session: every timed request comes from a new one.
        "IDP_SMS_GATEWAY_URL": sms_gateway_url,
        "IDP_OTP_PER_IP_PER_HOUR": OTP_LIMIT, "IDP_OTP_PER_USER_PER_HOUR": OTP_LIMIT,
        "IDP_OTP_PER_DESTINATION_PER_HOUR": OTP_LIMIT,
        "PYTHONPATH": str(ROOT),
    })
    return env


class Database:
    """A fresh database of one backend, dropped at the end."""

    def __init__(self, backend: str):
        self.backend = backend
        self._dir: str | None = None
        self._schema: str | None = None
        if backend == "sqlite":
            self._dir = tempfile.mkdtemp(prefix="idp-bench-")
            self.url = f"sqlite:///{self._dir}/idp.sqlite3"
        elif backend == "postgresql":
            self._schema = f"bench_{secrets.token_hex(5)}"
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA "{self._schema}"')
            sep = "&" if "?" in POSTGRES else "?"
            self.url = f"{POSTGRES}{sep}options=-csearch_path%3D{self._schema}"
        else:
            raise SystemExit(f"unknown backend {backend!r}")

    def drop(self) -> None:
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        if self._schema:
            with psycopg.connect(POSTGRES, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self._schema}" CASCADE')


def idp_init(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "-m", "idp", "init"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


class Seeder:
    """Adds users and clients through the app, in bulk, with one precomputed password hash."""

    def __init__(self, env: dict[str, str]):
        from idp import create_app
        from idp.config import KEYS_BY_NAME

        self.app = create_app({k: KEYS_BY_NAME[k].parse(v) for k, v in env.items()
                               if k in KEYS_BY_NAME})
        self.count = 0
        self.totp_secret = pyotp.random_base32(32)
        with self.app.app_context():
            from idp.services import services

            svc = services()
            self._hash = svc.passwords.hash(PASSWORD)  # real argon2id parameters, once
            self._sealed = svc.sealer.seal(self.totp_secret.encode())

    def clients(self) -> dict[str, BenchClient]:
        from idp.clock import now
        from idp.storage import db
        from idp.tenants.clients import create_client
        from idp.tenants.directories import get_directory

        made = {}
        with self.app.app_context():
            directory = get_directory("default")
            for alg in ("RS256", "ES256"):
                client_id = f"bench-{alg.lower()}-{secrets.token_hex(3)}"
                _row, secret = create_client(directory, client_id=client_id,
                                             redirect_uris=[REDIRECT_URI], now=now(),
                                             id_token_alg=alg)
                made[alg] = BenchClient(client_id, secret or "", alg)
            db.session.commit()
        return made

    def grow(self, total: int, batch: int = 10_000) -> float:
        """Insert users up to `total`; return seconds.

        Each user has a proven mobile number (``phone_of``) and a confirmed authenticator app.
        """
        from sqlalchemy import insert, select

        from idp.clock import now
        from idp.storage import db
        from idp.storage.models import Credential, User
        from idp.tenants.directories import get_directory

        started = time.perf_counter()
        with self.app.app_context():
            directory_id = get_directory("default").id
            moment = now()
            while self.count < total:
                indexes = range(self.count, min(total, self.count + batch))
                for i in (indexes[0], indexes[-1]):  # the numbers are made alike: check the ends
                    check_mobile(phone_of(i))
                rows = [{"directory_id": directory_id, "subject": secrets.token_urlsafe(16),
                         "username": username(i), "username_key": username(i),
                         "email": f"{username(i)}@example.org",
                         "email_key": f"{username(i)}@example.org", "email_verified": True,
                         "phone": phone_of(i), "phone_verified": True, "name": f"Bench User {i}",
                         "password_hash": self._hash, "is_admin": False, "disabled": False,
                         "created_at": moment, "updated_at": moment} for i in indexes]
                db.session.execute(insert(User), rows)
                ids = db.session.scalars(select(User.id).where(
                    User.directory_id == directory_id,
                    User.username_key.between(username(indexes[0]), username(indexes[-1])))).all()
                db.session.execute(insert(Credential), [
                    {"user_id": user_id, "method": "totp", "label": "Authenticator app",
                     "secret_sealed": self._sealed, "counter": 0, "data": {},
                     "created_at": moment, "confirmed_at": moment} for user_id in ids])
                db.session.commit()
                self.count = indexes[-1] + 1
            if db.engine.dialect.name == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            db.engine.dispose()
        return time.perf_counter() - started


# -- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SERVERS = ("granian", "gunicorn", "gunicorn-sync")


def server_command(server: str, port: int, workers: int, threads: int) -> list[str]:
    """Return the command serving `idp:create_app()` with `server`: granian through
    `idp run` (the README's production command), gunicorn's gthread workers, or
    gunicorn's sync workers."""
    if server == "granian":
        return [PYTHON, "-m", "idp", "run", "--workers", str(workers),
                "--threads", str(threads), "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning"]
    worker_class = ["--worker-class", "sync"] if server == "gunicorn-sync" else [
        "--threads", str(threads), "--worker-class", "gthread"]
    return [PYTHON, "-m", "gunicorn", "-w", str(workers), *worker_class,
            "-b", f"127.0.0.1:{port}", "--log-level", "warning", "idp:create_app()"]


def end_cleanly_on_sigterm() -> None:
    """Let SIGTERM end the run as Ctrl-C does: the servers it started are stopped and the
    PostgreSQL schema it made is dropped (a plain SIGTERM would leave both behind)."""
    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop)


@contextmanager
def served(env: dict[str, str], port: int, workers: int, threads: int, log: Path,
           server: str = "granian"):
    """Serve `idp:create_app()` with `server` (SERVERS) until the block ends."""
    command = server_command(server, port, workers, threads)
    with open(log, "w") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/d/default/.well-known/openid-configuration",
                      process, workers, log)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen, workers: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=5).ok and len(worker_pids(process.pid)) >= workers:
                # Every worker builds the app on its own: warm each up a little.
                with requests.Session() as http:
                    for _ in range(4 * workers):
                        http.get(url, timeout=5)
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or a worker still starting on a busy machine
        time.sleep(0.2)
    raise SystemExit(f"the server did not answer within 60 s:\n{log.read_text()[-3000:]}")


class SmsGateway:
    """The benchmark's SMS gateway (``bench/sms_gateway.py``), run as a separate process.

    A separate process, not a thread of this one: the load generator's threads would hold
    the GIL while the gateway had an answer ready, and that wait would be counted as the
    provider's latency.
    """

    def __init__(self, process: subprocess.Popen, port: int):
        self.process = process
        self.pid = process.pid
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + "/sms"

    def reset(self, delay: float) -> None:
        """Forget the messages received so far; answer every message after `delay` seconds."""
        expect(requests.post(self.base + "/reset", json={"delay": delay}, timeout=10), 200)

    def stats(self) -> dict:
        return expect(requests.get(self.base + "/stats", timeout=10), 200).json()


@contextmanager
def sms_gateway():
    """Run the SMS gateway on a free loopback port until the block ends."""
    process = subprocess.Popen([PYTHON, str(ROOT / "bench" / "sms_gateway.py"), "--port", "0"],
                               stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.startswith("listening on "):
            raise SystemExit(f"the SMS gateway did not start: {line!r}")
        gateway = SmsGateway(process, int(line.split()[-1]))
        gateway.stats()  # it answers
        yield gateway
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_pids(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(pid) for pid in children]


def memory_kib(pid: int) -> dict[str, int]:
    """A process's resident memory (VmRSS), its peak (VmHWM), its proportional share of
    pages shared with other processes (Pss: what it costs the machine) and the pages only
    it holds (Private: what another worker would add)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return values
    for line in rollup:
        key, _, rest = line.partition(":")
        if key in ("Pss", "Private_Clean", "Private_Dirty"):
            values[key] = int(rest.split()[0])
    if "Private_Clean" in values:
        values["Private"] = values.pop("Private_Clean") + values.pop("Private_Dirty", 0)
    return values


class CpuShare:
    """CPU time used during a run by the provider, the load generator, PostgreSQL and the rest.

    The load generator and the SMS gateway share the machine with the provider; anything else
    running at the same time (``others``) takes CPU from all of them and lowers every number.
    """

    OURS = ("postgres", "redis-server")

    def __init__(self, master: int, gateway: int):
        self._master = master
        self._gateway = gateway
        self._tick = os.sysconf("SC_CLK_TCK")
        self._start = self._sample()

    def _sample(self) -> dict[str, float]:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        provider = sum(process_ticks(pid) for pid in [self._master, *worker_pids(self._master)])
        services = sum(process_ticks(pid) for pid in pids_named(self.OURS))
        return {"busy": user + nice + system + irq + softirq + steal, "provider": provider,
                "load_generator": process_ticks(os.getpid()), "database": services,
                "gateway": process_ticks(self._gateway), "at": time.monotonic()}

    def stop(self) -> dict[str, float]:
        end = self._sample()
        delta = {key: end[key] - self._start[key] for key in end}
        seconds = delta.pop("at")
        cores = {key: value / self._tick / seconds for key, value in delta.items()}
        others = (cores["busy"] - cores["provider"] - cores["load_generator"] - cores["database"]
                  - cores["gateway"])
        return {"seconds": round(seconds, 1),
                "provider_cpu_seconds": round(delta["provider"] / self._tick, 2),
                "postgres_redis_cpu_seconds": round(delta["database"] / self._tick, 2),
                "load_generator_cpu_seconds": round(delta["load_generator"] / self._tick, 2),
                "provider_cores": round(cores["provider"], 2),
                "load_generator_cores": round(cores["load_generator"], 2),
                "postgres_redis_cores": round(cores["database"], 2),
                "sms_gateway_cores": round(cores["gateway"], 2),
                "others_cores": round(max(0.0, others), 2)}


def process_ticks(pid: int) -> int:
    """Return the user and system CPU ticks of a process (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])


def pids_named(names: tuple[str, ...]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


# -- one benchmark run -------------------------------------------------------------------------

@dataclass
class Options:
    backends: list[str]
    user_counts: list[int]
    seconds: float
    threads: int
    codes: int
    sms: int
    workers: int
    worker_threads: int
    server: str = "granian"
    rates: list[float] = field(default_factory=list)
    rate_seconds: float = 12.0


def pre_issue_codes(target: Target, client: BenchClient, pool: UserPool, count: int,
                    threads: int) -> tuple[list[tuple[str, str]], float]:
    """Sign in `threads` sessions, then have each issue codes without prompts; return them."""
    per_thread = -(-count // threads)

    def issue(http: Http, _index: object) -> list[tuple[str, str]]:
        codes = [log_in(http, target, client, pool.take())]
        while len(codes) < per_thread:
            response, verifier = authorize(http, target, client)
            codes.append((code_of(response), verifier))
        return codes

    measurement, batches = run_items("issue", list(range(threads)), threads, issue)
    if measurement.errors:
        raise SystemExit(f"issuing codes failed: {measurement.first_error}")
    codes = list(itertools.chain.from_iterable(batches))[:count]
    return codes, measurement.seconds


def measure_sms(name: str, target: Target, gateway: SmsGateway, indexes: list[int],
                threads: int, delay: float) -> tuple[Measurement, dict]:
    """Time one "Text a code to ..." request per user, each from a new browser session.

    The browsers first sign in with the password, untimed and in parallel (an argon2id hash
    each), up to the step-up page. A request counts only if the provider answered with the
    redirect to the SMS code page and the gateway received exactly one message for the number.
    """
    client = target.clients["RS256"]
    for index in indexes:
        check_mobile(phone_of(index))
    gateway.reset(delay)
    prepared, choices = run_items(f"{name}_prepare", indexes, threads,
                                  lambda http, i: open_sms_choice(http, target, client, i))
    if prepared.errors:
        raise SystemExit(f"preparing {name} failed: {prepared.first_error}")
    if gateway.stats()["received"]:
        raise SystemExit("the provider sent an SMS before the code was asked for")
    run, sent = run_items(name, choices, threads, request_sms)
    stats = gateway.stats()
    received: dict[str, int] = stats["received"]
    measurement = Measurement(name, errors=run.errors, seconds=run.seconds,
                              first_error=run.first_error)
    for phone, elapsed in sent:
        if received.get(phone) == 1:
            measurement.ok += 1
            measurement.latencies.append(elapsed)
        else:
            measurement.errors += 1
            measurement.first_error = measurement.first_error or (
                f"the gateway received {received.get(phone, 0)} messages for {phone}")
    answered = {phone for phone, _elapsed in sent}
    return measurement, {
        "client_threads": threads, "gateway_delay_ms": round(delay * 1000),
        "gateway_peak_in_flight": stats["peak_in_flight"], "gateway_bad": stats["bad"],
        "gateway_messages": sum(received.values()),
        "sent_without_redirect": sum(1 for phone in received if phone not in answered),
        "prepare_seconds": round(prepared.seconds, 1)}


def measure(target: Target, users: int, used: set[int], opts: Options, master: int,
            gateway: SmsGateway) -> dict[str, dict]:
    results: dict[str, dict] = {}

    def report(m: Measurement) -> None:
        results[m.name] = m.summary()
        print(summary_line(m), flush=True)

    cpu = CpuShare(master, gateway.pid)
    pool = UserPool(users, used)
    rs256 = target.clients["RS256"]

    # Untimed: the workers' first flows compile templates and statements, and on PostgreSQL
    # open their connections, whose server processes then load the tables' definitions.
    run_for("warm-up", WARM_UP_SECONDS, opts.threads,
            login_flows(target, rs256, pool, StepTimes()))
    steps = StepTimes()
    during = CpuShare(master, gateway.pid)
    flows = run_for("login_flow", opts.seconds, opts.threads,
                    login_flows(target, rs256, pool, steps))
    report(flows)
    results["login_flow"]["steps"] = steps.summary()
    print_steps(results["login_flow"]["steps"])
    # CPU per flow is steadier than flows per second, which the load generator's own share
    # of the two cores bounds as well.
    used = during.stop()
    per_flow = {f"{part}_cpu_ms_per_flow": round(used[f"{part}_cpu_seconds"] / flows.ok * 1000, 1)
                for part in ("provider", "postgres_redis", "load_generator")} if flows.ok else {}
    results["login_flow"].update(per_flow)
    if per_flow:
        print(f"    {'':<18} CPU per flow: provider {per_flow['provider_cpu_ms_per_flow']} ms, "
              f"postgres+redis {per_flow['postgres_redis_cpu_ms_per_flow']} ms, "
              f"load generator {per_flow['load_generator_cpu_ms_per_flow']} ms", flush=True)

    for rate in opts.rates:
        results.update(flows_at_rate(target, rs256, pool, rate, opts.rate_seconds))

    access_tokens: list[str] = []
    for alg, client in target.clients.items():
        codes, _issue_seconds = pre_issue_codes(target, client, pool, opts.codes, opts.threads)
        m, tokens = run_items(f"exchange_{alg}", codes, opts.threads,
                              lambda http, item, c=client: exchange(http, target, c, *item))
        report(m)
        access_tokens += [t["access_token"] for t in tokens]

    tokens_cycle = itertools.cycle(access_tokens or ["none"])
    token_lock = threading.Lock()

    def userinfo(http: Http) -> None:
        with token_lock:
            token = next(tokens_cycle)
        expect(http.get(target.issuer + "/userinfo", timeout=60,
                        headers={"Authorization": f"Bearer {token}"}), 200)

    report(run_for("userinfo", opts.seconds, opts.threads, userinfo))
    discovery_url = target.issuer + "/.well-known/openid-configuration"
    report(run_for("discovery", opts.seconds, opts.threads,
                   lambda http: expect(http.get(discovery_url, timeout=60), 200)))
    report(run_for("jwks", opts.seconds, opts.threads,
                   lambda http: expect(http.get(target.issuer + "/jwks", timeout=60), 200)))

    # SMS codes need no unused TOTP: any users will do, the same ones for both gateways.
    sms_users = random.sample(range(users), min(opts.sms, users))
    # With the slow gateway, keep more requests coming than the provider has threads, so that
    # its threads and not the load generator's are what bounds the rate.
    slow_threads = max(opts.threads, 2 * opts.workers * opts.worker_threads)
    for name, delay, threads in (("sms_code", 0.0, opts.threads),
                                 ("sms_code_50ms", SLOW_GATEWAY_SECONDS, slow_threads)):
        if not sms_users:
            break
        m, details = measure_sms(name, target, gateway, sms_users, threads, delay)
        report(m)
        results[name].update(details)
        print(f"    {'':<18} gateway {details['gateway_delay_ms']} ms: {threads} client threads, "
              f"at most {details['gateway_peak_in_flight']} SMS in flight, "
              f"{details['gateway_messages']} messages, {details['gateway_bad']} bad "
              f"(sessions prepared in {details['prepare_seconds']:.1f} s)", flush=True)

    # Other programs using the CPUs make every number lower: keep their share with the results.
    results["cpu"] = cpu.stop()
    print("    CPU cores used: provider {provider_cores}, load generator {load_generator_cores}, "
          "postgres+redis {postgres_redis_cores}, SMS gateway {sms_gateway_cores}, "
          "other processes {others_cores}"
          .format(**results["cpu"]), flush=True)
    if results["cpu"]["others_cores"] > 0.2:
        print(f"    warning: other processes used {results['cpu']['others_cores']:.2f} of "
              f"{os.cpu_count()} CPUs during these measurements", flush=True)
    results["rss"] = {str(pid): memory_kib(pid) for pid in worker_pids(master)}
    results["main_memory"] = memory_kib(master)
    for pid, mem in results["rss"].items():
        print(f"    worker {pid}: VmRSS {mem['VmRSS'] / 1024:.1f} MiB, "
              f"peak VmHWM {mem['VmHWM'] / 1024:.1f} MiB, Pss {mem.get('Pss', 0) / 1024:.1f} "
              f"MiB, Private {mem.get('Private', 0) / 1024:.1f} MiB", flush=True)
    main = results["main_memory"]
    print(f"    main process {master}: VmRSS {main['VmRSS'] / 1024:.1f} MiB, "
          f"Pss {main.get('Pss', 0) / 1024:.1f} MiB", flush=True)
    return results


def login_flows(target: Target, client: BenchClient, pool: UserPool,
                steps: StepTimes) -> Callable[[Http], None]:
    """Return one complete login flow, a new browser and user each time, its requests
    timed into `steps`."""
    def login_flow(http: Http) -> None:
        http.cookies.clear()  # a new person in a new browser
        code, verifier = log_in(http, target, client, pool.take(), steps.note)
        exchange(http, target, client, code, verifier, steps.note)

    return login_flow


def summary_line(m: Measurement) -> str:
    """Return the printed line of a measurement: its rate, p50, p99, count and errors."""
    extra = f" errors={m.errors} ({m.first_error})" if m.errors else ""
    return (f"    {m.name:<18} {m.rate:8.1f}/s  p50 {m.percentile(50) * 1000:7.1f} ms  "
            f"p99 {m.percentile(99) * 1000:7.1f} ms  n={m.ok}{extra}")


def print_steps(steps: dict[str, dict], after: str = "") -> None:
    """Print the p50/p99 of each request of the flow (``StepTimes.summary``)."""
    print(f"    {'':<18} p50/p99 ms per request: " + ", ".join(
        f"{step} {times['p50_ms']:.0f}/{times['p99_ms']:.0f}"
        for step, times in steps.items()) + after, flush=True)


def flows_at_rate(target: Target, client: BenchClient, pool: UserPool, rate: float,
                  seconds: float) -> dict[str, dict]:
    """Start login flows `rate` a second for `seconds` (``run_at_rate``); return the flows'
    figures, the p50/p99 of each request, and the p99 of all the requests but the password
    check, under ``login_flow_at_<rate>``."""
    steps = StepTimes()
    name = f"login_flow_at_{rate:g}"
    flows, latest_start = run_at_rate(name, rate, seconds,
                                      login_flows(target, client, pool, steps))
    result = flows.summary()
    result.update(offered_per_second=rate, latest_start_ms=round(latest_start * 1000, 1),
                  steps=steps.summary())
    others = Measurement("others", latencies=[
        latency for step, m in steps.steps.items() if step != "password"
        for latency in m.latencies])
    result["p99_ms_but_password"] = round(others.percentile(99) * 1000, 2)
    print(f"{summary_line(flows)}; started at most {latest_start * 1000:.0f} ms late",
          flush=True)
    print_steps(result["steps"],
                f"; p99 of all but the password {result['p99_ms_but_password']:.0f}")
    return {name: result}


def run_backend(backend: str, opts: Options, stamp: str) -> list[dict]:
    database = Database(backend)
    runs = []
    try:
        with sms_gateway() as gateway:
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            env = provider_env(database.url, base_url, secrets.token_urlsafe(32), gateway.url)
            idp_init(env)
            seeder = Seeder(env)
            clients = seeder.clients()
            target = Target(base_url, base_url + "/d/default", clients, seeder.totp_secret)
            used: set[int] = set()
            for users in sorted(opts.user_counts):
                seconds = seeder.grow(users)
                print(f"\n== {backend}, {users:,} users (inserted in {seconds:.1f} s)",
                      flush=True)
                log = RESULTS / f"{stamp}-{backend}-{users}-{opts.server}.log"
                with served(env, port, opts.workers, opts.worker_threads, log,
                            opts.server) as process:
                    results = measure(target, users, used, opts, process.pid, gateway)
                runs.append({"backend": backend, "users": users,
                             "seed_seconds": round(seconds, 1), "results": results})
    finally:
        database.drop()
    return runs


def table(runs: list[dict]) -> str:
    head = (f"{'backend':<10} {'users':>7} {'login/s':>8} {'RS256/s':>8} {'ES256/s':>8} "
            f"{'userinfo/s':>10} {'p50/p99 ms':>12} {'discovery/s':>11} {'p50/p99 ms':>12} "
            f"{'jwks/s':>7} {'p50/p99 ms':>12} {'sms/s':>7} {'p50/p99 ms':>12} "
            f"{'sms50ms/s':>9} {'p50/p99 ms':>12} {'RSS MiB/worker':>16} {'others':>6} "
            f"p99 ms but the password, at flows/s")
    lines = [head, "-" * len(head)]

    def lat(r: dict, name: str) -> str:
        return f"{r[name]['p50_ms']:.1f}/{r[name]['p99_ms']:.1f}" if name in r else "-"

    def per_second(r: dict, name: str) -> str:
        return f"{r[name]['per_second']:.1f}" if name in r else "-"

    for run in runs:
        r = run["results"]
        rss = "/".join(f"{m['VmRSS'] / 1024:.0f}" for m in r["rss"].values())
        lines.append(
            f"{run['backend']:<10} {run['users']:>7} {r['login_flow']['per_second']:>8.1f} "
            f"{r['exchange_RS256']['per_second']:>8.1f} {r['exchange_ES256']['per_second']:>8.1f} "
            f"{r['userinfo']['per_second']:>10.1f} {lat(r, 'userinfo'):>12} "
            f"{r['discovery']['per_second']:>11.1f} {lat(r, 'discovery'):>12} "
            f"{r['jwks']['per_second']:>7.1f} {lat(r, 'jwks'):>12} "
            f"{per_second(r, 'sms_code'):>7} {lat(r, 'sms_code'):>12} "
            f"{per_second(r, 'sms_code_50ms'):>9} {lat(r, 'sms_code_50ms'):>12} {rss:>16} "
            f"{r['cpu']['others_cores']:>6.2f} " + ", ".join(
                f"{r[name]['p99_ms_but_password']:.0f} at {r[name]['offered_per_second']:g}"
                for name in r if name.startswith("login_flow_at_")))
    return "\n".join(lines)


#: Iterations of the fixed loop ``cpu_speed`` times: about a quarter of a second here.
SPEED_LOOP = 5_000_000


def cpu_speed() -> float:
    """Return how long one core takes, in ms of CPU, for a fixed pure-Python loop (the best
    of three): the same figure on an idle host. A host whose other guests busy its cores
    makes this process slower too, unseen by the CPU shares of this machine's processes;
    a benchmark reads it before and after so that its numbers come with the speed they
    were taken at."""
    best = float("inf")
    for _ in range(3):
        started, total = time.process_time(), 0
        for i in range(SPEED_LOOP):
            total += i * i
        best = min(best, time.process_time() - started)
    return round(best * 1000, 1)


def print_speed(before: float, after: float) -> None:
    print(f"one core's speed: a fixed loop took {before:.0f} ms of CPU before the run and "
          f"{after:.0f} ms after (on this machine, at its fastest, about 275)", flush=True)


def source_version() -> dict[str, object]:
    """Return the commit measured and whether the working tree had changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "idp"], cwd=ROOT,
                                    capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "idp_modified": None}
    return {"commit": commit, "idp_modified": dirty}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="1,000 users only, 1.5 s per measurement, fewer codes")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--users", help="comma-separated user counts (default 1000,100000)")
    parser.add_argument("--seconds", type=float, help="length of each timed run (default 4)")
    parser.add_argument("--threads", type=int, default=8, help="load generator threads")
    parser.add_argument("--codes", type=int, help="codes exchanged per algorithm (default 600)")
    parser.add_argument("--sms", type=int,
                        help="SMS code requests timed per gateway (default 400, 100 with --quick;"
                             " 0 skips them)")
    parser.add_argument("--rates", default="10,15,20",
                        help="comma-separated rates (login flows a second) at which flows are "
                             "also started whether or not earlier ones have finished (default "
                             "10,15,20; empty skips them)")
    parser.add_argument("--rate-seconds", type=float,
                        help="how long flows are started at each rate (default 12, 4 with "
                             "--quick)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--server", choices=SERVERS, default="granian",
                        help="what serves the provider: granian through `idp run` (the "
                             "README's), gunicorn gthread or gunicorn sync")
    args = parser.parse_args(argv)
    end_cleanly_on_sigterm()
    opts = Options(server=args.server,
        backends=[b for b in args.backends.split(",") if b],
        user_counts=[int(n) for n in (args.users or ("1000" if args.quick else "1000,100000"))
                     .split(",")],
        seconds=args.seconds or (1.5 if args.quick else 4.0),
        threads=args.threads,
        codes=args.codes or (150 if args.quick else 600),
        sms=(100 if args.quick else 400) if args.sms is None else args.sms,
        workers=args.workers, worker_threads=args.worker_threads,
        rates=[float(r) for r in args.rates.split(",") if r],
        rate_seconds=args.rate_seconds or (4.0 if args.quick else 12.0))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    started, speed_before = time.perf_counter(), cpu_speed()
    print(f"{opts.server}, {opts.workers} workers x {opts.worker_threads} threads; "
          f"{opts.threads} client threads; {opts.seconds:g} s per measurement; "
          f"{os.cpu_count()} CPUs", flush=True)
    runs = []
    for backend in opts.backends:
        runs += run_backend(backend, opts, stamp)
    print("\n" + table(runs))
    speed_after = cpu_speed()
    print_speed(speed_before, speed_after)
    output = RESULTS / f"{stamp}.json"
    output.write_text(json.dumps({
        "when": stamp, "seconds_total": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(),
                    "speed_loop_cpu_ms": {"before": speed_before, "after": speed_after}},
        "source": source_version(), "options": asdict(opts),
        "argon2": {"memory_kib": 19456, "time_cost": 2, "parallelism": 1},
        "runs": runs}, indent=2))
    print(f"\nwrote {output.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
