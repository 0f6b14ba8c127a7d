"""The authenticator-app simulator (clients/authenticator) and the app API's OpenAPI file.

Nothing here needs the provider: the device key and its JWK, the signing string and the
signature (checked with `cryptography` from the exported JWK alone), the state file, activation
links and QR texts, the command line's argument errors, and idp/web/api/app.openapi.yaml (parsed
with PyYAML when installed, else with the small YAML-subset reader below; every example checked
against its schema, and the client's request bodies against the request schemas). The
end-to-end tests against the real provider come with the server side.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import socket
import stat
from pathlib import Path

import pytest
import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from clients.authenticator import (
    ActivationLinkError,
    ApiError,
    AuthenticatorApp,
    DeviceKey,
    DeviceState,
    NetworkError,
    StateError,
    keys,
    load_state,
    parse_activation,
    parse_activation_link,
    parse_activation_qr,
    save_state,
    signing_string,
)
from clients.authenticator.api import USER_AGENT, encode_body
from clients.authenticator.cli import format_approvals, main

SPEC_PATH = Path(__file__).resolve().parents[2] / "idp" / "web" / "api/app.openapi.yaml"
ISSUER = "http://localhost:5000/d/default"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def b64url_decode(text: str) -> bytes:
    assert "=" not in text and re.fullmatch(r"[A-Za-z0-9_-]*", text), text
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_of(jwk: dict) -> ec.EllipticCurvePublicKey:
    """Rebuild the public key from the JWK alone, as the server will."""
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256"
    x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
    assert len(x) == 32 and len(y) == 32
    numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                            ec.SECP256R1())
    return numbers.public_key()


def verifies(jwk: dict, message: bytes, signature: str) -> bool:
    raw = b64url_decode(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public_key_of(jwk).verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def make_state(key: DeviceKey | None = None, issuer: str = ISSUER) -> DeviceState:
    return DeviceState(issuer=issuer, device_id="dv_1", device_name="Pixel 8",
                       directory="default", username="alice",
                       private_key_pem=(key or DeviceKey.generate()).to_pem(),
                       activated_at=1767225600)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- device key and signature --------------------------------------------------------------------

def test_generated_key_exports_a_p256_jwk_of_32_byte_coordinates():
    key = DeviceKey.generate()
    jwk = key.public_jwk()
    assert set(jwk) == {"kty", "crv", "x", "y"}
    numbers = key.private_key.public_key().public_numbers()
    assert b64url_decode(jwk["x"]) == numbers.x.to_bytes(32, "big")
    assert b64url_decode(jwk["y"]) == numbers.y.to_bytes(32, "big")
    assert len(jwk["x"]) == len(jwk["y"]) == 43
    assert DeviceKey.generate().public_jwk() != jwk


def test_jwk_keeps_leading_zero_bytes_of_a_short_coordinate():
    # Find a key whose x has a leading zero byte (1 in 256): it must still be 32 bytes.
    for secret in range(1, 5000):
        key = DeviceKey(ec.derive_private_key(secret, ec.SECP256R1()))
        if key.private_key.public_key().public_numbers().x < 2 ** 248:
            break
    else:  # pragma: no cover
        pytest.fail("no short x coordinate found")
    x = b64url_decode(key.public_jwk()["x"])
    assert len(x) == 32 and x[0] == 0
    assert public_key_of(key.public_jwk()).public_numbers() == (
        key.private_key.public_key().public_numbers())


def test_pem_round_trip_keeps_the_key():
    key = DeviceKey.generate()
    pem = key.to_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert DeviceKey.from_pem(pem).public_jwk() == key.public_jwk()


def test_only_p256_keys_are_device_keys():
    with pytest.raises(ValueError, match="P-256"):
        DeviceKey(ec.generate_private_key(ec.SECP384R1()))


def test_signing_string_is_method_path_nonce_and_body_digest():
    body = b'{"decision":"deny"}'
    assert signing_string("post", "/d/default/app/approvals/ap1", "n0nce", body) == (
        b"POST\n/d/default/app/approvals/ap1\nn0nce\n" + hashlib.sha256(body).hexdigest().encode())
    assert signing_string("GET", "/d/default/app/approvals", "n0nce", b"") == (
        f"GET\n/d/default/app/approvals\nn0nce\n{EMPTY_SHA256}".encode())


def test_signing_string_must_be_ascii():
    with pytest.raises(UnicodeEncodeError):
        signing_string("GET", "/d/défault/app/approvals", "n", b"")


def test_signature_is_raw_r_s_that_verifies_with_the_exported_jwk():
    key = DeviceKey.generate()
    message = signing_string("GET", "/d/default/app/approvals", "q1Zr0wQyJ6N3yS8fK5bV2g", b"")
    signature = key.sign(message)
    assert len(signature) == 86 and len(b64url_decode(signature)) == 64
    assert verifies(key.public_jwk(), message, signature)
    assert not verifies(key.public_jwk(), message.replace(b"GET", b"PUT"), signature)
    assert not verifies(DeviceKey.generate().public_jwk(), message, signature)


def test_the_verification_helpers_agree_with_cryptography():
    key = DeviceKey.generate()
    message = signing_string("DELETE", "/d/default/app/device", "n", b"")
    assert keys.verify(key.public_jwk(), message, key.sign(message))
    assert not keys.verify(key.public_jwk(), message + b"x", key.sign(message))
    assert not keys.verify(key.public_jwk(), message, key.sign(message)[:-4])
    short = {**key.public_jwk(), "x": keys.b64url(bytes(31))}
    with pytest.raises(ValueError, match="32 bytes"):
        keys.public_key_from_jwk(short)


def test_prepared_signed_request_carries_the_three_headers_and_a_valid_signature():
    key = DeviceKey.generate()
    app = AuthenticatorApp(make_state(key))
    body = {"decision": "approve", "number": 42, "pin": "58213"}
    prepared = app.prepare_signed("post", "/app/approvals/ap_1?x=1", body, nonce="n1")
    assert prepared.method == "POST"
    assert prepared.url == f"{ISSUER}/app/approvals/ap_1?x=1"
    assert prepared.body == b'{"decision":"approve","number":42,"pin":"58213"}'
    assert prepared.headers["Content-Type"] == "application/json"
    assert prepared.headers["X-Device-Id"] == "dv_1"
    assert prepared.headers["X-Nonce"] == "n1"
    assert prepared.headers["User-Agent"] == USER_AGENT
    message = signing_string("POST", "/d/default/app/approvals/ap_1", "n1", prepared.body)
    assert verifies(key.public_jwk(), message, prepared.headers["X-Signature"])


def test_prepared_signed_request_with_empty_body_signs_the_empty_digest():
    key = DeviceKey.generate()
    app = AuthenticatorApp(make_state(key))
    prepared = app.prepare_signed("DELETE", "/d/default/app/device", nonce="n2")
    assert prepared.url == f"{ISSUER}/app/device" and not prepared.body
    assert "Content-Type" not in prepared.headers
    message = f"DELETE\n/d/default/app/device\nn2\n{EMPTY_SHA256}".encode()
    assert verifies(key.public_jwk(), message, prepared.headers["X-Signature"])


def test_prepared_signed_request_can_be_forged():
    key, other = DeviceKey.generate(), DeviceKey.generate()
    app = AuthenticatorApp(make_state(key))
    honest = signing_string("GET", "/d/default/app/approvals", "n", b"")
    forged = app.prepare_signed("GET", "/app/approvals", nonce="n", key=other)
    assert not verifies(key.public_jwk(), honest, forged.headers["X-Signature"])
    assert verifies(other.public_jwk(), honest, forged.headers["X-Signature"])
    wrong_body = app.prepare_signed("POST", "/app/approvals/a", {"decision": "deny"}, nonce="n",
                                    sign_body=b"{}")
    assert verifies(key.public_jwk(), signing_string("POST", "/d/default/app/approvals/a", "n",
                                                     b"{}"), wrong_body.headers["X-Signature"])
    other_device = app.prepare_signed("GET", "/app/approvals", nonce="n", device_id="dv_2",
                                      signature="AAAA", headers={"X-Nonce": None})
    assert other_device.headers["X-Device-Id"] == "dv_2"
    assert other_device.headers["X-Signature"] == "AAAA"
    assert "X-Nonce" not in other_device.headers


def test_urls_are_relative_to_the_issuer_or_full_paths():
    app = AuthenticatorApp(make_state())
    assert app.url("/app/approvals") == f"{ISSUER}/app/approvals"
    assert app.url("app/approvals") == f"{ISSUER}/app/approvals"
    assert app.url("/d/default/app/approvals") == f"{ISSUER}/app/approvals"
    assert app.url("http://other/x") == "http://other/x"
    root = AuthenticatorApp(make_state(issuer="https://id.example"))
    assert root.url("/app/device") == "https://id.example/app/device"
    assert AuthenticatorApp.approval_path("a/b c") == "/app/approvals/a%2Fb%20c"


def test_bodies_are_compact_utf8_json():
    assert encode_body(None) == b""
    assert encode_body({"device_name": "Ana’s phone"}) == (
        '{"device_name":"Ana’s phone"}'.encode())
    assert encode_body(b"raw") == b"raw" and encode_body("x") == b"x"


def test_an_app_without_state_cannot_sign():
    with pytest.raises(Exception, match="not activated"):
        AuthenticatorApp().prepare_signed("GET", "/app/approvals", nonce="n")


# -- answers of the provider ---------------------------------------------------------------------

def response(status: int, body: object = None, raw: bytes | None = None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.url = f"{ISSUER}/app/approvals/a"
    answer.reason = "Reason"
    answer._content = raw if raw is not None else (b"" if body is None else
                                                   json.dumps(body).encode())
    return answer


def test_error_answers_become_api_errors():
    with pytest.raises(ApiError) as caught:
        AuthenticatorApp.check(response(400, {"error": "wrong_pin", "error_description":
                                              "Wrong PIN.", "attempts_left": 3}), 200)
    error = caught.value
    assert (error.status, error.error, error.description, error.attempts_left) == (
        400, "wrong_pin", "Wrong PIN.", 3)
    assert "Wrong PIN." in str(error)
    with pytest.raises(ApiError) as caught:
        AuthenticatorApp.check(response(502, raw=b"<html>Bad gateway</html>"), 200)
    assert caught.value.error == "unexpected_response" and "502" in caught.value.description
    with pytest.raises(ApiError) as caught:  # the right JSON with the wrong status
        AuthenticatorApp.check(response(200, {"device_id": "d"}), 201)
    assert caught.value.error == "unexpected_response"


def test_expected_answers_return_their_json():
    assert AuthenticatorApp.check(response(200, {"status": "denied"}), 200) == {"status": "denied"}
    assert AuthenticatorApp.check(response(204), 204) is None
    with pytest.raises(ApiError, match="not JSON"):
        AuthenticatorApp.check(response(200, raw=b"ok"), 200)


def test_an_unreachable_provider_is_a_network_error():
    issuer = f"http://127.0.0.1:{closed_port()}/d/default"
    app = AuthenticatorApp(timeout=5)
    with pytest.raises(NetworkError, match="cannot reach the provider"):
        app.activate(issuer, "ABCD-EFGH-JK", "Pixel 8", "58213")
    assert app.state is None


# -- state file ----------------------------------------------------------------------------------

def test_state_file_round_trip_with_mode_0600(tmp_path):
    path = tmp_path / "sub" / "state.json"
    state = make_state()
    save_state(path, state)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_state(path) == state
    data = json.loads(path.read_text())
    assert data == {"version": 1, "issuer": ISSUER, "device_id": "dv_1",
                    "device_name": "Pixel 8", "directory": "default", "username": "alice",
                    "private_key_pem": state.private_key_pem, "activated_at": 1767225600}
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]  # no temporary left


def test_state_file_replaces_a_readable_file_with_a_private_one(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    save_state(path, make_state())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_state_file_errors(tmp_path):
    with pytest.raises(StateError, match="not activated"):
        load_state(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(StateError, match="not valid JSON"):
        load_state(bad)
    data = make_state().to_json()
    bad.write_text(json.dumps({**data, "version": 2}))
    with pytest.raises(StateError, match="version"):
        load_state(bad)
    bad.write_text(json.dumps({k: v for k, v in data.items() if k != "device_id"}))
    with pytest.raises(StateError, match="device_id"):
        load_state(bad)
    bad.write_text(json.dumps({**data, "private_key_pem": "garbage"}))
    with pytest.raises(StateError, match="key"):
        load_state(bad)


def test_app_load_and_forget(tmp_path):
    path = tmp_path / "state.json"
    save_state(path, make_state())
    app = AuthenticatorApp.load(path)
    assert (app.issuer, app.device_id) == (ISSUER, "dv_1")
    app.forget()
    assert app.state is None and not path.exists()


# -- activation links and QR codes ---------------------------------------------------------------

def test_activation_link():
    assert parse_activation_link(f"{ISSUER}/app/activate?code=ABCD-EFGH-JK") == (
        ISSUER, "ABCD-EFGH-JK")
    assert parse_activation_link(" https://id.example/app/activate/?code=abcd+efgh&x=1 ") == (
        "https://id.example", "abcd efgh")


@pytest.mark.parametrize("link", [
    f"{ISSUER}/app/activate",                          # no code
    f"{ISSUER}/app/activate?code=",                    # empty code
    f"{ISSUER}/app/activate?code=A&code=B",            # two codes
    f"{ISSUER}/app/approvals?code=A",                  # not the activation path
    "ftp://localhost/d/default/app/activate?code=A",   # not http(s)
    "/d/default/app/activate?code=A",                  # not absolute
])
def test_bad_activation_links(link):
    with pytest.raises(ActivationLinkError):
        parse_activation_link(link)


def test_activation_qr_code():
    qr = ("gripidp://activate?issuer=http%3A%2F%2Flocalhost%3A5000%2Fd%2Fdefault"
          "&code=ABCD-EFGH-JK")
    assert parse_activation_qr(qr) == (ISSUER, "ABCD-EFGH-JK")
    assert parse_activation(qr) == (ISSUER, "ABCD-EFGH-JK")
    assert parse_activation(f"{ISSUER}/app/activate?code=K") == (ISSUER, "K")
    assert parse_activation_qr("GRIPIDP://activate?code=K&issuer=https%3A%2F%2Fid.example%2F") == (
        "https://id.example", "K")


@pytest.mark.parametrize("qr", [
    "gripidp://activate?code=ABCD",                                   # no issuer
    "gripidp://activate?issuer=http%3A%2F%2Flocalhost",               # no code
    "gripidp://approve?issuer=http%3A%2F%2Flocalhost&code=A",         # not activate
    "otpauth://activate?issuer=http%3A%2F%2Flocalhost&code=A",        # another scheme
    "gripidp://activate?issuer=javascript%3Aalert(1)&code=A",         # not an http(s) issuer
    "gripidp://activate?issuer=http%3A%2F%2Fh%2Fd%3Fx%3D1&code=A",    # issuer with a query
])
def test_bad_activation_qr_codes(qr):
    with pytest.raises(ActivationLinkError):
        parse_activation_qr(qr)


# -- command line --------------------------------------------------------------------------------

def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        status = main(argv, out=out, err=err, stdin=io.StringIO(stdin))
    except SystemExit as exc:
        status = exc.code
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(("argv", "message"), [
    ([], "COMMAND"),
    (["activate", "--name", "P", "--pin", "58213"], "one of the arguments --link --qr --issuer"),
    (["activate", "--link", f"{ISSUER}/app/activate?code=A", "--qr", "gripidp://activate",
      "--name", "P", "--pin", "58213"], "not allowed with argument"),
    (["activate", "--issuer", ISSUER, "--name", "P", "--pin", "58213"], "--issuer needs --code"),
    (["activate", "--issuer", "localhost:5000", "--code", "A", "--name", "P", "--pin", "58213"],
     "not an http(s) URL"),
    (["activate", "--link", f"{ISSUER}/app/activate?code=A", "--code", "A", "--name", "P",
      "--pin", "58213"], "--code goes with --issuer"),
    (["activate", "--link", f"{ISSUER}/app/activate", "--name", "P", "--pin", "58213"],
     "no code parameter"),
    (["activate", "--qr", "https://x/app/activate?code=A", "--name", "P", "--pin", "58213"],
     "--qr"),
    (["activate", "--issuer", ISSUER, "--code", "A", "--pin", "58213"], "--name"),
    (["activate", "--issuer", ISSUER, "--code", "A", "--name", "P"], "--pin"),
    (["activate", "--issuer", ISSUER, "--code", "A", "--name", "P", "--pin", "1234"], "5 digits"),
    (["activate", "--issuer", ISSUER, "--code", "A", "--name", "P", "--pin", "12a45"],
     "5 digits"),
    (["activate", "--issuer", ISSUER, "--code", "A", "--name", "P", "--pin", "-"],
     "no PIN on standard input"),
    (["approve", "ap1", "--pin", "58213"], "--number"),
    (["approve", "ap1", "--number", "forty", "--pin", "58213"], "invalid int value"),
    (["approve", "ap1", "--number", "420", "--pin", "58213"], "two digits"),
    (["approve", "--number", "42", "--pin", "58213"], "ID"),
    (["deny"], "ID"),
    (["unknown"], "invalid choice"),
])
def test_argument_errors_exit_2(argv, message, tmp_path, capsys):
    status, out, _ = run(["--state", str(tmp_path / "s.json"), *argv])
    assert status == 2
    assert message in capsys.readouterr().err
    assert out == "" and not (tmp_path / "s.json").exists()


def test_commands_without_state_say_not_activated(tmp_path):
    for command in (["list"], ["deny", "ap1"], ["remove"], ["show"],
                    ["approve", "ap1", "--number", "42", "--pin", "58213"]):
        status, out, err = run([*command, "--state", str(tmp_path / "none.json")])
        assert (status, out) == (1, "")
        assert "not activated" in err


def test_activate_with_pin_from_stdin_reports_an_unreachable_provider(tmp_path):
    path = tmp_path / "s.json"
    issuer = f"http://127.0.0.1:{closed_port()}/d/default"
    status, out, err = run(["--state", str(path), "activate", "--issuer", issuer,
                            "--code", "ABCD-EFGH-JK", "--name", "Pixel 8", "--pin", "-"],
                           stdin="58213\n")
    assert (status, out) == (1, "")
    assert err.startswith("authenticator: cannot reach the provider at "
                          f"{issuer}/app/activate")
    assert err.count("\n") == 1 and not path.exists()


def test_list_reports_an_unreachable_provider(tmp_path):
    path = tmp_path / "s.json"
    save_state(path, make_state(issuer=f"http://127.0.0.1:{closed_port()}/d/default"))
    status, out, err = run(["list", "--state", str(path), "--timeout", "5"])
    assert (status, out) == (1, "")
    assert "cannot reach the provider" in err and "/app/nonce" in err
    assert path.exists()


def test_activate_refuses_to_replace_a_state_file(tmp_path):
    path = tmp_path / "s.json"
    save_state(path, make_state())
    status, out, err = run(["activate", "--state", str(path), "--issuer", ISSUER, "--code", "A",
                            "--name", "P", "--pin", "58213"])
    assert (status, out) == (1, "")
    assert "already activated for alice in default" in err and "--force" in err


def test_show_and_remove_local_only(tmp_path):
    path = tmp_path / "s.json"
    state = make_state()
    save_state(path, state)
    status, out, _ = run(["show", "--state", str(path)])
    assert status == 0
    assert "Pixel 8 (dv_1)" in out and "alice in default" in out and ISSUER in out
    assert "PRIVATE" not in out
    status, out, _ = run(["remove", "--local-only", "--state", str(path)])
    assert status == 0 and "Forgot Pixel 8" in out and not path.exists()


def test_list_output():
    approvals = [{"id": "ap1", "directory": "default", "client": "Sample portal",
                  "created_at": 1000, "expires_at": 1120, "ip": "203.0.113.7",
                  "user_agent": "Firefox/128.0", "choices": [7, 42, 85]}]
    text = format_approvals(approvals, now=1010)
    assert text.startswith("1 pending approval:\n\n")
    for line in ("id:         ap1", "client:     Sample portal", "directory:  default",
                 "from:       203.0.113.7, Firefox/128.0", "choices:    07   42   85"):
        assert line in text.splitlines()
    assert "(10 s ago; expires in 1 min 50 s)" in text
    assert format_approvals([], now=0) == "No pending approvals."
    assert "expired" in format_approvals(approvals, now=2000)
    assert format_approvals(approvals * 2, now=0).startswith("2 pending approvals:")


# -- a reader for the YAML subset the OpenAPI file is written in (when PyYAML is absent) ---------

class YamlSubsetError(ValueError):
    pass


def _split_flow(text: str) -> list[str]:
    items, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        items.append(current.strip())
    return items


def _strip_comment(text: str) -> str:
    quote = ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"" and (i == 0 or text[i - 1] in " [,:"):
            quote = char
        elif char == "#" and (i == 0 or text[i - 1] == " "):
            return text[:i].rstrip()
    return text.rstrip()


def _scalar(text: str) -> object:
    text = _strip_comment(text).strip()
    if not text:
        return None
    if text[0] == "'":
        if not text.endswith("'") or len(text) < 2:
            raise YamlSubsetError(f"unterminated quote: {text}")
        return text[1:-1].replace("''", "'")
    if text[0] == '"':
        return json.loads(text)
    if text[0] == "[":
        if not text.endswith("]"):
            raise YamlSubsetError(f"unterminated flow sequence: {text}")
        return [_scalar(item) for item in _split_flow(text[1:-1])]
    if text == "{}":
        return {}
    if text[0] in "{&*!|>%@`" or text.startswith("- ") or ": " in text or text.endswith(":"):
        raise YamlSubsetError(f"outside the subset: {text}")
    if text in ("null", "~"):
        return None
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", text):
        return float(text)
    return text


def _key_value(text: str) -> tuple[str, str] | None:
    quote = ""
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"" and i == 0:
            quote = char
        elif char == ":" and (i + 1 == len(text) or text[i + 1] == " "):
            key = text[:i].strip()
            return (_scalar(key) if key[:1] in "'\"" else key), text[i + 1:].strip()
    return None


def parse_yaml_subset(source: str) -> object:
    """Parse block mappings and sequences, quoted/plain scalars, [a, b], {} and | blocks."""
    lines = []
    for number, raw in enumerate(source.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise YamlSubsetError(f"line {number}: tab in indentation")
        lines.append([len(raw) - len(raw.lstrip(" ")), raw.strip(), raw])

    def skip(i: int) -> int:
        while i < len(lines) and (not lines[i][1] or lines[i][1].startswith("#")):
            i += 1
        return i

    def block_scalar(i: int, parent: int, style: str) -> tuple[str, int]:
        body, indent = [], None
        while i < len(lines) and (not lines[i][1] or lines[i][0] > parent):
            if lines[i][1] and indent is None:
                indent = lines[i][0]
            body.append(lines[i][2][indent:] if lines[i][1] else "")
            i += 1
        while body and not body[-1]:
            body.pop()
        if style != "|":
            raise YamlSubsetError(f"block style {style!r} is outside the subset")
        return "\n".join(body) + "\n", i

    def node(i: int, indent: int) -> tuple[object, int]:
        i = skip(i)
        if i >= len(lines) or lines[i][0] < indent:
            return None, i
        indent = lines[i][0]
        if lines[i][1] == "-" or lines[i][1].startswith("- "):
            return sequence(i, indent)
        return mapping(i, indent)

    def value_after(rest: str, i: int, indent: int) -> tuple[object, int]:
        if rest in ("|", "|-", ">", ">-"):
            return block_scalar(i + 1, indent, rest)
        if rest:
            return _scalar(rest), i + 1
        j = skip(i + 1)
        if j < len(lines) and (lines[j][0] > indent or (
                lines[j][0] == indent and lines[j][1].startswith("- "))):
            return node(j, lines[j][0])
        return None, i + 1

    def mapping(i: int, indent: int) -> tuple[dict, int]:
        result: dict = {}
        while (i := skip(i)) < len(lines) and lines[i][0] == indent:
            pair = _key_value(lines[i][1])
            if pair is None or lines[i][1].startswith("- "):
                raise YamlSubsetError(f"line {i + 1}: expected 'key: value': {lines[i][2]}")
            key, rest = pair
            if key in result:
                raise YamlSubsetError(f"line {i + 1}: duplicate key {key!r}")
            result[key], i = value_after(rest, i, indent)
        if i < len(lines) and lines[i][0] > indent:
            raise YamlSubsetError(f"line {i + 1}: unexpected indentation")
        return result, i

    def sequence(i: int, indent: int) -> tuple[list, int]:
        result: list = []
        while (i := skip(i)) < len(lines) and lines[i][0] == indent and (
                lines[i][1] == "-" or lines[i][1].startswith("- ")):
            rest = lines[i][1][1:].strip()
            if not rest:
                item, i = node(i + 1, indent + 1)
            elif _key_value(rest) is not None and rest[0] not in "'\"[":
                lines[i] = [indent + 2, rest, " " * (indent + 2) + rest]
                item, i = mapping(i, indent + 2)
            else:
                item, i = _scalar(rest), i + 1
            result.append(item)
        return result, i

    document, end = node(0, 0)
    if skip(end) != len(lines):
        raise YamlSubsetError(f"line {skip(end) + 1}: unexpected content")
    return document


def test_yaml_subset_reader():
    text = ("# comment\na: 1\nb: 'x: y' # note\nc:\n  - p\n  - q: [1, two, '3']\n    r: {}\n"
            "d: |\n  line 1\n\n  line 2\ne: x_FEzRu9m36: no\n")
    with pytest.raises(YamlSubsetError):
        parse_yaml_subset(text)
    assert parse_yaml_subset(text.replace("e: x_FEzRu9m36: no\n", "e: 3.1.0\n")) == {
        "a": 1, "b": "x: y", "c": ["p", {"q": [1, "two", "3"], "r": {}}],
        "d": "line 1\n\nline 2\n", "e": "3.1.0"}
    with pytest.raises(YamlSubsetError, match="duplicate"):
        parse_yaml_subset("a: 1\na: 2\n")


# -- the OpenAPI description ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def spec() -> dict:
    source = SPEC_PATH.read_text(encoding="utf-8")
    document = parse_yaml_subset(source)
    try:
        import yaml
    except ImportError:
        pass
    else:  # pragma: no cover - PyYAML is not a dependency; when present it must agree
        assert yaml.safe_load(source) == document
    assert isinstance(document, dict)
    return document


def resolve(spec: dict, node: object) -> object:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: object = spec
        for part in ref[2:].split("/"):
            target = target[part]  # KeyError: a dangling $ref
        node = target
    return node


def operations(spec: dict) -> dict[str, tuple[str, str, dict]]:
    found = {}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
                found[operation["operationId"]] = (method.upper(), path, operation)
    return found


EXPECTED_OPERATIONS = {
    "activateDevice": ("POST", "/app/activate"),
    "createNonce": ("POST", "/app/nonce"),
    "listApprovals": ("GET", "/app/approvals"),
    "decideApproval": ("POST", "/app/approvals/{id}"),
    "removeDevice": ("DELETE", "/app/device"),
}
SIGNED_ERRORS = {"401": {"invalid_signature"}, "403": {"device_blocked"},
                 "404": {"unknown_device"}}
EXPECTED_ERRORS = {
    "activateDevice": {"400": {"invalid_request", "weak_pin", "invalid_code"},
                       "429": {"slow_down"}},
    "createNonce": {"400": {"invalid_request"}, "403": {"device_blocked"},
                    "404": {"unknown_device"}},
    "listApprovals": SIGNED_ERRORS,
    "decideApproval": {**SIGNED_ERRORS, "404": {"not_found", "unknown_device"},
                       "400": {"invalid_request", "wrong_number", "wrong_pin"},
                       "409": {"already_decided"}, "410": {"expired"}, "429": {"slow_down"}},
    "removeDevice": SIGNED_ERRORS,
}
SUCCESS = {"activateDevice": "201", "createNonce": "200", "listApprovals": "200",
           "decideApproval": "200", "removeDevice": "204"}


def test_spec_is_openapi_3_1_with_the_five_operations(spec):
    assert spec["openapi"].startswith("3.1.")
    assert spec["info"]["title"] and spec["info"]["version"]
    assert {op: (method, path) for op, (method, path, _) in operations(spec).items()} == (
        EXPECTED_OPERATIONS)
    assert spec["servers"][0]["url"] == "{base}/d/{directory}"


def test_spec_lists_every_error_code_per_operation(spec):
    for op, (_, _, operation) in operations(spec).items():
        codes: dict[str, set[str]] = {}
        successes = []
        for status, answer in operation["responses"].items():
            answer = resolve(spec, answer)
            if not status.startswith(("4", "5")):
                successes.append(status)
                continue
            content = answer["content"]["application/json"]
            schema = resolve(spec, content["schema"])
            refs = [resolve(spec, part) for part in schema["allOf"]]
            assert refs[0] is spec["components"]["schemas"]["Error"]
            enum = set(refs[1]["properties"]["error"]["enum"])
            examples = {ex["value"]["error"] for ex in content["examples"].values()}
            assert examples == enum, (op, status)
            for code in enum:
                assert f"`{code}`" in answer["description"], (op, status, code)
            codes[status] = enum
        assert codes == EXPECTED_ERRORS[op], op
        assert successes == [SUCCESS[op]], op


def test_spec_security_is_the_three_signature_headers(spec):
    schemes = spec["components"]["securitySchemes"]
    assert {name: (s["type"], s["in"], s["name"]) for name, s in schemes.items()} == {
        "deviceId": ("apiKey", "header", "X-Device-Id"),
        "nonce": ("apiKey", "header", "X-Nonce"),
        "signature": ("apiKey", "header", "X-Signature"),
    }
    text = schemes["deviceId"]["description"]
    for words in ("/app/nonce", "ES256", "r||s", "base64url", "60 seconds", "invalid_signature"):
        assert words in text
    for op, (_, _, operation) in operations(spec).items():
        if op in ("activateDevice", "createNonce"):
            assert operation["security"] == [], op
        else:
            assert operation["security"] == [{"deviceId": [], "nonce": [], "signature": []}], op


def test_spec_signing_example_is_what_the_client_signs(spec):
    text = spec["components"]["securitySchemes"]["deviceId"]["description"]
    example = re.search(r"signs\n\n```\n(.*?)\n```", text, re.S).group(1)
    method, path, nonce, digest = example.split("\n")
    assert digest == EMPTY_SHA256
    assert signing_string(method, path, nonce, b"").decode() == example


def test_spec_refs_resolve(spec):
    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                assert resolve(spec, node) is not None
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def validate(spec: dict, schema: dict, value: object, where: str = "$") -> list[str]:
    """A JSON Schema subset: enough for this spec's schemas (and strict about what it knows)."""
    schema = resolve(spec, schema)
    errors: list[str] = []
    kinds = {"object": dict, "array": list, "string": str, "integer": int}
    if "type" in schema:
        kind = kinds[schema["type"]]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            return [f"{where}: not {schema['type']}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{where}: not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            errors.append(f"{where}: too short")
    if isinstance(value, int) and not (schema.get("minimum", value) <= value
                                       <= schema.get("maximum", value)):
        errors.append(f"{where}: {value} out of range")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                errors.append(f"{where}: lacks {name}")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                errors += validate(spec, sub, value[name], f"{where}.{name}")
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            errors.append(f"{where}: {len(value)} items")
        if schema.get("uniqueItems") and len(set(map(json.dumps, value))) != len(value):
            errors.append(f"{where}: items repeat")
        for i, item in enumerate(value):
            errors += validate(spec, schema.get("items", {}), item, f"{where}[{i}]")
    for sub in schema.get("allOf", []):
        errors += validate(spec, sub, value, where)
    if "oneOf" in schema:
        passing = [sub for sub in schema["oneOf"] if not validate(spec, sub, value, where)]
        if len(passing) != 1:
            errors.append(f"{where}: matches {len(passing)} of oneOf")
    return errors


def media_types(spec: dict):
    for op, (_, _, operation) in operations(spec).items():
        body = operation.get("requestBody")
        if body:
            yield f"{op} request", body["content"]["application/json"]
        for status, answer in operation["responses"].items():
            answer = resolve(spec, answer)
            if "content" in answer:
                yield f"{op} {status}", answer["content"]["application/json"]


def test_spec_examples_match_their_schemas(spec):
    count = 0
    for where, media in media_types(spec):
        assert media["examples"], where
        for name, example in media["examples"].items():
            assert validate(spec, media["schema"], example["value"]) == [], (where, name)
            count += 1
    assert count >= 20
    approve = {"decision": "approve", "number": 42}  # no PIN
    assert validate(spec, {"$ref": "#/components/schemas/Decision"}, approve)
    assert validate(spec, {"$ref": "#/components/schemas/Pin"}, "5821")


def request_schema(spec: dict, op: str) -> dict:
    return operations(spec)[op][2]["requestBody"]["content"]["application/json"]["schema"]


def test_the_clients_request_bodies_match_the_spec(spec):
    key = DeviceKey.generate()
    activation = {"code": "ABCD-EFGH-JK", "public_key": key.public_jwk(),
                  "device_name": "Pixel 8", "pin": "58213"}
    assert validate(spec, request_schema(spec, "activateDevice"), activation) == []
    assert validate(spec, request_schema(spec, "createNonce"), {"device_id": "dv_1"}) == []
    app = AuthenticatorApp(make_state(key))
    for decision in ({"decision": "approve", "number": 42, "pin": "58213"},
                     {"decision": "deny"}):
        prepared = app.prepare_signed("POST", app.approval_path("ap_1"), decision, nonce="n")
        sent = json.loads(prepared.body)
        assert validate(spec, request_schema(spec, "decideApproval"), sent) == []


def test_the_clients_list_output_reads_the_spec_example(spec):
    media = operations(spec)["listApprovals"][2]["responses"]["200"]["content"]["application/json"]
    approval = media["examples"]["one"]["value"]["approvals"][0]
    text = format_approvals([approval], now=approval["created_at"] + 5)
    for value in ("ap_8Hc2Lw0sQe5Tn1Vb", "Sample portal", "203.0.113.7", "17   42   85",
                  approval["user_agent"]):
        assert value in text
