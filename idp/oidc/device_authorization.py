"""The device authorization endpoint (RFC 8628 3.1, 3.2): a TV or a command-line tool asks
to sign a person in, and gets a device code to poll the token endpoint with and a user code
for the person to type at the verification URI.

Authlib's endpoint does the protocol; on top of it:

- only an app an admin allowed the grant (``Client.device_grant``) may ask; any other is
  ``unauthorized_client``. It authenticates as at the token endpoint (a public app by its
  ``client_id`` alone);
- the device may ask for a level with ``acr_values``, read as the authorization endpoint
  reads it; a level no combination of the directory's methods reaches is refused at once
  with ``unmet_authentication_requirements``;
- the scope is what the app may have of what it asked for, and is what the person sees.

The request is stored by ``idp.tenants.device_codes``; the person answers it on the
verification page (``idp.web.login.device``), and the device polls the token endpoint
(``idp.oidc.server.DeviceGrant``).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InvalidRequestError, UnauthorizedClientError
from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE, DeviceAuthorizationEndpoint
from flask import g

from ..clock import now
from ..domain import (
    InvalidAcrRequest,
    LevelSettings,
    UnmetAuthenticationRequirements,
    check_request,
    parse_acr_request,
)
from ..domain.acr import MAX_ACR_LENGTH
from ..domain.device_codes import ALPHABET, LENGTH, format_user_code, user_code_from
from ..security.tokens import new_secret
from ..services import services
from ..tenants.device_codes import start_request
from ..tenants.directories import issuer_of, level_settings
from .client_auth import CONFIDENTIAL_AUTH
from .models import OAuthClient

#: How long a device's request waits for the person (RFC 8628 3.2 ``expires_in``).
EXPIRES_SECONDS = 600
#: How long a device waits between polls, until told to slow down (RFC 8628 3.2 ``interval``).
INTERVAL_SECONDS = 5
MAX_SCOPE = 1000
MAX_ACR_VALUES = 500
#: Parameters that may be given once only (RFC 6749 3.1, 3.2).
SINGLE_VALUED = ("client_id", "scope", "acr_values")


class UnmetRequirements(OAuth2Error):
    """A level no combination of the directory's methods reaches (OpenID Connect Unmet
    Authentication Requirements 1.0)."""

    error = "unmet_authentication_requirements"


@dataclass(frozen=True)
class DeviceRequest:
    """What a device asked for, checked."""

    scope: str
    acr_values: str | None


def _single(datalist: Mapping[str, Sequence[str]], name: str, longest: int) -> str | None:
    values = datalist.get(name) or []
    value = values[0] if values else None
    if value is not None and (len(value) > longest or not value.isprintable()):
        raise InvalidRequestError(f"'{name}' is too long or holds characters that are not "
                                  f"allowed.")
    return value or None


def check_device_request(datalist: Mapping[str, Sequence[str]], client: OAuthClient,
                         settings: LevelSettings) -> DeviceRequest:
    """Check a device authorization request's parameters (RFC 8628 3.1); raise the OAuth
    error that answers it."""
    for name in SINGLE_VALUED:
        if len(datalist.get(name) or []) > 1:
            raise InvalidRequestError(f"'{name}' is given more than once.")
    scope = _single(datalist, "scope", MAX_SCOPE)
    acr_values = _single(datalist, "acr_values", MAX_ACR_VALUES)
    if any(value.isascii() and value.isdigit() and len(value) > MAX_ACR_LENGTH
           for value in (acr_values or "").split()):
        # Longer than an acr the provider asserts: a device is told so at once.
        raise InvalidRequestError(f"A level in 'acr_values' has at most {MAX_ACR_LENGTH} "
                                  f"digits.")
    try:
        check_request(settings, client.row.min_acr, parse_acr_request(acr_values, None))
    except InvalidAcrRequest as exc:
        raise InvalidRequestError(exc.description) from exc
    except UnmetAuthenticationRequirements as exc:
        raise UnmetRequirements(exc.description) from exc
    return DeviceRequest(client.get_allowed_scope(scope or ""), acr_values)


def new_user_code() -> str:
    """Return the letters of a new random user code."""
    return user_code_from([secrets.randbelow(len(ALPHABET)) for _ in range(LENGTH)])


class DeviceEndpoint(DeviceAuthorizationEndpoint):
    """The device authorization endpoint of the directory being served (RFC 8628 3.1)."""

    CLIENT_AUTH_METHODS = [*CONFIDENTIAL_AUTH, "none"]
    EXPIRES_IN = EXPIRES_SECONDS
    INTERVAL = INTERVAL_SECONDS

    def create_endpoint_response(self, request) -> tuple[int, dict[str, Any], list]:
        """Check the app and its request, store it, and answer the codes (RFC 8628 3.2)."""
        client: OAuthClient = self.authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT_TYPE):
            raise UnauthorizedClientError("This app may not use the device authorization "
                                          "grant.")
        asked = check_device_request(request.payload.datalist, client,
                                     level_settings(g.directory))
        device_code = self.generate_device_code()
        letters = start_request(g.directory, client.row, scope=asked.scope,
                                acr_values=asked.acr_values, device_code=device_code,
                                new_user_code=new_user_code, sealer=services().sealer,
                                now=now(), seconds=self.EXPIRES_IN, interval=self.INTERVAL)
        user_code = format_user_code(letters)
        verification_uri = self.get_verification_uri()
        return 200, {
            "device_code": device_code, "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": add_params_to_uri(verification_uri,
                                                           [("user_code", user_code)]),
            "expires_in": self.EXPIRES_IN, "interval": self.INTERVAL,
        }, default_json_headers

    def generate_device_code(self) -> str:
        """Return a new device code: 256 bits, kept only as its hash."""
        return new_secret(32)

    def generate_user_code(self) -> str:
        """Return a new user code as people see it (``BCDF-GHJK``)."""
        return format_user_code(new_user_code())

    def get_verification_uri(self) -> str:
        """Return the directory's verification page, where the person types the code."""
        return f"{issuer_of(g.directory, services().base_url)}/device"

    def save_device_credential(self, client_id: str, scope: str, data: dict) -> None:
        """Not used: ``create_endpoint_response`` stores the request with its app."""
        raise NotImplementedError
