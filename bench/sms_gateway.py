"""A minimal HTTP SMS gateway for the benchmark: takes ``POST /sms`` JSON and answers 200 at once.

    python bench/sms_gateway.py [--port 0]

It prints ``listening on <port>`` once it accepts connections, then serves until it is
terminated. ``bench.py`` runs it as a separate process, so that the threads of the load
generator and of the gateway do not take turns on one GIL (a gateway thread waiting for
the GIL would show up as provider latency).

* ``POST /sms`` with ``{"to": "+31...", "message": "..."}``: counts one message for ``to``,
  waits the configured delay (0 at first) and answers ``200 {"accepted": true}``; anything
  else is answered 400 and counted as bad.
* ``POST /reset`` with ``{"delay": seconds}``: forgets all counts and sets the delay.
* ``GET /stats``: ``{"received": {to: count}, "bad": n, "peak_in_flight": n, "delay": s}``;
  ``peak_in_flight`` is the largest number of ``/sms`` requests it was answering at once.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.bad = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.delay = 0.0

    def reset(self, delay: float) -> None:
        with self.lock:
            self.received.clear()
            self.bad = 0
            self.peak_in_flight = self.in_flight
            self.delay = delay

    def stats(self) -> dict:
        with self.lock:
            return {"received": dict(self.received), "bad": self.bad,
                    "peak_in_flight": self.peak_in_flight, "delay": self.delay}


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the provider reuses its connections
    disable_nagle_algorithm = True  # headers and body go out in separate writes

    def _json(self) -> object:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return None

    def _answer(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        payload = self._json()
        if self.path == "/reset":
            delay = payload.get("delay", 0.0) if isinstance(payload, dict) else 0.0
            STATE.reset(float(delay))
            self._answer(200, {"delay": STATE.delay})
            return
        if self.path != "/sms":
            self._answer(404, {"error": "not found"})
            return
        if not (isinstance(payload, dict) and isinstance(payload.get("to"), str)
                and payload["to"].startswith("+") and isinstance(payload.get("message"), str)
                and payload["message"]):
            with STATE.lock:
                STATE.bad += 1
            self._answer(400, {"error": "expected JSON {\"to\": \"+...\", \"message\": \"...\"}"})
            return
        with STATE.lock:
            STATE.received[payload["to"]] += 1
            STATE.in_flight += 1
            STATE.peak_in_flight = max(STATE.peak_in_flight, STATE.in_flight)
            delay = STATE.delay
        try:
            if delay:
                time.sleep(delay)
            self._answer(200, {"accepted": True})
        finally:
            with STATE.lock:
                STATE.in_flight -= 1

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        if self.path == "/stats":
            self._answer(200, STATE.stats())
        else:
            self._answer(404, {"error": "not found"})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        pass  # one line per request would cost more than answering it


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops connections opened at once


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = Server(("127.0.0.1", args.port), Handler)
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
