"""A real HTTP SMS gateway on loopback that records requests and answers as told, for tests."""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .arrivals import Arrivals

CODE = re.compile(r"\b(\d{6})\b")


@dataclass(frozen=True)
class GatewayRequest:
    """One request the gateway received; ``body`` is None for GETs and malformed JSON."""

    method: str
    path: str
    headers: Headers
    body: dict[str, Any] | None


@dataclass(frozen=True)
class _Failure:
    status: int
    retry_after: str | None


class _Server(ThreadingHTTPServer):
    # Do not wait for handlers still sleeping in delay_next() when the gateway stops.
    block_on_close = False


class SmsGateway(Arrivals):
    """Accept SMS as JSON ``{"to", "message"}`` on 127.0.0.1 and a free port.

    By default every POST is answered 200. ``fail_next``, ``delay_next`` and ``require_token``
    change that; ``clear`` forgets requests and every programmed answer.
    """

    def __init__(self) -> None:
        super().__init__()
        self.received: list[GatewayRequest] = []
        self._failures: deque[_Failure] = deque()
        self._delays: deque[float] = deque()
        self._token: str | None = None
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> SmsGateway:
        """Start serving in a thread; return self."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/sms"
        # A short poll interval keeps stop() (which waits for one poll) fast.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still being delayed are cut short."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> SmsGateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- behaviour ------------------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` POSTs with this status (and Retry-After header)."""
        with self._changed:
            self._failures.extend([_Failure(status, retry_after)] * times)

    def delay_next(self, seconds: float, times: int = 1) -> None:
        """Sleep this long before answering each of the next ``times`` POSTs."""
        with self._changed:
            self._delays.extend([seconds] * times)

    def require_token(self, token: str | None) -> None:
        """Answer 401 unless the request carries ``Authorization: Bearer <token>``."""
        self._token = token

    def clear(self) -> None:
        """Forget received requests, programmed failures and delays, and the token."""
        with self._changed:
            self.received.clear()
            self._returned.clear()
            self._failures.clear()
            self._delays.clear()
            self._token = None

    # --- reading --------------------------------------------------------------------------

    def wait_for(self, to: str, timeout: float = 5) -> dict[str, Any]:
        """Return the next body sent to this number not returned before; AssertionError if none."""

        def matches(index: int) -> bool:
            body = self.received[index].body
            return body is not None and body.get("to") == to

        index = self._take(lambda: len(self.received), matches, timeout,
                           lambda: f"no SMS to {to} within {timeout} s; "
                                   f"received {len(self.received)} requests")
        body = self.received[index].body
        assert body is not None
        return body

    def last_code(self, to: str) -> str:
        """Return the 6-digit code in the first line of the newest SMS to this number."""
        with self._changed:
            bodies = [r.body for r in self.received
                      if r.body is not None and r.body.get("to") == to]
        if not bodies:
            raise AssertionError(f"no SMS to {to}")
        first_line = (str(bodies[-1].get("message", "")).splitlines() or [""])[0]
        match = CODE.search(first_line)
        if match is None:
            raise AssertionError(f"no 6-digit code in the newest SMS to {to}: {first_line!r}")
        return match.group(1)

    # --- server side ----------------------------------------------------------------------

    def _record(self, request: GatewayRequest) -> tuple[float, _Failure | None]:
        with self._changed:
            self.received.append(request)
            self._changed.notify_all()
            if request.method != "POST":
                return 0.0, None
            delay = self._delays.popleft() if self._delays else 0.0
            if request.body is None:
                return delay, _Failure(400, None)
            if self._token is not None and (
                    request.headers.get("Authorization") != f"Bearer {self._token}"):
                return delay, _Failure(401, None)
            return delay, self._failures.popleft() if self._failures else None


def _handler_for(gateway: SmsGateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                body = None
            self._answer(GatewayRequest("POST", self.path, self.headers, body))

        def do_GET(self) -> None:
            # Answered 200 so that a client wrongly following a redirect would "succeed".
            self._answer(GatewayRequest("GET", self.path, self.headers, None))

        def _answer(self, request: GatewayRequest) -> None:
            delay, failure = gateway._record(request)
            if delay and gateway._stopping.wait(delay):
                return
            status = failure.status if failure else 200
            payload = json.dumps({"status": "queued" if failure is None else "error"}).encode()
            try:
                self.send_response(status)
                if failure is not None and failure.retry_after is not None:
                    self.send_header("Retry-After", failure.retry_after)
                if 300 <= status < 400:
                    self.send_header("Location", gateway.url + "/moved")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up waiting (a delay longer than its timeout)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass  # keep test output quiet

    return Handler
