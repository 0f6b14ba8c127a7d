"""The codes of an OATH token: RFC 4226 HOTP with a look-ahead window and resynchronisation,
RFC 6238 TOTP one step either side. Pure: the seed and counters come in, a match goes out.

HOTP (RFC 4226 7.4): a token's counter moves on each press, also when its code is never
used, so the server looks ahead ``LOOK_AHEAD`` counters. A token pressed more often than
that is resynchronised with two consecutive codes, searched ``RESYNC_WINDOW`` counters ahead:
two codes in a row are as unlikely to be guessed as a 12-digit code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

import pyotp

LOOK_AHEAD = 10
RESYNC_WINDOW = 100
DRIFT_STEPS = 1  # a TOTP token: accept the previous and the next step, no more
KINDS = ("hotp", "totp")
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


@dataclass(frozen=True)
class TokenKey:
    """What generates a token's codes: its seed and parameters."""

    seed: bytes
    kind: str = "hotp"
    digits: int = 6
    period: int = 30
    algorithm: str = "sha1"

    def code(self, counter: int) -> str:
        """Return the code of HOTP counter (or TOTP step) `counter`."""
        secret = base64.b32encode(self.seed).decode()
        return pyotp.HOTP(secret, digits=self.digits,
                          digest=ALGORITHMS[self.algorithm]).generate_otp(counter)

    def matches(self, code: str, counter: int) -> bool:
        """Return whether `code` is the code of `counter` (a constant-time comparison)."""
        return hmac.compare_digest(self.code(counter), code)


def hotp_match(key: TokenKey, code: str, counter: int, window: int = LOOK_AHEAD) -> int | None:
    """Return the counter at or after `counter`, at most `window` ahead, whose code is `code`."""
    for candidate in range(counter, counter + window):
        if key.matches(code, candidate):
            return candidate
    return None


def hotp_resync(key: TokenKey, first: str, second: str, counter: int,
                window: int = RESYNC_WINDOW) -> int | None:
    """Return the counter of `second` when `first` and `second` are the codes of two
    consecutive counters at or after `counter`, at most `window` ahead."""
    for candidate in range(counter, counter + window):
        if key.matches(first, candidate) and key.matches(second, candidate + 1):
            return candidate + 1
    return None


def totp_step(key: TokenKey, code: str, now: float, drift: int = DRIFT_STEPS) -> int | None:
    """Return the time step, the current one or one next to it, whose code is `code`."""
    current = int(now // key.period)
    for step in range(current - drift, current + drift + 1):
        if step >= 0 and key.matches(code, step):
            return step
    return None


def totp_pair(key: TokenKey, first: str, second: str, now: float) -> int | None:
    """Return the step of `second` when `first` and `second` are the codes of two
    consecutive time steps, the second one the current step or one next to it."""
    step = totp_step(key, second, now)
    if step is None or step < 1 or not key.matches(first, step - 1):
        return None
    return step
