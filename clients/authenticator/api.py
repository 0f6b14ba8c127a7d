"""The provider's app API as the authenticator app uses it (see idp/web/api/app.openapi.yaml).

    app = AuthenticatorApp(state_path="device.json")       # or AuthenticatorApp.load(path)
    app.activate("http://localhost:5000/d/default", "ABCD-EFGH-JK", "Pixel 8", pin="58213")
    for approval in app.pending():
        app.approve(approval["id"], number=42, pin="58213")

Every error answer of the provider becomes an `ApiError` (status, code, description, body);
a provider that cannot be reached becomes a `NetworkError`. Nothing is retried.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests

from clients.authenticator.keys import DeviceKey, signing_string
from clients.authenticator.state import DeviceState, forget_state, load_state, save_state

QR_SCHEME = "gripidp"
USER_AGENT = "grip-authenticator-simulator/1"
DEFAULT_TIMEOUT = 10.0


class AuthenticatorError(Exception):
    """Base of the errors the app reports to its user."""


class ApiError(AuthenticatorError):
    """The provider answered with an error: `{"error": ..., "error_description": ...}`."""

    def __init__(self, status: int, error: str, description: str, body: dict | None = None,
                 response: requests.Response | None = None):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.body = body or {}
        self.response = response

    @property
    def attempts_left(self) -> int | None:
        """PIN attempts left before the device is blocked (only with `wrong_pin`)."""
        value = self.body.get("attempts_left")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def __str__(self) -> str:
        return f"{self.description} ({self.error}, HTTP {self.status})"


class NetworkError(AuthenticatorError):
    """The provider could not be reached, or the connection broke."""


class ActivationLinkError(AuthenticatorError, ValueError):
    """An activation link or QR code text that is not one of the provider's."""


# -- activation links and QR codes -------------------------------------------------------------

def _single(query: dict[str, list[str]], name: str, what: str) -> str:
    values = query.get(name, [])
    if len(values) != 1 or not values[0].strip():
        raise ActivationLinkError(f"the {what} has no {name} parameter" if not values
                                  else f"the {what} has an empty or repeated {name} parameter")
    return values[0].strip()


def _check_issuer(issuer: str, what: str) -> str:
    parts = urlsplit(issuer)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ActivationLinkError(f"the {what} does not name an http(s) issuer: {issuer!r}")
    if parts.query or parts.fragment:
        raise ActivationLinkError(f"the issuer in the {what} has a query or fragment")
    return issuer.rstrip("/")


def parse_activation_link(link: str) -> tuple[str, str]:
    """Return (issuer, code) of a link `{issuer}/app/activate?code=<code>`."""
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ActivationLinkError("an activation link starts with http:// or https://")
    suffix = "/app/activate"
    path = parts.path.rstrip("/")
    if not path.endswith(suffix):
        raise ActivationLinkError("an activation link ends in /app/activate?code=...")
    code = _single(parse_qs(parts.query, keep_blank_values=True), "code", "activation link")
    issuer = f"{parts.scheme}://{parts.netloc}{path[: -len(suffix)]}"
    return _check_issuer(issuer, "activation link"), code


def parse_activation_qr(text: str) -> tuple[str, str]:
    """Return (issuer, code) of a QR code text `gripidp://activate?issuer=<issuer>&code=<code>`."""
    parts = urlsplit(text.strip())
    shape = (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"))
    if shape != (QR_SCHEME, "activate", ""):
        raise ActivationLinkError("the QR code does not hold gripidp://activate?issuer=...&code=...")
    query = parse_qs(parts.query, keep_blank_values=True)
    issuer = _single(query, "issuer", "QR code")
    code = _single(query, "code", "QR code")
    return _check_issuer(issuer, "QR code"), code


def parse_activation(text: str) -> tuple[str, str]:
    """Return (issuer, code) of either an activation link or a QR code text."""
    if text.strip().lower().startswith(f"{QR_SCHEME}:"):
        return parse_activation_qr(text)
    return parse_activation_link(text)


# -- the app -----------------------------------------------------------------------------------

def encode_body(body: bytes | str | dict | list | None) -> bytes:
    """Return the exact bytes to send: JSON (compact, UTF-8) for objects, b'' for None."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class AuthenticatorApp:
    """The authenticator app: one device, activated for one user of one directory.

    `state` is None until `activate`; with a `state_path` the state is saved there after
    activation and deleted by `remove` (without one it lives in memory only, as in tests).
    """

    def __init__(self, state: DeviceState | None = None, *,
                 state_path: str | os.PathLike | None = None,
                 session: requests.Session | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.state = state
        self.state_path = state_path
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
        self.session = session
        self.timeout = timeout

    @classmethod
    def load(cls, state_path: str | os.PathLike, **kwargs) -> AuthenticatorApp:
        """Return the app whose state is in `state_path` (StateError when it is not there)."""
        return cls(load_state(state_path), state_path=state_path, **kwargs)

    # -- plumbing ------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return self._state().issuer

    @property
    def device_id(self) -> str:
        return self._state().device_id

    @property
    def key(self) -> DeviceKey:
        return self._state().key

    def _state(self) -> DeviceState:
        if self.state is None:
            raise AuthenticatorError("this app is not activated")
        return self.state

    def url(self, path: str, issuer: str | None = None) -> str:
        """Return the absolute URL of `path`.

        `path` may be a full URL, a path relative to the issuer (``/app/approvals``) or the
        full URL path (``/d/default/app/approvals``, recognised by the issuer's path prefix).
        """
        if path.startswith(("http://", "https://")):
            return path
        issuer = (issuer or self.issuer).rstrip("/")
        parts = urlsplit(issuer)
        if not path.startswith("/"):
            path = "/" + path
        if parts.path and path.startswith(parts.path + "/"):
            return f"{parts.scheme}://{parts.netloc}{path}"
        return issuer + path

    def _send(self, method: str, url: str, data: bytes,
              headers: dict[str, str]) -> requests.Response:
        headers = {"Accept": "application/json", **headers}
        if data:
            headers.setdefault("Content-Type", "application/json")
        request = requests.Request(method, url, data=data or None, headers=headers)
        return self._deliver(self.session.prepare_request(request))

    def _deliver(self, prepared: requests.PreparedRequest) -> requests.Response:
        url = prepared.url
        try:
            settings = self.session.merge_environment_settings(url, {}, None, None, None)
            return self.session.send(prepared, timeout=self.timeout, allow_redirects=False,
                                     **settings)
        except requests.Timeout as exc:
            raise NetworkError(f"no answer from {url} within {self.timeout:g} s") from exc
        except requests.ConnectionError as exc:
            raise NetworkError(f"cannot reach the provider at {url}: {_reason(exc)}") from exc
        except requests.RequestException as exc:
            raise NetworkError(f"request to {url} failed: {exc}") from exc

    @staticmethod
    def check(response: requests.Response, expected: int) -> Any:
        """Return the JSON body of an `expected`-status answer; raise ApiError otherwise."""
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        if response.status_code == expected:
            if expected == 204:
                return None
            if body is None:
                raise ApiError(response.status_code, "invalid_response",
                               f"the provider's answer from {response.url} is not JSON",
                               None, response)
            return body
        if isinstance(body, dict) and isinstance(body.get("error"), str):
            description = body.get("error_description")
            if not isinstance(description, str) or not description:
                description = body["error"]
            raise ApiError(response.status_code, body["error"], description, body, response)
        raise ApiError(response.status_code, "unexpected_response",
                       f"unexpected HTTP {response.status_code} {response.reason or ''} from "
                       f"{response.url}".replace("  ", " "), None, response)

    # -- activation ----------------------------------------------------------------------------

    def activate(self, issuer: str, code: str, device_name: str, pin: str, *,
                 key: DeviceKey | None = None) -> DeviceState:
        """Activate this app with a typed code: new P-256 key, POST /app/activate, save state."""
        issuer = issuer.rstrip("/")
        key = key or DeviceKey.generate()
        body = encode_body({"code": code, "public_key": key.public_jwk(),
                            "device_name": device_name, "pin": pin})
        response = self._send("POST", self.url("/app/activate", issuer), body, {})
        answer = self.check(response, 201)
        if not isinstance(answer, dict) or not all(
            isinstance(answer.get(name), str) for name in ("device_id", "directory", "username")
        ):
            raise ApiError(response.status_code, "invalid_response",
                           "the activation answer lacks device_id, directory or username",
                           answer if isinstance(answer, dict) else None, response)
        self.state = DeviceState(
            issuer=issuer, device_id=answer["device_id"], device_name=device_name,
            directory=answer["directory"], username=answer["username"],
            private_key_pem=key.to_pem(), activated_at=int(time.time()),
        )
        if self.state_path is not None:
            save_state(self.state_path, self.state)
        return self.state

    def activate_link(self, link: str, device_name: str, pin: str) -> DeviceState:
        """Activate from an activation link or a QR code's text."""
        issuer, code = parse_activation(link)
        return self.activate(issuer, code, device_name, pin)

    # -- signed requests -----------------------------------------------------------------------

    def nonce(self, device_id: str | None = None) -> str:
        """Fetch a fresh single-use nonce (POST /app/nonce) for this (or another) device."""
        body = encode_body({"device_id": device_id or self.device_id})
        answer = self.check(self._send("POST", self.url("/app/nonce"), body, {}), 200)
        if not isinstance(answer, dict) or not isinstance(answer.get("nonce"), str):
            raise ApiError(200, "invalid_response", "the nonce answer has no nonce", None)
        return answer["nonce"]

    def prepare_signed(self, method: str, path: str,
                       body: bytes | str | dict | list | None = None, *, nonce: str,
                       key: DeviceKey | None = None, device_id: str | None = None,
                       sign_path: str | None = None, sign_body: bytes | None = None,
                       signature: str | None = None,
                       headers: dict[str, str | None] | None = None) -> requests.PreparedRequest:
        """Return the signed request `signed` would send with `nonce` (nothing is sent).

        The keyword arguments forge: `key` (sign with another key), `device_id` (claim another
        device), `sign_path` / `sign_body` (sign something other than what is sent), `signature`
        (send this X-Signature as is) and `headers` (applied last; a None value drops a header).
        """
        method = method.upper()
        data = encode_body(body)
        sent: dict[str, str] = {"Accept": "application/json",
                                "X-Device-Id": device_id or self.device_id, "X-Nonce": nonce}
        if data:
            sent["Content-Type"] = "application/json"
        request = requests.Request(method, self.url(path), data=data or None, headers=sent)
        prepared = self.session.prepare_request(request)
        if signature is None:  # sign what is sent: the prepared URL's path and body
            sent_body = prepared.body or b""
            if isinstance(sent_body, str):
                sent_body = sent_body.encode("utf-8")
            message = signing_string(method, sign_path or urlsplit(prepared.url).path, nonce,
                                     sent_body if sign_body is None else sign_body)
            signature = (key or self.key).sign(message)
        prepared.headers["X-Signature"] = signature
        for name, value in (headers or {}).items():
            if value is None:
                prepared.headers.pop(name, None)
            else:
                prepared.headers[name] = value
        return prepared

    def signed(self, method: str, path: str, body: bytes | str | dict | list | None = None, *,
               nonce: str | None = None, **forge: Any) -> requests.Response:
        """Send a signed request and return the raw response (no status check).

        `path` is relative to the issuer (``/app/approvals``) or the full URL path; dicts and
        lists are sent as compact UTF-8 JSON, bytes as they are. A fresh nonce is fetched unless
        `nonce` is given (e.g. to reuse one). `forge` takes the keywords of `prepare_signed`.
        """
        if nonce is None:
            nonce = self.nonce()
        return self._deliver(self.prepare_signed(method, path, body, nonce=nonce, **forge))

    # -- approvals -----------------------------------------------------------------------------

    def pending(self) -> list[dict]:
        """Return the pending approvals of this device's user, newest first."""
        answer = self.check(self.signed("GET", "/app/approvals"), 200)
        approvals = answer.get("approvals") if isinstance(answer, dict) else None
        if not isinstance(approvals, list):
            raise ApiError(200, "invalid_response", "the answer has no approvals list", None)
        return approvals

    @staticmethod
    def approval_path(approval_id: str) -> str:
        return "/app/approvals/" + quote(str(approval_id), safe="")

    def approve(self, approval_id: str, number: int, pin: str) -> dict:
        """Approve with the number shown in the browser and the PIN; return {"status": ...}."""
        body = {"decision": "approve", "number": number, "pin": pin}
        return self.check(self.signed("POST", self.approval_path(approval_id), body), 200)

    def deny(self, approval_id: str) -> dict:
        """Deny a pending approval; return {"status": "denied"}."""
        return self.check(self.signed("POST", self.approval_path(approval_id),
                                      {"decision": "deny"}), 200)

    def remove(self) -> None:
        """Remove this device at the provider (DELETE /app/device), then forget the state."""
        self.check(self.signed("DELETE", "/app/device"), 204)
        self.forget()

    def forget(self) -> None:
        """Forget the local state (and delete the state file) without telling the provider."""
        self.state = None
        if self.state_path is not None:
            forget_state(self.state_path)


def _reason(exc: requests.ConnectionError) -> str:
    """Return a short reason for a connection error (the innermost cause, without its noise)."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "nodename nor servname",
                   "Temporary failure in name resolution", "No route to host",
                   "Network is unreachable", "Connection reset", "certificate verify failed",
                   "Remote end closed connection"):
        if marker in text:
            return marker.lower() if marker != "Name or service not known" else "unknown host"
    return text
