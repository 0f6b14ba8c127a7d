"""The software authenticator against py_webauthn itself: honest ceremonies pass, forgeries fail.

No provider here: these tests pin down what py_webauthn 3 checks, which exception each forged
or malformed input gives (the provider has to translate them), and what it leaves to the
relying party - see `test_left_to_the_relying_party_*`.

Forgery -> exception (registration: `verify_registration_response(require_user_verification=
True)`; assertion: `verify_authentication_response(require_user_verification=True)`):

    origin_override        InvalidRegistrationResponse / InvalidAuthenticationResponse
                           'Unexpected client data origin "<origin>", expected "<expected>"'
    rp_id_override         Invalid*Response "Unexpected RP ID hash"
    type_override          Invalid*Response 'Unexpected client data type "<type>", expected
                           "ClientDataType.WEBAUTHN_CREATE"' (".WEBAUTHN_GET" at sign-in)
    challenge_override     Invalid*Response "Client data challenge was not expected challenge"
    user_present=False     InvalidRegistrationResponse "User presence was required, but was not
                           present during attestation"; InvalidAuthenticationResponse "User was
                           not present during authentication" (always checked at sign-in)
    user_verified=False    Invalid*Response "User verification is required but user was not
                           verified during attestation" / "... during authentication"
    backed_up=True with backup_eligible=False
                           InvalidBackupFlags "Single-device credential indicated that it was
                           backed up, which should be impossible." - NOT wrapped in Invalid*Response
    sign_count regression, equal count, or 0 after a non-zero count (sign-in)
                           InvalidAuthenticationResponse "Response sign count of N was not greater
                           than current count of M"
    bad_signature          InvalidAuthenticationResponse "Could not verify authentication signature"
    raw_client_data (not JSON)   Invalid*Response "clientDataJSON was malformed. See __cause__ for
                           more info", __cause__ InvalidJSONStructure
    raw_authenticator_data (short)  registration: InvalidRegistrationResponse "attestationObject
                           was malformed ...", __cause__ InvalidAuthenticatorDataStructure; sign-in:
                           InvalidAuthenticationResponse "authenticatorData was malformed ...",
                           __cause__ InvalidAuthenticatorDataStructure
    raw_attestation_object (not CBOR)  InvalidRegistrationResponse "attestationObject was
                           malformed ...", __cause__ InvalidAttestationObjectStructure
    fmt_override "packed"  InvalidRegistrationResponse "Attestation statement was missing signature
                           (Packed)"; an unknown fmt: 'Unsupported attestation type "<fmt>"'
    att_stmt_override      InvalidRegistrationResponse "None attestation had unexpected
                           attestation statement"
    client_data_extra tokenBinding with a bad status   Invalid*Response "Unexpected token_binding
                           status of ..."
    cose_key_override      no alg: KeyError; unknown kty: UnsupportedPublicKeyType; a CBOR
                           array: IndexError; undecodable CBOR: InvalidRegistrationResponse
                           ("attestationObject was malformed", cause InvalidCBORData) - the first
                           three NOT wrapped
    an alg outside supported_pub_key_algs   InvalidRegistrationResponse 'Unsupported credential
                           public key alg "-257", expected one of: [...]'

Forgeries py_webauthn ACCEPTS (the relying party's job): any sign count at registration;
credential_id_override at registration (a duplicate id); raw_id_override at registration (the
JSON id is ignored: VerifiedRegistration.credential_id is the one inside authData); a BE flag
that differs from registration's; user_handle_override / a missing userHandle; an assertion
whose rawId names another credential (it is not covered by the signature - only the key the
relying party looks up by rawId stops it); sign count 0 at every sign-in when the stored count
is 0; crossOrigin true and topOrigin; credential ids over 1023 bytes; public keys that are not
usable (off the curve, crv or alg not matching kty), which then fail at sign-in with a bare
ValueError from cryptography.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Sequence

import cbor2
import pytest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidBackupFlags,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
    UnsupportedPublicKeyType,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from tests.support.soft_authenticator import (
    FLAG_AT,
    FLAG_BE,
    FLAG_BS,
    FLAG_UP,
    FLAG_UV,
    SoftAuthenticator,
    WebAuthnClientError,
    b64url,
    b64url_decode,
    malformed_variants,
)

RP_ID = "localhost"
ORIGIN = "http://localhost:5000"
USER_ID = b"user-0001"
ALGS = ["ES256", "RS256", "EdDSA"]
COSE_ALG = {"ES256": -7, "RS256": -257, "EdDSA": -8}


# --- ceremonies -------------------------------------------------------------------------------


def reg_options(*, exclude: Sequence[bytes] = (), user_id: bytes = USER_ID,
                user_verification=UserVerificationRequirement.REQUIRED,
                algs: list[COSEAlgorithmIdentifier] | None = None):
    """Return py_webauthn's registration options and their JSON (as the browser gets them)."""
    options = generate_registration_options(
        rp_id=RP_ID, rp_name="Test IdP", user_name="alice", user_id=user_id,
        user_display_name="Alice",
        exclude_credentials=[PublicKeyCredentialDescriptor(id=i) for i in exclude],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=user_verification),
        **({"supported_pub_key_algs": algs} if algs else {}))
    return options, json.loads(options_to_json(options))


def auth_options(allow: Sequence[bytes] = (),
                 user_verification=UserVerificationRequirement.REQUIRED):
    options = generate_authentication_options(
        rp_id=RP_ID, allow_credentials=[PublicKeyCredentialDescriptor(id=i) for i in allow],
        user_verification=user_verification)
    return options, json.loads(options_to_json(options))


def verify_reg(credential, options, **kwargs):
    kwargs.setdefault("require_user_verification", True)
    return verify_registration_response(
        credential=credential, expected_challenge=options.challenge, expected_rp_id=RP_ID,
        expected_origin=ORIGIN, **kwargs)


def verify_auth(credential, options, public_key: bytes, sign_count: int, **kwargs):
    kwargs.setdefault("require_user_verification", True)
    return verify_authentication_response(
        credential=credential, expected_challenge=options.challenge, expected_rp_id=RP_ID,
        expected_origin=ORIGIN, credential_public_key=public_key,
        credential_current_sign_count=sign_count, **kwargs)


def registered(authenticator: SoftAuthenticator, **forge):
    """Register honestly (unless forged) and return py_webauthn's VerifiedRegistration."""
    options, options_json = reg_options()
    return verify_reg(authenticator.register(options_json, ORIGIN, **forge), options)


def flags_of(credential: dict) -> int:
    response = credential["response"]
    if "attestationObject" in response:
        auth_data = cbor2.loads(b64url_decode(response["attestationObject"]))["authData"]
    else:
        auth_data = b64url_decode(response["authenticatorData"])
    return auth_data[32]


# --- honest ceremonies --------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGS)
def test_an_honest_registration_verifies(alg):
    authenticator = SoftAuthenticator(alg)
    options, options_json = reg_options()
    credential = authenticator.register(options_json, ORIGIN)

    verified = verify_reg(credential, options)

    held = authenticator.credentials[0]
    assert len(authenticator.credentials) == 1
    assert verified.credential_id == held.id
    assert credential["id"] == credential["rawId"] == held.id_b64
    assert verified.credential_public_key == held.cose_public_key
    assert cbor2.loads(verified.credential_public_key)[3] == COSE_ALG[alg]
    assert verified.sign_count == 0
    assert verified.user_verified is True
    assert verified.fmt == "none"
    assert verified.aaguid == "00000000-0000-0000-0000-000000000000"
    assert verified.credential_device_type == CredentialDeviceType.SINGLE_DEVICE
    assert verified.credential_backed_up is False
    assert (held.rp_id, held.user_handle, held.user_name) == (RP_ID, USER_ID, "alice")
    assert credential["type"] == "public-key"
    assert credential["clientExtensionResults"] == {}
    assert credential["authenticatorAttachment"] == "cross-platform"
    assert credential["response"]["transports"] == ["usb"]
    assert credential["response"]["publicKeyAlgorithm"] == COSE_ALG[alg]
    assert flags_of(credential) == FLAG_UP | FLAG_UV | FLAG_AT
    client_data = json.loads(b64url_decode(credential["response"]["clientDataJSON"]))
    assert client_data == {"type": "webauthn.create", "challenge": b64url(options.challenge),
                           "origin": ORIGIN, "crossOrigin": False}
    attestation = cbor2.loads(b64url_decode(credential["response"]["attestationObject"]))
    assert (attestation["fmt"], attestation["attStmt"]) == ("none", {})


@pytest.mark.parametrize("alg", ALGS)
def test_an_honest_assertion_verifies_and_counts(alg):
    authenticator = SoftAuthenticator(alg)
    verified = registered(authenticator)

    stored = verified.sign_count
    for expected in (1, 2, 3):
        options, options_json = auth_options(allow=[verified.credential_id])
        assertion = authenticator.assert_(options_json, ORIGIN)
        result = verify_auth(assertion, options, verified.credential_public_key, stored)
        assert result.new_sign_count == expected
        assert result.credential_id == verified.credential_id
        assert result.user_verified is True
        assert flags_of(assertion) == FLAG_UP | FLAG_UV
        stored = result.new_sign_count
    assert authenticator.credentials[0].sign_count == 3
    client_data = json.loads(b64url_decode(assertion["response"]["clientDataJSON"]))
    assert client_data["type"] == "webauthn.get"
    assert assertion["response"]["userHandle"] == b64url(USER_ID)


@pytest.mark.parametrize("alg", ALGS)
def test_a_discoverable_assertion_gives_the_user_handle(alg):
    authenticator = SoftAuthenticator(alg)
    verified = registered(authenticator)
    options, options_json = auth_options(allow=[])
    assert "allowCredentials" not in options_json or options_json["allowCredentials"] == []

    assertion = authenticator.assert_(options_json, ORIGIN)

    assert b64url_decode(assertion["response"]["userHandle"]) == USER_ID
    assert assertion["rawId"] == b64url(verified.credential_id)
    result = verify_auth(assertion, options, verified.credential_public_key, 0)
    assert result.new_sign_count == 1


def test_a_discoverable_assertion_uses_the_newest_credential_of_the_rp():
    authenticator = SoftAuthenticator()
    first = registered(authenticator)
    options, options_json = reg_options(user_id=b"user-0002")
    second = verify_reg(authenticator.register(options_json, ORIGIN), options)
    # Another RP's credential on the same authenticator is never offered here.
    foreign = authenticator.register(
        {**options_json, "rp": {"id": "example.com", "name": "Other"}}, "https://example.com")
    options, options_json = auth_options()

    assertion = authenticator.assert_(options_json, ORIGIN)
    chosen = authenticator.assert_(options_json, ORIGIN, credential_id=first.credential_id)

    assert assertion["id"] == b64url(second.credential_id)
    assert b64url_decode(assertion["response"]["userHandle"]) == b"user-0002"
    assert chosen["id"] == b64url(first.credential_id)
    assert authenticator.credential(foreign["id"]).rp_id == "example.com"


def test_a_new_resident_credential_replaces_the_one_for_the_same_user():
    authenticator = SoftAuthenticator()
    registered(authenticator)
    second = registered(authenticator)
    assert [c.id for c in authenticator.credentials] == [second.credential_id]


def test_options_are_accepted_as_json_text_wrapper_or_py_webauthn_object():
    authenticator = SoftAuthenticator()
    options, options_json = reg_options()
    for given in (json.dumps(options_json), {"publicKey": options_json}, options):
        verify_reg(authenticator.register(given, ORIGIN), options)


def test_counting_can_be_off_like_synced_passkeys():
    authenticator = SoftAuthenticator(counter=False, sign_count_start=9, backup_eligible=True,
                                      backed_up=True, attachment="platform")
    options, options_json = reg_options()
    credential = authenticator.register(options_json, ORIGIN)
    verified = verify_reg(credential, options)
    assert verified.sign_count == 0
    assert verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    assert verified.credential_backed_up is True
    assert credential["authenticatorAttachment"] == "platform"
    assert credential["response"]["transports"] == ["internal", "hybrid"]
    assert flags_of(credential) == FLAG_UP | FLAG_UV | FLAG_BE | FLAG_BS | FLAG_AT

    for _ in range(2):  # py_webauthn accepts 0 again and again when the stored count is 0
        options, options_json = auth_options()
        result = verify_auth(authenticator.assert_(options_json, ORIGIN), options,
                             verified.credential_public_key, 0)
        assert result.new_sign_count == 0


def test_the_count_starts_where_asked():
    authenticator = SoftAuthenticator(sign_count_start=41)
    verified = registered(authenticator)
    assert verified.sign_count == 41
    options, options_json = auth_options()
    result = verify_auth(authenticator.assert_(options_json, ORIGIN), options,
                         verified.credential_public_key, 41)
    assert result.new_sign_count == 42


def test_a_cloned_authenticator_is_caught_by_the_sign_count():
    original = SoftAuthenticator()
    verified = registered(original)
    twin = original.clone()
    options, options_json = auth_options()
    stored = verify_auth(original.assert_(options_json, ORIGIN), options,
                         verified.credential_public_key, 0).new_sign_count
    options, options_json = auth_options()
    with pytest.raises(InvalidAuthenticationResponse, match="not greater than current count"):
        verify_auth(twin.assert_(options_json, ORIGIN), options,
                    verified.credential_public_key, stored)


def test_cred_props_is_reported_when_asked():
    authenticator = SoftAuthenticator()
    _, options_json = reg_options()
    credential = authenticator.register({**options_json, "extensions": {"credProps": True}},
                                        ORIGIN)
    assert credential["clientExtensionResults"] == {"credProps": {"rk": True}}


# --- what an honest browser or authenticator refuses -------------------------------------------


def test_the_client_refuses_what_a_browser_refuses():
    authenticator = SoftAuthenticator("RS256", user_verification=False)
    _, options_json = reg_options(user_verification=UserVerificationRequirement.PREFERRED)
    authenticator.register(options_json, ORIGIN)
    held = authenticator.credentials[0].id

    cases = [
        ("SecurityError", lambda: authenticator.register(options_json, "https://evil.example")),
        ("SecurityError", lambda: authenticator.register(
            {**options_json, "rp": {"id": "example.com", "name": "x"}}, "http://example.com")),
        ("InvalidStateError", lambda: authenticator.register(
            reg_options(exclude=[held],
                        user_verification=UserVerificationRequirement.PREFERRED)[1], ORIGIN)),
        ("NotSupportedError", lambda: authenticator.register(
            reg_options(algs=[COSEAlgorithmIdentifier.ECDSA_SHA_256],
                        user_verification=UserVerificationRequirement.PREFERRED)[1], ORIGIN)),
        ("NotAllowedError", lambda: authenticator.register(reg_options()[1], ORIGIN)),
        ("NotAllowedError", lambda: authenticator.register(
            {**options_json, "authenticatorSelection": {"authenticatorAttachment": "platform"}},
            ORIGIN)),
        ("ConstraintError", lambda: SoftAuthenticator(resident_keys=False).register(
            reg_options()[1], ORIGIN)),
        ("NotAllowedError", lambda: authenticator.assert_(auth_options()[1], ORIGIN)),
        ("NotAllowedError", lambda: authenticator.assert_(
            auth_options(allow=[b"unknown"],
                         user_verification=UserVerificationRequirement.PREFERRED)[1], ORIGIN)),
        ("NotAllowedError", lambda: SoftAuthenticator().assert_(
            auth_options(user_verification=UserVerificationRequirement.PREFERRED)[1], ORIGIN)),
    ]
    for name, call in cases:
        with pytest.raises(WebAuthnClientError) as caught:
            call()
        assert caught.value.name == name


def test_skip_client_checks_lets_a_scripted_client_through():
    authenticator = SoftAuthenticator(user_verification=False)
    options, options_json = reg_options()
    credential = authenticator.register(options_json, "https://evil.example",
                                        skip_client_checks=True)
    with pytest.raises(InvalidRegistrationResponse, match="origin"):
        verify_reg(credential, options, require_user_verification=False)


def test_a_key_without_resident_credentials_gives_no_user_handle():
    authenticator = SoftAuthenticator(resident_keys=False)
    options, options_json = reg_options()
    options_json["authenticatorSelection"]["residentKey"] = "discouraged"
    verified = verify_reg(authenticator.register(options_json, ORIGIN), options)
    with pytest.raises(WebAuthnClientError, match="no discoverable credential"):
        authenticator.assert_(auth_options()[1], ORIGIN)
    options, options_json = auth_options(allow=[verified.credential_id])
    assertion = authenticator.assert_(options_json, ORIGIN)
    assert "userHandle" not in assertion["response"]
    verify_auth(assertion, options, verified.credential_public_key, 0)


# --- forgeries py_webauthn rejects ---------------------------------------------------------------

# (forge keyword arguments, exception type, message fragment)
REGISTRATION_FORGERIES = {
    "origin": ({"origin_override": "https://evil.example"}, InvalidRegistrationResponse,
               'Unexpected client data origin "https://evil.example"'),
    "rp id": ({"rp_id_override": "evil.example"}, InvalidRegistrationResponse,
              "Unexpected RP ID hash"),
    "type": ({"type_override": "webauthn.get"}, InvalidRegistrationResponse,
             'Unexpected client data type "webauthn.get"'),
    "challenge": ({"challenge_override": b64url(b"\1" * 64)}, InvalidRegistrationResponse,
                  "Client data challenge was not expected challenge"),
    "user not present": ({"user_present": False}, InvalidRegistrationResponse,
                         "User presence was required"),
    "user not verified": ({"user_verified": False}, InvalidRegistrationResponse,
                          "User verification is required"),
    "backed up but not eligible": ({"backup_eligible": False, "backed_up": True},
                                   InvalidBackupFlags, "Single-device credential"),
    "client data not JSON": ({"raw_client_data": b"{"}, InvalidRegistrationResponse,
                             "clientDataJSON was malformed"),
    "authenticator data short": ({"raw_authenticator_data": b"\0" * 10},
                                 InvalidRegistrationResponse, "attestationObject was malformed"),
    "attestation object not CBOR": ({"raw_attestation_object": b"\xff"},
                                    InvalidRegistrationResponse,
                                    "attestationObject was malformed"),
    "fmt packed without statement": ({"fmt_override": "packed"}, InvalidRegistrationResponse,
                                     "Attestation statement was missing signature"),
    "fmt unknown": ({"fmt_override": "bogus"}, InvalidRegistrationResponse,
                    'Unsupported attestation type "bogus"'),
    "none with a statement": ({"att_stmt_override": {"sig": b"x"}},
                              InvalidRegistrationResponse,
                              "None attestation had unexpected attestation statement"),
    "token binding status": ({"client_data_extra": {"tokenBinding": {"status": "bogus"}}},
                             InvalidRegistrationResponse, "Unexpected token_binding status"),
    "cose key without alg": ({"cose_key_override": cbor2.dumps({1: 2})}, KeyError, ""),
    "cose key unknown kty": ({"cose_key_override": cbor2.dumps({1: 9, 3: -7})},
                             UnsupportedPublicKeyType, 'Unsupported credential public key type'),
    "cose key an array": ({"cose_key_override": cbor2.dumps([1, 2])}, IndexError, ""),
    "cose key not CBOR": ({"cose_key_override": b"\xff"}, InvalidRegistrationResponse,
                          "attestationObject was malformed"),
}

AUTHENTICATION_FORGERIES = {
    "origin": ({"origin_override": "https://evil.example"}, InvalidAuthenticationResponse,
               'Unexpected client data origin "https://evil.example"'),
    "rp id": ({"rp_id_override": "evil.example"}, InvalidAuthenticationResponse,
              "Unexpected RP ID hash"),
    "type": ({"type_override": "webauthn.create"}, InvalidAuthenticationResponse,
             'Unexpected client data type "webauthn.create"'),
    "challenge": ({"challenge_override": b64url(b"\1" * 64)}, InvalidAuthenticationResponse,
                  "Client data challenge was not expected challenge"),
    "user not present": ({"user_present": False}, InvalidAuthenticationResponse,
                         "User was not present during authentication"),
    "user not verified": ({"user_verified": False}, InvalidAuthenticationResponse,
                          "User verification is required"),
    "backed up but not eligible": ({"backup_eligible": False, "backed_up": True},
                                   InvalidBackupFlags, "Single-device credential"),
    "sign count regression": ({"sign_count": 4}, InvalidAuthenticationResponse,
                              "Response sign count of 4 was not greater than current count of 5"),
    "sign count equal": ({"sign_count": 5}, InvalidAuthenticationResponse,
                         "Response sign count of 5 was not greater than current count of 5"),
    "sign count zero after non-zero": ({"sign_count": 0}, InvalidAuthenticationResponse,
                                       "Response sign count of 0 was not greater"),
    "bad signature": ({"bad_signature": True}, InvalidAuthenticationResponse,
                      "Could not verify authentication signature"),
    "client data not JSON": ({"raw_client_data": b"{"}, InvalidAuthenticationResponse,
                             "clientDataJSON was malformed"),
    "authenticator data short": ({"raw_authenticator_data": b"\0" * 10},
                                 InvalidAuthenticationResponse,
                                 "authenticatorData was malformed"),
    "authenticator data trailing bytes": ({"raw_authenticator_data": b"\0" * 40},
                                          InvalidAuthenticationResponse,
                                          "authenticatorData was malformed"),
    "token binding status": ({"client_data_extra": {"tokenBinding": {"status": "bogus"}}},
                             InvalidAuthenticationResponse, "Unexpected token_binding status"),
}


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("name", list(REGISTRATION_FORGERIES))
def test_a_forged_registration_is_rejected(name, alg):
    forge, error, message = REGISTRATION_FORGERIES[name]
    authenticator = SoftAuthenticator(alg)
    options, options_json = reg_options()
    credential = authenticator.register(options_json, ORIGIN, **forge)
    with pytest.raises(error) as caught:
        verify_reg(credential, options)
    assert message in str(caught.value)


@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("name", list(AUTHENTICATION_FORGERIES))
def test_a_forged_assertion_is_rejected(name, alg):
    forge, error, message = AUTHENTICATION_FORGERIES[name]
    authenticator = SoftAuthenticator(alg, sign_count_start=4)
    verified = registered(authenticator)
    options, options_json = auth_options(allow=[verified.credential_id])
    stored = verify_auth(authenticator.assert_(options_json, ORIGIN), options,
                         verified.credential_public_key, verified.sign_count).new_sign_count
    assert stored == 5
    options, options_json = auth_options(allow=[verified.credential_id])
    assertion = authenticator.assert_(options_json, ORIGIN, **forge)
    with pytest.raises(error) as caught:
        verify_auth(assertion, options, verified.credential_public_key, stored)
    assert message in str(caught.value)


def test_an_algorithm_the_rp_does_not_support_is_rejected():
    authenticator = SoftAuthenticator("RS256")
    options, options_json = reg_options()
    credential = authenticator.register(options_json, ORIGIN)
    with pytest.raises(InvalidRegistrationResponse,
                       match='Unsupported credential public key alg "-257"'):
        verify_reg(credential, options,
                   supported_pub_key_algs=[COSEAlgorithmIdentifier.ECDSA_SHA_256])


def test_an_assertion_naming_another_credential_fails_on_that_credentials_key():
    mallory, victim = SoftAuthenticator(), SoftAuthenticator()
    registered(mallory)
    victim_credential = registered(victim)
    options, options_json = auth_options()
    assertion = mallory.assert_(options_json, ORIGIN,
                                credential_id_override=victim_credential.credential_id)
    assert assertion["rawId"] == b64url(victim_credential.credential_id)
    with pytest.raises(InvalidAuthenticationResponse, match="Could not verify"):
        verify_auth(assertion, options, victim_credential.credential_public_key, 0)


# --- what py_webauthn leaves to the relying party ----------------------------------------------


def test_left_to_the_relying_party_at_registration():
    # Any sign count is accepted at registration.
    assert registered(SoftAuthenticator(), sign_count=123456).sign_count == 123456

    # A credential id already registered (to another user, say) is accepted: uniqueness is
    # the relying party's to check, and the forger now holds a key under that id.
    first = registered(SoftAuthenticator())
    forger = SoftAuthenticator()
    duplicate = registered(forger, credential_id_override=first.credential_id)
    assert duplicate.credential_id == first.credential_id
    assert forger.credentials[0].id == first.credential_id

    # The JSON id/rawId is not compared with the credential id inside authData: the verified
    # credential id is the attested one, whatever the JSON says.
    authenticator = SoftAuthenticator()
    verified = registered(authenticator, raw_id_override=b"json id")
    assert verified.credential_id == authenticator.credentials[0].id != b"json id"

    # Credential ids longer than WebAuthn's 1023 bytes are accepted.
    assert len(registered(SoftAuthenticator(),
                          credential_id_override=b"\1" * 2000).credential_id) == 2000

    # crossOrigin / topOrigin are ignored.
    registered(SoftAuthenticator(),
               client_data_extra={"crossOrigin": True, "topOrigin": "https://evil.example"})

    # UP and UV are only checked when asked (require_user_presence defaults to True).
    options, options_json = reg_options()
    credential = SoftAuthenticator().register(options_json, ORIGIN, user_present=False,
                                              user_verified=False)
    verified = verify_reg(credential, options, require_user_presence=False,
                          require_user_verification=False)
    assert verified.user_verified is False

    # An alg the options did not offer is accepted unless supported_pub_key_algs is narrowed.
    options, options_json = reg_options(algs=[COSEAlgorithmIdentifier.ECDSA_SHA_256])
    credential = SoftAuthenticator("EdDSA").register(options_json, ORIGIN,
                                                     skip_client_checks=True)
    verify_reg(credential, options)


def test_left_to_the_relying_party_unusable_public_keys():
    off_curve = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: b"\1" * 32, -3: b"\2" * 32})
    wrong_alg = cbor2.dumps({1: 2, 3: -8, -1: 1, -2: b"\1" * 32, -3: b"\2" * 32})
    for key in (off_curve, wrong_alg):
        assert registered(SoftAuthenticator(), cose_key_override=key).credential_public_key == key

    authenticator = SoftAuthenticator()
    registered(authenticator)
    options, options_json = auth_options()
    with pytest.raises(ValueError, match="not on the curve"):
        verify_auth(authenticator.assert_(options_json, ORIGIN), options, off_curve, 0)


def test_left_to_the_relying_party_at_sign_in():
    authenticator = SoftAuthenticator()
    verified = registered(authenticator)
    key = verified.credential_public_key

    def sign_in(stored: int = 0, **forge):
        options, options_json = auth_options()
        return verify_auth(authenticator.assert_(options_json, ORIGIN, **forge), options, key,
                           stored)

    # The user handle is not looked at: another user's, or none, passes.
    sign_in(user_handle_override=b"someone else")
    sign_in(1, user_handle_override=None)
    # BE differing from registration (it must not change) passes; BS may change anyway.
    result = sign_in(2, backup_eligible=True, backed_up=True)
    assert result.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    # The count is only compared with what the caller passes, and any jump forward passes;
    # 0 with a stored 0 passes every time (no replay detection for counter-less passkeys).
    assert sign_in(3, sign_count=1_000_000).new_sign_count == 1_000_000
    assert sign_in(0, sign_count=0).new_sign_count == 0
    assert sign_in(0, sign_count=0).new_sign_count == 0
    # UV is only checked when asked.
    options, options_json = auth_options()
    result = verify_auth(authenticator.assert_(options_json, ORIGIN, user_verified=False,
                                               sign_count=0),
                         options, key, 0, require_user_verification=False)
    assert result.user_verified is False
    # The rawId is returned as given: matching it to allowCredentials / the user is the RP's.
    options, options_json = auth_options(allow=[b"some other credential"])
    assertion = authenticator.assert_(options_json, ORIGIN, skip_client_checks=True,
                                      credential_id=verified.credential_id, sign_count=0)
    assert verify_auth(assertion, options, key, 0).credential_id == verified.credential_id


# --- malformed credential JSON -----------------------------------------------------------------

# What py_webauthn raises for each variant. Wrapped errors are Invalid*Response with the real
# cause in __cause__; note the ones that are not WebAuthnExceptions at all.
_JSON = InvalidJSONStructure
COMMON_MALFORMED = {
    "credential is a list": AttributeError,  # not wrapped: py_webauthn assumes str or dict
    "credential is a string": _JSON,  # a str is parsed as JSON text
    "credential is null": AttributeError,
    "credential is a number": AttributeError,
    "credential is empty": _JSON,
    "id missing": _JSON,
    "rawId missing": _JSON,
    "type missing": _JSON,
    "response missing": _JSON,
    "response.clientDataJSON missing": _JSON,
    "id is a number": _JSON,
    "rawId is null": _JSON,
    "rawId is a list": _JSON,
    "type is password": _JSON,
    "type is a number": _JSON,
    "response is a string": _JSON,
    "response is a list": _JSON,
    "response.clientDataJSON is a number": _JSON,
    "response.clientDataJSON is an object": _JSON,
    "authenticatorAttachment is not an attachment": _JSON,
    "id differs from rawId": "Invalid",
    "id and rawId with non-base64url characters": "Invalid",
    "rawId bad base64url length": "Invalid",
    "id and rawId bad base64url length": "Invalid",
    "clientDataJSON bad base64url length": "Invalid",
    "clientDataJSON not JSON": "Invalid",
    "clientDataJSON not UTF-8": "Invalid",
    "clientDataJSON empty": "Invalid",
    "clientDataJSON a list": "Invalid",
    "clientDataJSON a string": "Invalid",
    "clientDataJSON without type": "Invalid",
    "clientDataJSON without challenge": "Invalid",
    "clientDataJSON without origin": "Invalid",
    "clientDataJSON type a number": "Invalid",
    "clientDataJSON origin a number": "Invalid",
    "clientDataJSON challenge a list": "Invalid",
    "clientDataJSON challenge bad base64url length": "Invalid",
}
REGISTRATION_MALFORMED = COMMON_MALFORMED | dict.fromkeys((
        "attestationObject bad base64url length", "attestationObject empty",
        "attestationObject truncated", "attestationObject not CBOR",
        "attestationObject a CBOR list", "attestationObject a CBOR string",
        "attestationObject without fmt", "attestationObject without authData",
        "attestationObject fmt a number", "attestationObject fmt unknown",
        "attestationObject attStmt a number", "attestationObject attStmt not empty",
        "authData a string", "authData too short", "authData without attested credential data",
        "authData truncated in the public key", "authData with trailing bytes",
        "authData credential id length past the end"), "Invalid") | {
    "response.attestationObject missing": _JSON,
    "response.attestationObject is an object": _JSON,
    "authData public key not a COSE map": IndexError,  # not wrapped
}
AUTHENTICATION_MALFORMED = COMMON_MALFORMED | dict.fromkeys((
        "authenticatorData bad base64url length", "authenticatorData empty",
        "authenticatorData truncated", "authenticatorData too short",
        "authenticatorData with trailing bytes", "signature empty", "signature truncated",
        "signature bad base64url length", "huge signature", "huge clientDataJSON"), "Invalid") | {
    "response.authenticatorData missing": _JSON,
    "response.signature missing": _JSON,
    "response.authenticatorData is an object": _JSON,
    "signature a number": _JSON,
    "userHandle a number": _JSON,
    "userHandle bad base64url length": binascii.Error,  # not wrapped (a ValueError)
}


@pytest.fixture(scope="module")
def honest():
    """An honest registration and assertion, with what verifying them needs."""
    authenticator = SoftAuthenticator()
    reg_opts, reg_json = reg_options()
    registration = authenticator.register(reg_json, ORIGIN)
    verified = verify_reg(registration, reg_opts)
    auth_opts, auth_json = auth_options()
    assertion = authenticator.assert_(auth_json, ORIGIN)
    return {
        "registration": (registration, reg_opts),
        "assertion": (assertion, auth_opts, verified.credential_public_key),
        "registration variants": dict(malformed_variants(registration, strict=True)),
        "assertion variants": dict(malformed_variants(assertion, strict=True)),
    }


def test_every_malformed_variant_has_an_expectation(honest):
    for kind, table in (("registration", REGISTRATION_MALFORMED),
                        ("assertion", AUTHENTICATION_MALFORMED)):
        names = set(honest[f"{kind} variants"])
        lenient = {n for n in names if n.startswith("lenient: ")}
        assert names - lenient == set(table), kind
        default = {name for name, _ in malformed_variants(honest[kind][0])}
        assert default == set(table), kind
        for name in names:
            json.dumps(honest[f"{kind} variants"][name])  # each can be posted as JSON


@pytest.mark.parametrize("name", list(REGISTRATION_MALFORMED))
def test_a_malformed_registration_is_rejected(honest, name):
    expected = REGISTRATION_MALFORMED[name]
    options = honest["registration"][1]
    error = InvalidRegistrationResponse if expected == "Invalid" else expected
    with pytest.raises(error):
        verify_reg(honest["registration variants"][name], options)


@pytest.mark.parametrize("name", list(AUTHENTICATION_MALFORMED))
def test_a_malformed_assertion_is_rejected(honest, name):
    expected = AUTHENTICATION_MALFORMED[name]
    _, options, key = honest["assertion"]
    error = InvalidAuthenticationResponse if expected == "Invalid" else expected
    with pytest.raises(error):
        verify_auth(honest["assertion variants"][name], options, key, 0)


@pytest.mark.parametrize("kind", ["registration", "assertion"])
def test_lenient_variants_are_accepted_by_py_webauthn(honest, kind):
    variants = {name: value for name, value in honest[f"{kind} variants"].items()
                if name.startswith("lenient: ")}
    assert variants
    for value in variants.values():
        if kind == "registration":
            verify_reg(value, honest["registration"][1])
        else:
            _, options, key = honest["assertion"]
            verify_auth(value, options, key, 0)
