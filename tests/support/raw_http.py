"""Raw HTTP/1.1 over a socket, for what HTTP clients refuse to send (an empty Host, say)."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field


@dataclass
class RawResponse:
    """A parsed answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def raw_request(port: int, method: str, target: str, host: bytes | None, *,
                body: bytes = b"", headers: dict[str, str] | None = None,
                cafile: str | None = None, timeout: float = 30) -> RawResponse:
    """Send one request to 127.0.0.1:port with exactly this Host line (None: no Host line).

    With `cafile` the connection is TLS for "localhost", trusting that certificate.
    """
    sock: socket.socket = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if cafile:
        context = ssl.create_default_context(cafile=cafile)
        sock = context.wrap_socket(sock, server_hostname="localhost")
    lines = [f"{method} {target} HTTP/1.1".encode()]
    if host is not None:
        lines.append(b"Host: " + host)
    for name, value in {"Content-Length": str(len(body)), "Connection": "close",
                        **(headers or {})}.items():
        lines.append(f"{name}: {value}".encode())
    try:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError):
                break
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head, _, payload = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    assert len(parts) >= 2 and parts[1].isdigit(), f"no HTTP answer: {data[:200]!r}"
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return RawResponse(int(parts[1]), parsed, payload)
