"""A software WebAuthn authenticator and client for tests, which can also forge responses.

`SoftAuthenticator` plays both the authenticator (keys, credentials, sign counter, flags) and
the browser (clientDataJSON, origin and RP ID checks, `PublicKeyCredential.toJSON()`). Its
output is the JSON dict a browser posts, which py_webauthn's `verify_registration_response`
and `verify_authentication_response` accept as `credential=`.

    auth = SoftAuthenticator("ES256")              # or "RS256", "EdDSA"
    reg = auth.register(registration_options, "http://localhost:5000")
    cred = auth.credentials[0]                     # .id, .id_b64, .user_handle, .sign_count ...
    assertion = auth.assert_(authentication_options, "http://localhost:5000")

Options are the JSON form of the ceremony options (what `webauthn.options_to_json` gives),
as a dict or a JSON string; a `{"publicKey": {...}}` wrapper and py_webauthn's options
objects are accepted too.

Constructor (the authenticator's nature):
    alg                 "ES256" (EC2 P-256), "RS256" (RSA 2048, PKCS#1 v1.5) or "EdDSA" (Ed25519).
    user_verification   the authenticator can verify the user (PIN, biometrics). When True the
                        UV flag is set unless the options say userVerification "discouraged";
                        when False, options requiring UV are refused (NotAllowedError).
    backup_eligible     BE flag of its credentials (a synced passkey); backed_up: BS flag.
    counter             False models authenticators that always report sign count 0 (most
                        synced passkeys); True counts from sign_count_start, +1 per assertion.
    sign_count_start    the count reported at registration; the first assertion reports +1.
    aaguid              16 bytes.
    attachment          "cross-platform" (a security key, transports ["usb"]) or "platform"
                        (transports ["internal", "hybrid"]); `transports` overrides the list.
    resident_keys       whether it can store discoverable credentials (False: a U2F-style key;
                        residentKey "required" is refused, discoverable login finds nothing,
                        and assertions carry no userHandle).

`register(options, origin, **forge)` creates a credential - discoverable whenever the
authenticator can store them, whatever residentKey says (as passkey providers do); a new
discoverable credential replaces one for the same RP ID and user handle, as CTAP2 does - and
returns the registration JSON with attestation "none" (fmt "none", attStmt {}).

`assert_(options, origin, *, credential_id=None, **forge)` signs authenticatorData ||
sha256(clientDataJSON) with a credential: `credential_id` (base64url str or bytes) picks one;
otherwise the first of allowCredentials it holds, or for an empty allowCredentials
(discoverable login) its newest discoverable credential for the RP ID.

`credentials` lists what it holds (`SoftCredential`: .id bytes, .id_b64, .rp_id, .user_handle,
.user_name, .sign_count, .alg, .cose_public_key, .resident ...). `clone()` copies the
authenticator with the same keys and counters (a cloned security key).

Honest client/authenticator refusals raise `WebAuthnClientError` whose `.name` is the
DOMException a browser would give: "SecurityError" (RP ID not a suffix of the origin's host,
or http on a host other than localhost), "InvalidStateError" (it holds a credential of
excludeCredentials), "NotSupportedError" (its alg is not in pubKeyCredParams),
"NotAllowedError" (UV required but unsupported, attachment mismatch, no usable credential),
"ConstraintError" (residentKey required but unsupported).

Forgery knobs (keyword arguments; each defaults to honest behaviour):
    skip_client_checks=True       skip every refusal above (a scripted, malicious client)
    origin_override="..."         clientDataJSON origin
    rp_id_override="..."          rpIdHash computed from this RP ID
    type_override="..."           clientDataJSON type (e.g. "webauthn.get" at registration)
    challenge_override="..."      clientDataJSON challenge, verbatim (base64url)
    client_data_extra={...}       extra clientDataJSON members (e.g. tokenBinding, crossOrigin)
    user_present=False            UP flag off
    user_verified=True|False      UV flag on/off regardless of options and capability
    sign_count=N                  the reported sign count (the authenticator's own counter
                                  is not set to it; an assertion still advances it by one)
    backup_eligible=, backed_up=  BE / BS flags of this response
    credential_id_override=b".."  register: the authenticator uses this id for the new
                                  credential (everywhere, and stores it so); assert_: the id/rawId
                                  claimed in the JSON while signing with the chosen credential
    raw_id_override=b"..."        register: id/rawId of the JSON only (authData keeps the real id)
    user_handle_override=b".."|None  assert_: userHandle (None: leave it out)
    bad_signature=True            assert_: flip a bit of the signature
    cose_key_override=b"..."      register: COSE public key bytes put in attestedCredentialData
    fmt_override="...", att_stmt_override={...}   register: attestation object fmt / attStmt
    raw_client_data=b"..."        clientDataJSON bytes, verbatim (assertions sign over them)
    raw_authenticator_data=b"..." authenticatorData verbatim (register: as authData inside the
                                  attestation object; assert_: signed over as given)
    raw_attestation_object=b"..." register: the attestationObject bytes, verbatim

Helpers: `b64url(bytes) -> str` (unpadded base64url), `b64url_decode(str) -> bytes` (strict)
and `malformed_variants(credential, strict=False) -> list[tuple[str, Any]]`: named variants of
a valid registration or assertion JSON - missing members, wrong types (`response` a string
...), malformed base64url, broken clientDataJSON / CBOR / authenticator data, huge members -
for parametrized bad-input tests. By default each is one py_webauthn rejects (not always with
a WebAuthnException: see its docstring); strict=True adds "lenient: ..." variants py_webauthn
accepts but a strict relying party should refuse. A few variants are not JSON objects at all.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

__all__ = [
    "FLAG_AT",
    "FLAG_BE",
    "FLAG_BS",
    "FLAG_ED",
    "FLAG_UP",
    "FLAG_UV",
    "SoftAuthenticator",
    "SoftCredential",
    "WebAuthnClientError",
    "b64url",
    "b64url_decode",
    "malformed_variants",
]

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40
FLAG_ED = 0x80

COSE_ALGS = {"ES256": -7, "EdDSA": -8, "RS256": -257}

_KEEP: Any = object()  # "not forged" for knobs where None is a meaningful forged value


def b64url(data: bytes) -> str:
    """Return `data` as unpadded base64url, as browsers encode binary fields."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded (or padded) base64url, strictly."""
    text = text.rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


class WebAuthnClientError(Exception):
    """A refusal an honest browser or authenticator gives; `name` is the DOMException name."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass
class SoftCredential:
    """A credential the authenticator holds."""

    id: bytes
    rp_id: str
    user_handle: bytes
    user_name: str
    user_display_name: str
    alg: str
    private_key: Any
    cose_public_key: bytes
    sign_count: int
    backup_eligible: bool
    backed_up: bool
    resident: bool
    created: int = 0

    @property
    def id_b64(self) -> str:
        return b64url(self.id)

    @property
    def cose_alg(self) -> int:
        return COSE_ALGS[self.alg]


def _generate_key(alg: str) -> Any:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "EdDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unsupported alg {alg!r}: use one of {sorted(COSE_ALGS)}")


def _cose_public_key(alg: str, private_key: Any) -> bytes:
    """Encode the public key as a COSE_Key, members in CTAP2 canonical order."""
    public = private_key.public_key()
    if alg == "ES256":
        numbers = public.public_numbers()
        key = {1: 2, 3: -7, -1: 1,
               -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    elif alg == "RS256":
        numbers = public.public_numbers()
        key = {1: 3, 3: -257,
               -1: numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"),
               -2: numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")}
    else:
        key = {1: 1, 3: -8, -1: 6, -2: public.public_bytes_raw()}
    return cbor2.dumps(key)


def _sign(alg: str, private_key: Any, data: bytes) -> bytes:
    if alg == "ES256":
        return private_key.sign(data, ec.ECDSA(hashes.SHA256()))  # ASN.1 DER, as WebAuthn wants
    if alg == "RS256":
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return private_key.sign(data)


def _spki(private_key: Any) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _load_options(options: Any) -> dict:
    """Accept options as a dict, a JSON string, a {"publicKey": ...} wrapper or py_webauthn's."""
    if isinstance(options, (str, bytes)):
        options = json.loads(options)
    elif not isinstance(options, dict):
        from webauthn import options_to_json  # a py_webauthn options object

        options = json.loads(options_to_json(options))
    if isinstance(options.get("publicKey"), dict):
        options = options["publicKey"]
    return options


def _origin_host(origin: str) -> tuple[str, str]:
    parts = urlsplit(origin)
    return parts.scheme, (parts.hostname or "")


def _check_rp_id(rp_id: str, origin: str) -> None:
    """The browser's checks: a secure context, and an RP ID the origin's host may claim."""
    scheme, host = _origin_host(origin)
    local = host == "localhost" or host.endswith(".localhost")
    if scheme != "https" and not (scheme == "http" and local):
        raise WebAuthnClientError("SecurityError", f"origin {origin!r} is not a secure context")
    if not rp_id or not (host == rp_id or host.endswith("." + rp_id)):
        raise WebAuthnClientError(
            "SecurityError", f"RP ID {rp_id!r} is not valid for origin {origin!r}")


def _auth_data(rp_id: str, flags: int, sign_count: int, attested: bytes = b"") -> bytes:
    return (hashlib.sha256(rp_id.encode("utf-8")).digest() + bytes([flags])
            + sign_count.to_bytes(4, "big") + attested)


def _flags(*, up: bool, uv: bool, be: bool, bs: bool, at: bool = False) -> int:
    return ((FLAG_UP if up else 0) | (FLAG_UV if uv else 0) | (FLAG_BE if be else 0)
            | (FLAG_BS if bs else 0) | (FLAG_AT if at else 0))


class SoftAuthenticator:
    """A pure-Python authenticator plus browser; see the module docstring."""

    def __init__(self, alg: str = "ES256", *, user_verification: bool = True,
                 backup_eligible: bool = False, backed_up: bool = False,
                 sign_count_start: int = 0, counter: bool = True,
                 aaguid: bytes = b"\0" * 16, attachment: str = "cross-platform",
                 transports: Iterable[str] | None = None, resident_keys: bool = True):
        if alg not in COSE_ALGS:
            raise ValueError(f"unsupported alg {alg!r}: use one of {sorted(COSE_ALGS)}")
        if len(aaguid) != 16:
            raise ValueError("aaguid must be 16 bytes")
        if attachment not in ("platform", "cross-platform"):
            raise ValueError("attachment must be 'platform' or 'cross-platform'")
        self.alg = alg
        self.user_verification = user_verification
        self.backup_eligible = backup_eligible
        self.backed_up = backed_up
        self.sign_count_start = sign_count_start
        self.counter = counter
        self.aaguid = aaguid
        self.attachment = attachment
        if transports is None:
            transports = ["internal", "hybrid"] if attachment == "platform" else ["usb"]
        self.transports = list(transports)
        self.resident_keys = resident_keys
        self.credentials: list[SoftCredential] = []
        self._created = 0

    @property
    def cose_alg(self) -> int:
        return COSE_ALGS[self.alg]

    def clone(self) -> SoftAuthenticator:
        """Return a copy holding the same keys and counters (a cloned authenticator)."""
        twin = SoftAuthenticator(
            self.alg, user_verification=self.user_verification,
            backup_eligible=self.backup_eligible, backed_up=self.backed_up,
            sign_count_start=self.sign_count_start, counter=self.counter, aaguid=self.aaguid,
            attachment=self.attachment, transports=self.transports,
            resident_keys=self.resident_keys)
        twin.credentials = [replace(credential) for credential in self.credentials]
        twin._created = self._created
        return twin

    def credential(self, credential_id: str | bytes) -> SoftCredential:
        """Return the held credential with this id (base64url str or bytes)."""
        raw = b64url_decode(credential_id) if isinstance(credential_id, str) else credential_id
        for credential in self.credentials:
            if credential.id == raw:
                return credential
        raise KeyError(f"no credential {b64url(raw)}")

    # --- registration -------------------------------------------------------------------

    def register(self, options: Any, origin: str, *, skip_client_checks: bool = False,
                 origin_override: str | None = None, rp_id_override: str | None = None,
                 type_override: str | None = None, challenge_override: str | None = None,
                 client_data_extra: dict | None = None, user_present: bool = True,
                 user_verified: bool | None = None, sign_count: int | None = None,
                 backup_eligible: bool | None = None, backed_up: bool | None = None,
                 credential_id_override: bytes | None = None,
                 raw_id_override: bytes | None = None, cose_key_override: bytes | None = None,
                 fmt_override: str | None = None, att_stmt_override: Any = _KEEP,
                 raw_client_data: bytes | None = None,
                 raw_authenticator_data: bytes | None = None,
                 raw_attestation_object: bytes | None = None) -> dict:
        """Create a credential as navigator.credentials.create() does; return its JSON."""
        options = _load_options(options)
        rp_id = (options.get("rp") or {}).get("id") or _origin_host(origin)[1]
        user = options.get("user") or {}
        selection = options.get("authenticatorSelection") or {}
        uv_wanted = selection.get("userVerification", "preferred")
        resident_wanted = selection.get("residentKey") or (
            "required" if selection.get("requireResidentKey") else "discouraged")

        if not skip_client_checks:
            _check_rp_id(rp_id, origin)
            attachment = selection.get("authenticatorAttachment")
            if attachment and attachment != self.attachment:
                raise WebAuthnClientError(
                    "NotAllowedError", f"{attachment} authenticator wanted, this is "
                    f"{self.attachment}")
            params = options.get("pubKeyCredParams") or [
                {"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}]
            if not any(p.get("type") == "public-key" and p.get("alg") == self.cose_alg
                       for p in params):
                raise WebAuthnClientError("NotSupportedError", f"{self.alg} was not offered")
            if uv_wanted == "required" and not self.user_verification:
                raise WebAuthnClientError("NotAllowedError", "cannot verify the user")
            if resident_wanted == "required" and not self.resident_keys:
                raise WebAuthnClientError("ConstraintError", "cannot store resident keys")
            excluded = {b64url_decode(c["id"]) for c in options.get("excludeCredentials") or []}
            if any(c.id in excluded and c.rp_id == rp_id for c in self.credentials):
                raise WebAuthnClientError("InvalidStateError", "already registered here")

        private_key = _generate_key(self.alg)
        credential_id = (credential_id_override if credential_id_override is not None
                         else secrets.token_bytes(32))
        self._created += 1
        credential = SoftCredential(
            id=credential_id, rp_id=rp_id, user_handle=b64url_decode(user.get("id", "")),
            user_name=user.get("name", ""), user_display_name=user.get("displayName", ""),
            alg=self.alg, private_key=private_key,
            cose_public_key=_cose_public_key(self.alg, private_key),
            sign_count=self.sign_count_start if self.counter else 0,
            backup_eligible=self.backup_eligible, backed_up=self.backed_up,
            resident=self.resident_keys,
            created=self._created)
        if credential.resident:
            self.credentials = [c for c in self.credentials if not (
                c.resident and c.rp_id == rp_id and c.user_handle == credential.user_handle)]
        self.credentials.append(credential)

        client_data = raw_client_data if raw_client_data is not None else self._client_data(
            "webauthn.create", options, origin, type_override=type_override,
            origin_override=origin_override, challenge_override=challenge_override,
            extra=client_data_extra)

        flags = _flags(
            up=user_present,
            uv=user_verified if user_verified is not None else (
                self.user_verification and uv_wanted != "discouraged"),
            be=credential.backup_eligible if backup_eligible is None else backup_eligible,
            bs=credential.backed_up if backed_up is None else backed_up, at=True)
        cose_key = credential.cose_public_key if cose_key_override is None else cose_key_override
        attested = (self.aaguid + len(credential_id).to_bytes(2, "big") + credential_id
                    + cose_key)
        auth_data = raw_authenticator_data if raw_authenticator_data is not None else _auth_data(
            rp_id_override if rp_id_override is not None else rp_id, flags,
            credential.sign_count if sign_count is None else sign_count, attested)
        attestation_object = raw_attestation_object if raw_attestation_object is not None else (
            cbor2.dumps({"fmt": "none" if fmt_override is None else fmt_override,
                         "attStmt": {} if att_stmt_override is _KEEP else att_stmt_override,
                         "authData": auth_data}))

        json_id = b64url(raw_id_override if raw_id_override is not None else credential_id)
        results: dict[str, Any] = {}
        if "credProps" in (options.get("extensions") or {}):
            results["credProps"] = {"rk": credential.resident}
        return {
            "id": json_id,
            "rawId": json_id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation_object),
                "authenticatorData": b64url(auth_data),
                "transports": list(self.transports),
                "publicKey": b64url(_spki(private_key)),
                "publicKeyAlgorithm": self.cose_alg,
            },
            "clientExtensionResults": results,
            "authenticatorAttachment": self.attachment,
        }

    # --- authentication -----------------------------------------------------------------

    def assert_(self, options: Any, origin: str, *, credential_id: str | bytes | None = None,
                skip_client_checks: bool = False, origin_override: str | None = None,
                rp_id_override: str | None = None, type_override: str | None = None,
                challenge_override: str | None = None, client_data_extra: dict | None = None,
                user_present: bool = True, user_verified: bool | None = None,
                sign_count: int | None = None, backup_eligible: bool | None = None,
                backed_up: bool | None = None, credential_id_override: bytes | None = None,
                bad_signature: bool = False, user_handle_override: Any = _KEEP,
                raw_client_data: bytes | None = None,
                raw_authenticator_data: bytes | None = None) -> dict:
        """Sign in as navigator.credentials.get() does; return the assertion JSON."""
        options = _load_options(options)
        rp_id = options.get("rpId") or _origin_host(origin)[1]
        uv_wanted = options.get("userVerification", "preferred")
        if not skip_client_checks:
            _check_rp_id(rp_id, origin)
            if uv_wanted == "required" and not self.user_verification:
                raise WebAuthnClientError("NotAllowedError", "cannot verify the user")
        credential = self._choose(options, rp_id, credential_id, skip_client_checks)

        if self.counter:
            credential.sign_count += 1
        reported_count = (credential.sign_count if self.counter else 0) if sign_count is None \
            else sign_count

        client_data = raw_client_data if raw_client_data is not None else self._client_data(
            "webauthn.get", options, origin, type_override=type_override,
            origin_override=origin_override, challenge_override=challenge_override,
            extra=client_data_extra)
        flags = _flags(
            up=user_present,
            uv=user_verified if user_verified is not None else (
                self.user_verification and uv_wanted != "discouraged"),
            be=credential.backup_eligible if backup_eligible is None else backup_eligible,
            bs=credential.backed_up if backed_up is None else backed_up)
        auth_data = raw_authenticator_data if raw_authenticator_data is not None else _auth_data(
            rp_id_override if rp_id_override is not None else rp_id, flags, reported_count)
        signature = _sign(credential.alg, credential.private_key,
                          auth_data + hashlib.sha256(client_data).digest())
        if bad_signature:
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])

        json_id = b64url(credential_id_override if credential_id_override is not None
                         else credential.id)
        if user_handle_override is _KEEP:
            user_handle = credential.user_handle if credential.resident else None
        else:
            user_handle = user_handle_override
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(auth_data),
            "signature": b64url(signature),
        }
        if user_handle is not None:
            response["userHandle"] = b64url(user_handle)
        return {
            "id": json_id,
            "rawId": json_id,
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": self.attachment,
        }

    def _choose(self, options: dict, rp_id: str, credential_id: str | bytes | None,
                skip_checks: bool) -> SoftCredential:
        allowed = [b64url_decode(c["id"]) for c in options.get("allowCredentials") or []]
        if credential_id is not None:
            chosen = self.credential(credential_id)
            if not skip_checks and (chosen.rp_id != rp_id or (allowed and chosen.id not in allowed)
                                    or (not allowed and not chosen.resident)):
                raise WebAuthnClientError(
                    "NotAllowedError", f"credential {chosen.id_b64} is not usable here")
            return chosen
        if allowed:
            for credential in self.credentials:
                if credential.id in allowed and (skip_checks or credential.rp_id == rp_id):
                    return credential
            raise WebAuthnClientError("NotAllowedError", "none of allowCredentials is held")
        resident = [c for c in self.credentials if c.resident and c.rp_id == rp_id]
        if not resident:
            raise WebAuthnClientError("NotAllowedError", f"no discoverable credential for {rp_id}")
        return max(resident, key=lambda c: c.created)

    def _client_data(self, kind: str, options: dict, origin: str, *, type_override: str | None,
                     origin_override: str | None, challenge_override: str | None,
                     extra: dict | None) -> bytes:
        challenge = (challenge_override if challenge_override is not None
                     else b64url(b64url_decode(options["challenge"])))
        data: dict[str, Any] = {
            "type": type_override if type_override is not None else kind,
            "challenge": challenge,
            "origin": origin_override if origin_override is not None else origin,
            "crossOrigin": False,
        }
        data.update(extra or {})
        return json.dumps(data, separators=(",", ":")).encode("utf-8")


# --- malformed inputs -----------------------------------------------------------------------


def _with(credential: Any, path: tuple[str, ...], value: Any = _KEEP) -> Any:
    """Return a deep copy with the member at `path` replaced, or removed when value is _KEEP."""
    copy = json.loads(json.dumps(credential))
    target = copy
    for key in path[:-1]:
        target = target[key]
    if value is _KEEP:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return copy


def _bad_length(text: str) -> str:
    """Pad base64url text to a length no base64 decoder accepts (1 more than a multiple of 4)."""
    while len(text) % 4 != 1:
        text += "A"
    return text


def _rebuild_auth_data(auth_data: bytes, credential_id: bytes) -> bytes:
    """Return registration authData with its attested credential id replaced."""
    old_length = int.from_bytes(auth_data[53:55], "big")
    return (auth_data[:53] + len(credential_id).to_bytes(2, "big") + credential_id
            + auth_data[55 + old_length:])


def malformed_variants(credential: dict, *, strict: bool = False) -> list[tuple[str, Any]]:
    """Return (name, value) variants of a valid credential JSON that a relying party must reject.

    Works on a registration (response.attestationObject) or an assertion
    (response.authenticatorData) from `SoftAuthenticator`; values are JSON-serialisable.

    By default every variant is one py_webauthn 3 itself rejects - though not always with a
    WebAuthnException: the first few are not JSON objects at all (py_webauthn raises
    AttributeError on them), and a userHandle of impossible base64url length raises
    binascii.Error (a ValueError). `strict=True` adds variants py_webauthn ACCEPTS but a strict
    relying party should refuse (their names start with "lenient:"): huge members it never
    bounds, trailing bytes after the attestation object's CBOR, a credential id longer than the
    1023 bytes WebAuthn allows, characters outside base64url (silently dropped), and at
    registration an id/rawId that differs from the credential id inside authData.
    """
    response = credential["response"]
    registration = "attestationObject" in response
    blob = "attestationObject" if registration else "authenticatorData"
    client_data = json.loads(b64url_decode(response["clientDataJSON"]))
    raw_blob = b64url_decode(response[blob])
    huge = b64url(b"\0" * (1 << 20))

    def client(value: Any) -> dict:
        raw = value if isinstance(value, bytes) else json.dumps(value).encode()
        return _with(credential, ("response", "clientDataJSON"), b64url(raw))

    def blob_bytes(raw: bytes) -> dict:
        return _with(credential, ("response", blob), b64url(raw))

    def both_ids(value: str) -> dict:
        return _with(_with(credential, ("id",), value), ("rawId",), value)

    variants: list[tuple[str, Any]] = [
        ("credential is a list", [credential]),
        ("credential is a string", "public-key"),
        ("credential is null", None),
        ("credential is a number", 7),
        ("credential is empty", {}),
    ]
    for name in ("id", "rawId", "type", "response"):
        variants.append((f"{name} missing", _with(credential, (name,))))
    for name in ("clientDataJSON", blob) + (() if registration else ("signature",)):
        variants.append((f"response.{name} missing", _with(credential, ("response", name))))
    variants += [
        ("id is a number", _with(credential, ("id",), 12345)),
        ("rawId is null", _with(credential, ("rawId",), None)),
        ("rawId is a list", _with(credential, ("rawId",), [1, 2, 3])),
        ("type is password", _with(credential, ("type",), "password")),
        ("type is a number", _with(credential, ("type",), 1)),
        ("response is a string", _with(credential, ("response",), "response")),
        ("response is a list", _with(credential, ("response",), [response])),
        ("response.clientDataJSON is a number",
         _with(credential, ("response", "clientDataJSON"), 1)),
        ("response.clientDataJSON is an object",
         _with(credential, ("response", "clientDataJSON"), client_data)),
        (f"response.{blob} is an object", _with(credential, ("response", blob), {"a": 1})),
        ("authenticatorAttachment is not an attachment",
         _with(credential, ("authenticatorAttachment",), "usb")),
        ("id differs from rawId", _with(credential, ("id",), b64url(b"another credential"))),
        ("id and rawId with non-base64url characters", both_ids(credential["id"] + "!*")),
        ("rawId bad base64url length",
         _with(credential, ("rawId",), _bad_length(credential["rawId"]))),
        ("id and rawId bad base64url length", both_ids(_bad_length(credential["id"]))),
        ("clientDataJSON bad base64url length", _with(
            credential, ("response", "clientDataJSON"), _bad_length(response["clientDataJSON"]))),
        (f"{blob} bad base64url length",
         _with(credential, ("response", blob), _bad_length(response[blob]))),
        ("clientDataJSON not JSON", client(b"{not json")),
        ("clientDataJSON not UTF-8", client(b"\xff\xfe\xfd")),
        ("clientDataJSON empty", client(b"")),
        ("clientDataJSON a list", client([client_data])),
        ("clientDataJSON a string", client("webauthn")),
        ("clientDataJSON without type", client({k: v for k, v in client_data.items()
                                                 if k != "type"})),
        ("clientDataJSON without challenge", client({k: v for k, v in client_data.items()
                                                      if k != "challenge"})),
        ("clientDataJSON without origin", client({k: v for k, v in client_data.items()
                                                   if k != "origin"})),
        ("clientDataJSON type a number", client({**client_data, "type": 1})),
        ("clientDataJSON origin a number", client({**client_data, "origin": 443})),
        ("clientDataJSON challenge a list", client({**client_data, "challenge": ["x"]})),
        ("clientDataJSON challenge bad base64url length",
         client({**client_data, "challenge": _bad_length(client_data["challenge"])})),
        (f"{blob} empty", blob_bytes(b"")),
        (f"{blob} truncated", blob_bytes(raw_blob[: len(raw_blob) // 2])),
    ]
    if registration:
        attestation = cbor2.loads(raw_blob)
        auth_data = attestation["authData"]

        def att(value: Any) -> dict:
            return blob_bytes(cbor2.dumps(value))

        variants += [
            ("attestationObject not CBOR", blob_bytes(b"\xff\x00garbage")),
            ("attestationObject a CBOR list", att([attestation])),
            ("attestationObject a CBOR string", att("none")),
            ("attestationObject without fmt", att({k: v for k, v in attestation.items()
                                                    if k != "fmt"})),
            ("attestationObject without authData", att({k: v for k, v in attestation.items()
                                                         if k != "authData"})),
            ("attestationObject fmt a number", att({**attestation, "fmt": 1})),
            ("attestationObject fmt unknown", att({**attestation, "fmt": "made-up"})),
            ("attestationObject attStmt a number", att({**attestation, "attStmt": 1})),
            ("attestationObject attStmt not empty",
             att({**attestation, "attStmt": {"sig": b"\0" * 64}})),
            ("authData a string", att({**attestation, "authData": "x"})),
            ("authData too short", att({**attestation, "authData": auth_data[:36]})),
            ("authData without attested credential data",
             att({**attestation, "authData": auth_data[:32] + bytes([auth_data[32] & ~FLAG_AT])
                  + auth_data[33:37]})),
            ("authData truncated in the public key",
             att({**attestation, "authData": auth_data[:-5]})),
            ("authData with trailing bytes", att({**attestation, "authData": auth_data + b"\0"})),
            ("authData credential id length past the end",
             att({**attestation, "authData": auth_data[:53] + b"\xff\xff" + auth_data[55:]})),
            ("authData public key not a COSE map", att({**attestation, "authData": (
                auth_data[:55 + int.from_bytes(auth_data[53:55], "big")] + cbor2.dumps([1]))})),
        ]
        if strict:
            long_id = b"\x01" * 1024
            variants += [
                ("lenient: huge clientDataJSON",
                 client({**client_data, "pad": "x" * (1 << 20)})),
                ("lenient: huge id and rawId", both_ids(huge)),
                ("lenient: huge attestationObject",
                 att({**attestation, "pad": b"\0" * (1 << 20)})),
                ("lenient: attestationObject with trailing bytes", blob_bytes(raw_blob + b"\0")),
                ("lenient: credential id longer than 1023 bytes", _with(
                    att({**attestation, "authData": _rebuild_auth_data(auth_data, long_id)}),
                    ("id",), b64url(long_id)) | {"rawId": b64url(long_id)}),
                ("lenient: id and rawId differ from the attested credential id",
                 both_ids(b64url(b"not the attested credential id"))),
                ("lenient: clientDataJSON with non-base64url characters", _with(
                    credential, ("response", "clientDataJSON"),
                    "*" + response["clientDataJSON"])),
            ]
    else:
        variants += [
            ("authenticatorData too short", blob_bytes(raw_blob[:36])),
            ("authenticatorData with trailing bytes", blob_bytes(raw_blob + b"\0")),
            ("signature empty", _with(credential, ("response", "signature"), "")),
            ("signature truncated", _with(credential, ("response", "signature"),
                                          response["signature"][:8])),
            ("signature a number", _with(credential, ("response", "signature"), 1)),
            ("signature bad base64url length", _with(
                credential, ("response", "signature"), _bad_length(response["signature"]))),
            ("userHandle a number", _with(credential, ("response", "userHandle"), 1)),
            ("userHandle bad base64url length", _with(
                credential, ("response", "userHandle"),
                _bad_length(response.get("userHandle", "")))),
            ("huge signature", _with(credential, ("response", "signature"), huge)),
            ("huge clientDataJSON", client({**client_data, "pad": "x" * (1 << 20)})),
        ]
        if strict:
            variants += [
                ("lenient: huge id and rawId", both_ids(huge)),
                ("lenient: huge userHandle", _with(credential, ("response", "userHandle"), huge)),
                ("lenient: signature with non-base64url characters", _with(
                    credential, ("response", "signature"), "*" + response["signature"])),
            ]
    return variants
