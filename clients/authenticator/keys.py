"""The device key: a P-256 key pair, its public JWK and the request signature (ES256, r||s)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

COORDINATE_BYTES = 32  # P-256: x, y, r and s are 32 bytes each


def b64url(data: bytes) -> str:
    """Return base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def body_digest(body: bytes) -> str:
    """Return the lowercase SHA-256 hex digest of the exact request body bytes."""
    return hashlib.sha256(body).hexdigest()


def signing_string(method: str, path: str, nonce: str, body: bytes) -> bytes:
    """Return the bytes a device signs: METHOD, PATH, NONCE and the body's SHA-256 hex, by "\\n".

    `path` is the URL path without the query, e.g. ``/d/default/app/approvals``.
    """
    text = f"{method.upper()}\n{path}\n{nonce}\n{body_digest(body)}"
    return text.encode("ascii")


class DeviceKey:
    """A P-256 private key that signs app API requests."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey):
        if not isinstance(private_key, ec.EllipticCurvePrivateKey) or not isinstance(
            private_key.curve, ec.SECP256R1
        ):
            raise ValueError("the device key must be a P-256 (secp256r1) private key")
        self.private_key = private_key

    @classmethod
    def generate(cls) -> DeviceKey:
        """Return a new random P-256 key."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str) -> DeviceKey:
        """Load an unencrypted PKCS#8 PEM private key."""
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("the stored key is not an EC private key")
        return cls(key)

    def to_pem(self) -> str:
        """Return the private key as unencrypted PKCS#8 PEM."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def public_jwk(self) -> dict[str, str]:
        """Return the public key as a JWK (RFC 7518 section 6.2): kty, crv, x, y."""
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(COORDINATE_BYTES, "big")),
            "y": b64url(numbers.y.to_bytes(COORDINATE_BYTES, "big")),
        }

    def sign(self, message: bytes) -> str:
        """Return the ES256 signature of `message`: base64url of the raw 64-byte r||s."""
        der = self.private_key.sign(message, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return b64url(r.to_bytes(COORDINATE_BYTES, "big") + s.to_bytes(COORDINATE_BYTES, "big"))


def public_key_from_jwk(jwk: dict) -> ec.EllipticCurvePublicKey:
    """Return the P-256 public key of a JWK as the server would read it (checks x/y length)."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("not a P-256 EC JWK")
    x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
    if len(x) != COORDINATE_BYTES or len(y) != COORDINATE_BYTES:
        raise ValueError("x and y must be 32 bytes each")
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
    )
    return numbers.public_key()


def verify(jwk: dict, message: bytes, signature: str) -> bool:
    """Check a base64url r||s ES256 signature against a JWK, as the server does."""
    raw = b64url_decode(signature)
    if len(raw) != 2 * COORDINATE_BYTES:
        return False
    der = encode_dss_signature(
        int.from_bytes(raw[:COORDINATE_BYTES], "big"), int.from_bytes(raw[COORDINATE_BYTES:], "big")
    )
    try:
        public_key_from_jwk(jwk).verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
