"""WebAuthn through py_webauthn, wrapped so that every failure is one PasskeyRejected.

The relying party of a directory is the provider's host (RP ID) and origin, taken from
``IDP_BASE_URL``: a passkey made for one deployment works for all its directories, and
the directory is enforced by where the credential is stored. User verification is
required; attestation ``none`` is asked for and accepted. ES256, EdDSA and RS256 keys
are accepted (WebAuthn Level 3, 5.4.3 ``pubKeyCredParams``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    decode_credential_public_key,
    parse_authentication_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.decoded_public_key_to_cryptography import (
    decoded_public_key_to_cryptography,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

log = logging.getLogger(__name__)

ALGORITHMS = [COSEAlgorithmIdentifier.ECDSA_SHA_256, COSEAlgorithmIdentifier.EDDSA,
              COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256]
TIMEOUT_MS = 300_000
MAX_CREDENTIAL_JSON = 16 * 1024


class PasskeyRejected(Exception):
    """A WebAuthn response is not acceptable; the message is shown to the person."""


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the provider's host and origin."""

    rp_id: str
    origin: str
    name: str

    @classmethod
    def from_base_url(cls, base_url: str, name: str = "Sign-in") -> RelyingParty:
        """Return the relying party of a base URL (RP ID = its host, origin = scheme://host:port)."""
        parts = urlsplit(base_url)
        return cls(rp_id=parts.hostname or "localhost", origin=f"{parts.scheme}://{parts.netloc}",
                   name=name)


@dataclass(frozen=True)
class NewPasskey:
    """A verified registration: what to store."""

    credential_id: str
    public_key: bytes
    sign_count: int
    aaguid: str
    backup_eligible: bool
    backed_up: bool
    transports: list[str]


@dataclass(frozen=True)
class Assertion:
    """A verified authentication: the counter and backup state the authenticator reported."""

    sign_count: int
    backup_eligible: bool
    backed_up: bool


def _descriptors(credential_ids: list[str]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid)) for cid in credential_ids]


def registration_options(rp: RelyingParty, user_handle: bytes, user_name: str, display_name: str,
                         challenge: bytes, existing: list[str]) -> dict[str, Any]:
    """Return the options of navigator.credentials.create() for a discoverable, verified key."""
    options = generate_registration_options(
        rp_id=rp.rp_id, rp_name=rp.name, user_id=user_handle, user_name=user_name,
        user_display_name=display_name, challenge=challenge, timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=_descriptors(existing), supported_pub_key_algs=ALGORITHMS)
    return json.loads(options_to_json(options))


def authentication_options(rp: RelyingParty, challenge: bytes,
                           allowed: list[str]) -> dict[str, Any]:
    """Return the options of navigator.credentials.get(); no allowed ids = discoverable."""
    options = generate_authentication_options(
        rp_id=rp.rp_id, challenge=challenge, timeout=TIMEOUT_MS,
        allow_credentials=_descriptors(allowed),
        user_verification=UserVerificationRequirement.REQUIRED)
    return json.loads(options_to_json(options))


def _checked_json(credential_json: str) -> str:
    """Return the posted credential JSON if it is an object of sane size, not cross-origin."""
    if not credential_json or len(credential_json) > MAX_CREDENTIAL_JSON:
        raise PasskeyRejected(gettext("The passkey's answer is missing or too large. Try again."))
    try:
        parsed = json.loads(credential_json)
        client_data = json.loads(base64url_to_bytes(parsed["response"]["clientDataJSON"]))
    except Exception as exc:  # not JSON, not an object, no clientDataJSON: all unreadable
        raise PasskeyRejected(
            gettext("The passkey's answer could not be read. Try again.")) from exc
    if not isinstance(client_data, dict) or client_data.get("crossOrigin") is True:
        # The provider's pages cannot be framed; a ceremony from inside a frame is not ours.
        raise PasskeyRejected(gettext("The passkey's answer could not be read. Try again."))
    return credential_json


def credential_id_of(credential_json: str) -> tuple[str, str | None]:
    """Return the credential id (base64url) and user handle an assertion claims."""
    try:
        parsed = parse_authentication_credential_json(_checked_json(credential_json))
    except PasskeyRejected:
        raise
    except Exception as exc:  # py_webauthn raises several types for malformed input
        log.info("passkey assertion unreadable: %s", exc)
        raise PasskeyRejected(
            gettext("The passkey's answer could not be read. Try again.")) from exc
    handle = parsed.response.user_handle
    return bytes_to_base64url(parsed.raw_id), bytes_to_base64url(handle) if handle else None


def verify_new_passkey(rp: RelyingParty, credential_json: str,
                       challenge: bytes) -> NewPasskey:
    """Verify a registration (WebAuthn Level 3, 7.1) or raise PasskeyRejected."""
    try:
        verified = verify_registration_response(
            credential=_checked_json(credential_json), expected_challenge=challenge,
            expected_rp_id=rp.rp_id, expected_origin=rp.origin,
            require_user_verification=True, supported_pub_key_algs=ALGORITHMS)
        transports = json.loads(credential_json).get("response", {}).get("transports") or []
    except PasskeyRejected:
        raise
    except Exception as exc:
        log.info("passkey registration refused: %s", exc)
        raise PasskeyRejected(gettext("This passkey could not be registered. Try again.")) from exc
    _check_key(verified.credential_id, verified.credential_public_key, credential_json)
    known = {t.value for t in AuthenticatorTransport}
    return NewPasskey(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key, sign_count=verified.sign_count,
        aaguid=verified.aaguid, backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        transports=[t for t in transports if isinstance(t, str) and t in known][:8])


def _check_key(credential_id: bytes, public_key: bytes, credential_json: str) -> None:
    """Refuse what py_webauthn accepts at registration but a careful RP must not.

    The id posted must be the id in the signed authenticator data, at most 1023 bytes
    (Level 3, 5.8.3), and the public key must be a usable key of an accepted algorithm.
    """
    posted = json.loads(credential_json).get("rawId")
    if len(credential_id) > 1023 or posted != bytes_to_base64url(credential_id):
        raise PasskeyRejected(gettext("This passkey could not be registered. Try again."))
    try:
        decoded = decode_credential_public_key(public_key)
        decoded_public_key_to_cryptography(decoded)
    except Exception as exc:
        log.info("passkey registration refused: unusable public key: %s", exc)
        raise PasskeyRejected(gettext("This passkey could not be registered. Try again.")) from exc
    if decoded.alg not in ALGORITHMS:
        raise PasskeyRejected(gettext("This passkey could not be registered. Try again."))


def verify_assertion(rp: RelyingParty, credential_json: str, challenge: bytes,
                     public_key: bytes) -> Assertion:
    """Verify an authentication's signature, origin, RP ID and flags (WebAuthn Level 3, 7.2).

    The signature counter is left to the caller: a regression with a valid signature
    signals a cloned authenticator, which deserves more than a refusal.
    """
    try:
        verified = verify_authentication_response(
            credential=_checked_json(credential_json), expected_challenge=challenge,
            expected_rp_id=rp.rp_id, expected_origin=rp.origin, credential_public_key=public_key,
            credential_current_sign_count=0, require_user_verification=True)
    except PasskeyRejected:
        raise
    except Exception as exc:
        log.info("passkey assertion refused: %s", exc)
        raise PasskeyRejected(gettext("This passkey could not be verified. Try again.")) from exc
    return Assertion(sign_count=verified.new_sign_count,
                     backup_eligible=verified.credential_device_type == "multi_device",
                     backed_up=verified.credential_backed_up)
