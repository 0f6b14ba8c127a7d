"""A simulator of the provider's authenticator app ("Approve in the app"), for people and tests.

    python -m clients.authenticator activate --link URL --name NAME --pin PIN
    python -m clients.authenticator list | approve ID --number N --pin PIN | deny ID | remove

The app holds a P-256 device key; it activates with a one-time code, then signs every request
(X-Device-Id, X-Nonce, X-Signature) as idp/web/api/app.openapi.yaml describes. See README.md.
"""

from clients.authenticator.api import (
    ActivationLinkError,
    ApiError,
    AuthenticatorApp,
    AuthenticatorError,
    NetworkError,
    parse_activation,
    parse_activation_link,
    parse_activation_qr,
)
from clients.authenticator.keys import DeviceKey, signing_string
from clients.authenticator.state import DeviceState, StateError, load_state, save_state

__all__ = [
    "ActivationLinkError",
    "ApiError",
    "AuthenticatorApp",
    "AuthenticatorError",
    "DeviceKey",
    "DeviceState",
    "NetworkError",
    "StateError",
    "load_state",
    "parse_activation",
    "parse_activation_link",
    "parse_activation_qr",
    "save_state",
    "signing_string",
]
