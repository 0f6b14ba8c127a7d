"""Read a batch of tokens from a vendor's file: a CSV file or a PSKC document (RFC 6030).

CSV, one token a line (a first line naming the columns is skipped; ``#`` starts a comment):

    serial,seed,kind,digits,period_or_counter[,algorithm]

``seed`` in hex (only the digits 0-9 and a-f) or else in base32; ``kind`` ``hotp`` or
``totp``; the fifth column is the TOTP period in seconds or the HOTP token's next counter;
``algorithm`` ``sha1`` (the default), ``sha256`` or ``sha512``.

PSKC is read with python-pskc (which parses with defusedxml): the HOTP and TOTP key
profiles of RFC 6030 section 10, plain or encrypted with a pre-shared key (section 6.1).
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from dataclasses import dataclass

import pskc
from pskc.exceptions import DecryptionError, PSKCError

from .otp import ALGORITHMS, KINDS, TokenKey

SERIAL = re.compile(r"[A-Za-z0-9._:-]{1,64}")
HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")
DIGITS = (6, 7, 8)
MIN_SEED_BYTES = 10  # RFC 4226 4 R6: at least 128 bits is asked; vendors ship 80 and up
MAX_SEED_BYTES = 128
PSKC_ALGORITHMS = {"urn:ietf:params:xml:ns:keyprov:pskc:hotp": "hotp",
                   "urn:ietf:params:xml:ns:keyprov:pskc#hotp": "hotp",
                   "urn:ietf:params:xml:ns:keyprov:pskc:totp": "totp",
                   "urn:ietf:params:xml:ns:keyprov:pskc#totp": "totp"}


class TokenFileError(ValueError):
    """A token file cannot be read; the message says where and why."""


@dataclass(frozen=True)
class TokenRecord:
    """One token read from a file: its serial, what makes its codes, its next HOTP counter."""

    serial: str
    key: TokenKey
    counter: int = 0


def decode_seed(text: str) -> bytes:
    """Return the seed written in hex (digits 0-9, a-f only) or else in base32."""
    value = text.strip().replace(" ", "")
    if HEX.fullmatch(value):
        seed = bytes.fromhex(value)
    else:
        try:
            seed = base64.b32decode(value.upper() + "=" * (-len(value) % 8))
        except (binascii.Error, ValueError) as exc:
            raise TokenFileError("the seed is neither hex nor base32") from exc
    return _checked_seed(seed)


def _checked_seed(seed: bytes | None) -> bytes:
    if not seed or not MIN_SEED_BYTES <= len(seed) <= MAX_SEED_BYTES:
        raise TokenFileError(f"the seed must be {MIN_SEED_BYTES} to {MAX_SEED_BYTES} bytes")
    return seed


def _record(serial: str, seed: bytes, kind: str, digits: int, period: int, counter: int,
            algorithm: str) -> TokenRecord:
    if not SERIAL.fullmatch(serial):
        raise TokenFileError(f"the serial {serial!r} is not 1-64 letters, digits or ._:-")
    if kind not in KINDS:
        raise TokenFileError(f"the kind must be hotp or totp, not {kind!r}")
    if digits not in DIGITS:
        raise TokenFileError(f"a token shows 6, 7 or 8 digits, not {digits}")
    if algorithm not in ALGORITHMS:
        raise TokenFileError(f"the algorithm must be one of {', '.join(ALGORITHMS)}, "
                             f"not {algorithm!r}")
    if not 10 <= period <= 300:
        raise TokenFileError(f"a TOTP period is 10 to 300 seconds, not {period}")
    if not 0 <= counter < 2 ** 62:
        raise TokenFileError(f"the counter {counter} is out of range")
    return TokenRecord(serial, TokenKey(seed, kind, digits, period, algorithm), counter)


def _number(text: str, what: str) -> int:
    if not text.strip().isdigit():
        raise TokenFileError(f"the {what} must be a whole number, not {text!r}")
    return int(text)


def read_csv(text: str) -> list[TokenRecord]:
    """Return the tokens of a CSV file, or raise TokenFileError naming the line."""
    records = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#") or (number == 1 and
                                                         cells[0].lower() == "serial"):
            continue
        try:
            if len(cells) not in (5, 6):
                raise TokenFileError("expected serial,seed,kind,digits,period_or_counter"
                                     "[,algorithm]")
            serial, seed, kind, digits, fifth = cells[:5]
            kind = kind.lower()
            value = _number(fifth, "period" if kind == "totp" else "counter")
            records.append(_record(
                serial, decode_seed(seed), kind, _number(digits, "number of digits"),
                value if kind == "totp" else 30, value if kind == "hotp" else 0,
                (cells[5] if len(cells) == 6 else "sha1").lower() or "sha1"))
        except TokenFileError as exc:
            raise TokenFileError(f"line {number}: {exc}") from None
    return records


def _suite(key) -> str:
    suite = (key.algorithm_suite or "sha1").lower().replace("hmac-", "").replace("-", "")
    return suite


def read_pskc(data: bytes, preshared_key: bytes | None = None) -> list[TokenRecord]:
    """Return the tokens of a PSKC document (RFC 6030), decrypting the seeds with
    `preshared_key` when they are encrypted; or raise TokenFileError."""
    try:
        document = pskc.PSKC(io.BytesIO(data))
        if preshared_key is not None:
            document.encryption.key = preshared_key
        records = []
        for number, key in enumerate(document.keys, start=1):
            kind = PSKC_ALGORITHMS.get((key.algorithm or "").lower())
            try:
                if kind is None:
                    raise TokenFileError(f"the algorithm {key.algorithm!r} is not HOTP or TOTP")
                if key.secret is None:
                    raise TokenFileError("no secret (or it is encrypted: give the key)")
                records.append(_record(
                    str(key.serial or key.id or ""), _checked_seed(key.secret), kind,
                    key.response_length or 6, key.time_interval or 30,
                    key.counter or 0, _suite(key)))
            except TokenFileError as exc:
                raise TokenFileError(f"key {number}: {exc}") from None
        return records
    except DecryptionError as exc:
        raise TokenFileError(
            "the seeds are encrypted: give the pre-shared key" if preshared_key is None
            else f"the seeds cannot be decrypted with this key ({exc})") from None
    except PSKCError as exc:
        raise TokenFileError(f"not a PSKC document that can be read: {exc}") from None


def read_tokens(data: bytes, preshared_key: bytes | None = None) -> list[TokenRecord]:
    """Return the tokens of a PSKC document (it starts with ``<``) or a CSV file."""
    if data.lstrip().startswith(b"<"):
        return read_pskc(data, preshared_key)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TokenFileError("a CSV file must be UTF-8") from exc
    return read_csv(text)
