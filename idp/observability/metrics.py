"""Every Prometheus metric of the provider, defined once, and the rules of its labels.

Labels take values from small, fixed sets only (a Flask endpoint name, never a path; a
sign-in method's or channel's name; an HTTP method and status), so a scan of random
addresses cannot make the series grow without bound.

With several worker processes each counts on its own; with ``PROMETHEUS_MULTIPROC_DIR``
set (before the process starts: prometheus-client reads it at import) the processes
count in files of that folder and ``render`` adds them up, so a scrape answered by any
worker shows the whole instance. The server empties the folder when it starts
(``idp run``, ``idp.gunicorn_conf``), and each worker, as it starts, drops the live
gauges of workers that ended.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

#: The provider's own metrics, apart from prometheus-client's process-wide default registry.
REGISTRY = CollectorRegistry()

# In multiprocess mode a metric opens its file in the folder as it is made: a folder not
# made yet (an `idp` command run before gunicorn started) must not stop the process.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

#: The label of a request no route matched (an unknown address, a refused host).
UNMATCHED = "unmatched"
#: The label of a value outside a label's fixed set.
OTHER = "other"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A method's or channel's name as the code declares it ("totp", "email_code", "sms").
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
# A Flask endpoint: blueprint and view names ("api.token", "pages.method_verify").
_ENDPOINT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,79}")

REQUESTS = Counter(
    "idp_http_requests", "Requests answered, by Flask endpoint, HTTP method and status.",
    ["endpoint", "method", "status"], registry=REGISTRY)
REQUEST_SECONDS = Histogram(
    "idp_http_request_duration_seconds", "Time to answer a request, by Flask endpoint.",
    ["endpoint"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LOGINS = Counter(
    "idp_logins", "Logins by outcome: success (the level was reached), failed (wrong "
    "username or password), disabled (refused, the account is disabled), denied (the user "
    "said in the app it was not them).", ["outcome"], registry=REGISTRY)
METHODS_COMPLETED = Counter(
    "idp_methods_completed", "Sign-in methods proven during logins (the password or passkey "
    "that identified the person, and each step-up), by method.", ["method"],
    registry=REGISTRY)
METHOD_FAILURES = Counter(
    "idp_method_failures", "Wrong answers to a step-up method (a code, a passkey, the app), "
    "by method.", ["method"], registry=REGISTRY)
LOCKOUTS = Counter(
    "idp_account_lockouts", "Sources made to wait after too many wrong answers for an "
    "account.", registry=REGISTRY)
DELIVERIES = Counter(
    "idp_deliveries", "Messages (SMS, email, voice calls) handed to a channel's sender, by "
    "channel.", ["channel"], registry=REGISTRY)
DELIVERY_FAILURES = Counter(
    "idp_delivery_failures", "Messages a channel did not take (gateway error or timeout, no "
    "free slot, no sender), by channel.", ["channel"], registry=REGISTRY)
LOGOUT_NOTICES = Counter(
    "idp_backchannel_logouts", "Logout tokens posted to apps (Back-Channel Logout), by "
    "outcome: delivered, refused (a 4xx answer), failed (every attempt), dropped (backlog "
    "full).", ["outcome"], registry=REGISTRY)
HASH_WAITING = Gauge(
    "idp_password_hash_waiting", "Password hashes waiting for a free slot now.",
    registry=REGISTRY, multiprocess_mode="livesum")
HASH_WAITED = Counter(
    "idp_password_hash_waits", "Password hashes that had to wait for a slot.",
    registry=REGISTRY)
HASH_REFUSED = Counter(
    "idp_password_hash_refused", "Password hashes refused (503) because no slot became free "
    "in time.", registry=REGISTRY)
OUTAGES = Counter(
    "idp_outages", "Requests answered 503 because a service (database, redis) was "
    "unavailable, by service.", ["service"], registry=REGISTRY)
AUDIT_EVENTS = Counter(
    "idp_audit_events", "Audit events recorded, by event name (the declared vocabulary).",
    ["event"], registry=REGISTRY)

_LOGIN_OUTCOMES = {"login": "success", "login.failed": "failed",
                   "login.disabled": "disabled", "login.denied": "denied"}


def endpoint_label(endpoint: str | None) -> str:
    """Return the label of a request's Flask endpoint: its name, or "unmatched"."""
    if not endpoint:
        return UNMATCHED
    return endpoint if _ENDPOINT.fullmatch(endpoint) else OTHER


def method_label(method: str | None) -> str:
    """Return the label of an HTTP method: a standard one, or "other"."""
    return method if method in HTTP_METHODS else OTHER


def name_label(name: object) -> str:
    """Return the label of a sign-in method's or channel's name, or "other"."""
    return name if isinstance(name, str) and _NAME.fullmatch(name) else OTHER


def count_request(endpoint: str | None, method: str | None, status: int,
                  seconds: float) -> None:
    """Count one answered request and its duration."""
    label = endpoint_label(endpoint)
    REQUESTS.labels(label, method_label(method), str(status)).inc()
    REQUEST_SECONDS.labels(label).observe(seconds)


def count_audit_event(event: str, method: object = None) -> None:
    """Count an audit event, and what it says of logins, methods and lock-outs.

    `event` is a declared event's name (a fixed vocabulary); `method` its method detail.
    """
    AUDIT_EVENTS.labels(event).inc()
    if event in _LOGIN_OUTCOMES:
        LOGINS.labels(_LOGIN_OUTCOMES[event]).inc()
    elif event == "method.completed":
        METHODS_COMPLETED.labels(name_label(method)).inc()
    elif event == "method.failed":
        METHOD_FAILURES.labels(name_label(method)).inc()
    elif event == "account.locked":
        LOCKOUTS.inc()


def multiprocess_folder() -> str | None:
    """Return the folder the processes count in (``PROMETHEUS_MULTIPROC_DIR``), if any."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def render() -> tuple[bytes, str]:
    """Return the metrics in Prometheus's text format, and its content type.

    In multiprocess mode, the sum over every process of the instance, living or gone.
    """
    registry = REGISTRY
    if multiprocess_folder():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry), CONTENT_TYPE_LATEST


def forget_process(pid: int) -> None:
    """Drop the live gauges of a process that ended (gunicorn's ``child_exit``)."""
    if multiprocess_folder():
        multiprocess.mark_process_dead(pid)


def empty_multiprocess_folder() -> None:
    """Start the instance's counts afresh: delete a previous run's files from the folder.

    Run by the server's main process before any worker starts, so an instance does not
    add up the counts of the run before it.
    """
    folder = multiprocess_folder()
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for path in Path(folder).glob("*.db"):
            path.unlink(missing_ok=True)


_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]*_(\d+)\.db")


def worker_started() -> None:
    """Count this worker in from its start, and drop the live gauges of every process of
    the folder that no longer runs.

    A worker that died and was replaced so no longer adds the hashes it was waiting for
    to ``idp_password_hash_waiting``, whichever server started the new one. Counters and
    histograms of ended workers stay, so totals never drop.
    """
    folder = multiprocess_folder()
    if not folder:
        return
    HASH_WAITING.set(0)  # this process's own file, made under its pid
    for path in Path(folder).glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.fullmatch(path.name)
        if match and not _running(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), folder)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
