"""A TCP proxy on loopback that can be cut and restored, to make outages real in tests.

Put it between the provider and PostgreSQL or Redis: ``cut()`` closes every open
connection and refuses new ones (the port stays closed until ``restore()``), the way a
failed database host or a broken link looks to the provider. ``stall()`` keeps the
connections open but stops forwarding, as a hung server does. ``cut_when(pattern)`` cuts
at the moment the client sends bytes holding `pattern` (before they are forwarded), e.g.
``b"INSERT INTO token ("`` to fail a statement in the middle of a transaction.
``count(pattern)`` counts how often the clients send `pattern` from then on (``sent``).
``TcpProxy.to(url)`` proxies the server a URL names; ``through(url, proxy.port)`` is that
URL by way of the proxy.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from urllib.parse import urlsplit, urlunsplit


def through(url: str, port: int) -> str:
    """Return a database or Redis URL with its host and port replaced by 127.0.0.1:port."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


class TcpProxy:
    """Forward 127.0.0.1:port to (host, target_port) until cut."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self._stalled = threading.Event()
        self._stop = threading.Event()
        self._trigger: bytes | None = None
        self.triggered = threading.Event()
        self._counted: bytes | None = None
        self._count = 0
        self.port = 0
        self._bind()

    @classmethod
    def to(cls, url: str, default_port: int = 5432) -> TcpProxy:
        """Return a proxy to the server `url` names (its port, or `default_port`)."""
        target = urlsplit(url)
        return cls(target.hostname or "127.0.0.1", target.port or default_port)

    # --- lifecycle ------------------------------------------------------------------------

    def _bind(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop.clear()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and close every connection."""
        self._stop.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wakes the accepting thread, frees the port
                self._listener.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                self._listener.close()
            self._listener = None
        with self._lock:
            connections, self._connections = self._connections, []
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def cut(self) -> None:
        """Close every connection and the port: new connections are refused."""
        self.close()

    def restore(self) -> None:
        """Listen on the same port again and forward as before."""
        self._stalled.clear()
        if self._listener is None:
            self._bind()

    def stall(self) -> None:
        """Keep connections open but forward nothing (a hung server)."""
        self._stalled.set()

    def cut_when(self, pattern: bytes) -> None:
        """Cut (as ``cut()``) when the client next sends `pattern`, before it is forwarded."""
        self.triggered.clear()
        self._trigger = pattern

    def count(self, pattern: bytes) -> None:
        """Count, from now on, how often the clients send `pattern` (at most 64 bytes)."""
        with self._lock:
            self._counted, self._count = pattern, 0

    @property
    def sent(self) -> int:
        """How often the clients sent the pattern of ``count`` since it was called."""
        with self._lock:
            return self._count

    def _note_sent(self, tail: bytes, data: bytes) -> None:
        with self._lock:
            if self._counted is not None:
                self._count += (tail + data).count(self._counted) - tail.count(self._counted)

    def _should_cut(self, sent: bytes) -> bool:
        with self._lock:
            pattern = self._trigger
            if pattern is None or pattern not in sent:
                return False
            self._trigger = None
        self.triggered.set()
        return True

    # --- forwarding -----------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        """Forward both ways; `a` is the client, `b` the server."""
        peers = {a: b, b: a}
        tail = b""  # the client's last bytes, so a pattern split over two reads is seen
        try:
            while not self._stop.is_set():
                readable, _, _ = select.select(list(peers), [], [], 0.2)
                if self._stalled.is_set():
                    continue
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is a:
                        if self._should_cut(tail + data):
                            self.cut()
                            return
                        self._note_sent(tail, data)
                        tail = data[-64:]
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()
