"""The device authorization grant from the device's side (RFC 8628): ask for the codes, poll
the token endpoint until the person answers, and check the ID token it gets.

Every refusal of the provider, and a provider that cannot be reached, is a
``DeviceFlowError`` with a sentence for the person at the device.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
USER_AGENT = "grip-device-client/1"
#: What slow_down adds to the interval, for this and every later poll (RFC 8628 3.5).
SLOW_DOWN_SECONDS = 5
ID_TOKEN_ALGS = ["RS256", "ES256"]
#: How far the device's clock may be from the provider's (a TV's often is).
CLOCK_SKEW = 60
#: What the person is told for the errors that end the flow (RFC 8628 3.5).
ENDINGS = {
    "access_denied": "The sign-in was not allowed.",
    "expired_token": "The code expired before the sign-in was approved. Start again.",
}


class DeviceFlowError(Exception):
    """The flow cannot go on: the provider refused, or could not be reached."""


@dataclass(frozen=True)
class Started:
    """What the device authorization endpoint answered (RFC 8628 3.2)."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: int
    interval: int


class DeviceFlow:
    """One app (its client id, and secret when it has one) at one directory's issuer."""

    def __init__(self, issuer: str, client_id: str, client_secret: str | None = None,
                 timeout: float = 10.0, http: requests.Session | None = None):
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self.http = http or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self._metadata: dict[str, Any] | None = None

    def metadata(self) -> dict[str, Any]:
        """Return the provider's discovery document (OpenID Connect Discovery 1.0 4)."""
        if self._metadata is None:
            found = self._json(self._send("GET", f"{self.issuer}/.well-known/"
                                                 "openid-configuration"))
            if found.get("issuer") != self.issuer:
                raise DeviceFlowError(f"{self.issuer} is not the issuer its discovery document "
                                      f"names ({found.get('issuer')!r}).")
            if "device_authorization_endpoint" not in found:
                raise DeviceFlowError("The provider does not offer the device authorization "
                                      "grant.")
            self._metadata = found
        return self._metadata

    def start(self, scope: str, acr_values: str | None = None) -> Started:
        """Ask for a device code and a user code (RFC 8628 3.1)."""
        data = {"scope": scope, **({"acr_values": acr_values} if acr_values else {})}
        response = self._post(self.metadata()["device_authorization_endpoint"], data)
        body = self._json(response)
        if response.status_code != 200:
            raise DeviceFlowError(_refusal(body, response.status_code))
        try:
            return Started(str(body["device_code"]), str(body["user_code"]),
                           str(body["verification_uri"]), body.get("verification_uri_complete"),
                           int(body["expires_in"]), int(body.get("interval", 5)))
        except (KeyError, TypeError, ValueError) as exc:
            raise DeviceFlowError("The provider's answer lacks the codes.") from exc

    def poll(self, started: Started, sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic) -> dict[str, Any]:
        """Poll the token endpoint until the person answered (RFC 8628 3.4, 3.5): wait the
        interval before each poll, 5 seconds more after each slow_down; return the tokens."""
        interval = started.interval
        ends = clock() + started.expires_in
        while True:
            sleep(interval)
            response = self._post(self.metadata()["token_endpoint"], {
                "grant_type": GRANT_TYPE, "device_code": started.device_code})
            body = self._json(response)
            if response.status_code == 200:
                return body
            error = body.get("error")
            if error == "slow_down":
                interval += SLOW_DOWN_SECONDS
            elif error != "authorization_pending":
                raise DeviceFlowError(ENDINGS.get(str(error))
                                      or _refusal(body, response.status_code))
            if clock() >= ends:
                raise DeviceFlowError(ENDINGS["expired_token"])

    def id_token_claims(self, id_token: str) -> dict[str, Any]:
        """Return the ID token's claims once its signature (by one of the directory's keys),
        issuer, audience and expiry are right (OIDC Core 3.1.3.7)."""
        keys = KeySet.import_key_set(self._json(self._send("GET", self.metadata()["jwks_uri"])))
        try:
            token = jwt.decode(id_token, keys, algorithms=ID_TOKEN_ALGS)
            jwt.JWTClaimsRegistry(leeway=CLOCK_SKEW,
                                  iss={"essential": True, "value": self.issuer},
                                  aud={"essential": True, "value": self.client_id},
                                  sub={"essential": True},
                                  exp={"essential": True}).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise DeviceFlowError(f"The ID token is not valid: {exc}") from exc
        return dict(token.claims)

    def _post(self, url: str, data: dict[str, str]) -> requests.Response:
        """POST a form with the app's authentication: its secret by HTTP Basic, or (a public
        app) its client_id (RFC 6749 2.3.1, RFC 8628 3.1)."""
        if self.client_secret:
            return self._send("POST", url, data=data, auth=(self.client_id, self.client_secret))
        return self._send("POST", url, data={**data, "client_id": self.client_id})

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.http.request(method, url, timeout=self.timeout, allow_redirects=False,
                                     **kwargs)
        except requests.RequestException as exc:
            raise DeviceFlowError(f"Cannot reach {url}: {exc.__class__.__name__}") from exc

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise DeviceFlowError(f"{response.url} answered {response.status_code} without "
                                  f"JSON.")
        return body


def _refusal(body: dict[str, Any], status: int) -> str:
    """Return the provider's reason for an error answer, with its code."""
    error = body.get("error", "error")
    description = body.get("error_description") or "The provider refused."
    return f"{description} ({error}, HTTP {status})"
