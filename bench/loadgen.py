"""A small HTTP/1.1 load generator for the side-by-side comparison (``bench/compare.py``).

The same generator loads both providers, so neither is favoured by it. Every request is
prepared as bytes before the clock starts; each connection is a thread with a blocking
socket that keeps the connection alive, sends one request, reads the whole answer (by
``Content-Length`` or chunked), checks its status and sends the next. The connections are
spread over a few forked processes so that the generator's own Python does not cap the rate
of a fast server at what one GIL allows.

Two ways to run:

* ``timed``: each connection cycles through its requests until the window closes;
* ``once``: each request is sent exactly once (codes and refresh tokens work only once).

A target may listen on several ports (node with two processes, one port each): the requests
are given per port and each connection keeps to one port.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection


def http_request(method: str, port: int, path: str, headers: dict[str, str] | None = None,
                 body: bytes = b"", host: str = "127.0.0.1") -> bytes:
    """Return the bytes of one HTTP/1.1 request to host:port."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Accept: */*"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Result:
    """What one run gave: completed requests, errors, the window and the latencies (s)."""

    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    bodies: list[tuple[int, bytes]] = field(default_factory=list, repr=False)
    first_error: str | None = None

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    def add(self, other: Result) -> None:
        """Add another window of the same measurement (the rounds of an interleaved run)."""
        self.ok += other.ok
        self.errors += other.errors
        self.seconds += other.seconds
        self.latencies += other.latencies
        self.bodies += other.bodies
        self.first_error = self.first_error or other.first_error


class Reader:
    """Reads HTTP/1.1 answers from a keep-alive socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def _line(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._fill()
        line = bytes(self.buffer[:end])
        del self.buffer[:end + 2]
        return line

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def response(self) -> tuple[int, bytes, bool]:
        """Return the status, the body and whether the server will close the connection."""
        status, _headers, body, close = self.answer()
        return status, body, close

    def answer(self) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        """Return the status, the header fields (names in lower case, in their order), the
        body and whether the server will close the connection."""
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[:end + 4]
        status = int(head[0].split(" ", 2)[1])
        length, chunked, close = 0, False, head[0].startswith("HTTP/1.0")
        headers = []
        for line in head[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers.append((name, value))
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection":
                close = value.lower() == "close"
        if not chunked:
            return status, headers, self._take(length), close
        body = bytearray()
        while size := int(self._line().split(b";")[0], 16):
            body += self._take(size)
            self._take(2)
        while self._line():  # trailers, up to the empty line
            pass
        return status, headers, bytes(body), close


def _connection(port: int, requests: list[bytes], mode: str, start: float, deadline: float,
                expect: int, keep_bodies: bool, out: Result, lock: threading.Lock) -> None:
    local = Result()
    sock: socket.socket | None = None
    reader: Reader | None = None
    index = 0
    while time.monotonic() < start:
        time.sleep(min(0.01, max(0.0, start - time.monotonic())))
    while requests:
        if mode == "timed":
            if time.monotonic() >= deadline:
                break
            request = requests[index % len(requests)]
        else:
            if index >= len(requests):
                break
            request = requests[index]
        index += 1
        began = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=60)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                reader = Reader(sock)
            sock.sendall(request)
            status, body, close = reader.response()
            if close:
                sock.close()
                sock = None
        except (OSError, ValueError, IndexError) as exc:
            if sock is not None:
                sock.close()
                sock = None
            local.errors += 1
            local.first_error = local.first_error or f"port {port}: {exc!r}"
            continue
        elapsed = time.perf_counter() - began
        if status != expect:
            local.errors += 1
            local.first_error = local.first_error or (
                f"port {port}: status {status}: {body[:300]!r}")
            continue
        local.ok += 1
        local.latencies.append(elapsed)
        if keep_bodies:
            local.bodies.append((port, body))
    if sock is not None:
        sock.close()
    finished = time.monotonic()
    with lock:
        out.add(local)
        out.seconds = max(out.seconds, finished - start)


def _run_in_process(job: dict) -> Result:
    """Run this process's share of the connections; the window is measured from `start`."""
    out, lock, threads = Result(), threading.Lock(), []
    for port, requests in job["connections"]:
        threads.append(threading.Thread(target=_connection, daemon=True, args=(
            port, requests, job["mode"], job["start"], job["deadline"], job["expect"],
            job["keep_bodies"], out, lock)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return out


def _serve(pipe: Connection) -> None:
    while True:
        job = pipe.recv()
        if job is None:
            return
        pipe.send(_run_in_process(job))


class LoadGenerator:
    """Forked processes that each run a share of the connections of every run."""

    def __init__(self, processes: int, connections: int):
        self.connections = connections
        context = multiprocessing.get_context("fork")
        self._pipes: list[Connection] = []
        self.processes: list[multiprocessing.Process] = []
        for _ in range(processes):
            parent, child = context.Pipe()
            process = context.Process(target=_serve, args=(child,), daemon=True)
            process.start()
            self._pipes.append(parent)
            self.processes.append(process)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid]

    def run(self, per_port: dict[int, list[bytes]], mode: str, seconds: float = 0.0,
            expect: int = 200, keep_bodies: bool = False) -> Result:
        """Send the requests of each port over `connections` connections spread over the ports.

        In ``once`` mode each request is sent once; in ``timed`` mode each connection cycles
        through its share for `seconds`.
        """
        ports = sorted(per_port)
        per_connection: list[tuple[int, list[bytes]]] = []
        for i, port in enumerate(ports):
            count = self.connections // len(ports) + (i < self.connections % len(ports))
            requests = per_port[port]
            for c in range(count):
                share = requests[c::count]
                if mode == "timed" and not share:
                    # Fewer requests than connections (discovery: one): every connection
                    # cycles through all of them, each from a different place.
                    shift = c % len(requests)
                    share = requests[shift:] + requests[:shift]
                if share:
                    per_connection.append((port, share))
        start = time.monotonic() + 0.05 + 0.01 * len(per_connection)
        jobs = [per_connection[i::len(self._pipes)] for i in range(len(self._pipes))]
        busy = []
        for pipe, connections in zip(self._pipes, jobs, strict=True):
            if connections:
                pipe.send({"connections": connections, "mode": mode, "start": start,
                           "deadline": start + seconds, "expect": expect,
                           "keep_bodies": keep_bodies})
                busy.append(pipe)
        total = Result()
        windows = []
        for pipe in busy:
            part: Result = pipe.recv()
            windows.append(part.seconds)
            part.seconds = 0.0
            total.add(part)
        total.seconds = max(windows, default=0.0)
        return total

    def close(self) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
