"""Background sends that a request asks for start once its answer has gone out.

A thread that starts composing and connecting while the request still writes its answer
takes the interpreter from it for a few ms, enough to tell a reset for a known name from
one for an unknown name (``bench/bench_reset_timing.py``). So each request holds its
background sends (``idp.delivery.hold_background_sends``: they take their place in the
backlog at once) and hands them over once the server has written the whole body: when it
asks for more after the last part, or closes the answer (PEP 3333), whichever is first.
Not only at the close: a server may keep reading the connection before it closes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..delivery import HeldSends, hold_background_sends


class SendAfterAnswer:
    """WSGI middleware: hold the request's background sends until its answer is written."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        held = hold_background_sends()
        try:
            body = self.app(environ, start_response)
        except BaseException:
            held.release()
            raise
        finally:
            held.detach()
        wrapper = environ.get("wsgi.file_wrapper")
        if not held.holds_any() or isinstance(wrapper, type) and isinstance(body, wrapper):
            # Nothing to send (it holds no more once the app has answered), or a file, left
            # for the server's sendfile: the body as it is (a list is written fastest).
            held.release()
            return body
        return _Answer(body, held)


class _Answer:
    """The body of an answer, releasing the held sends once it is written or closed."""

    def __init__(self, body: Iterable[bytes], held: HeldSends):
        self._body = body
        self._held = held

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body
        self._held.release()  # the server asked for more after writing the last part

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._held.release()
