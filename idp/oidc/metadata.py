"""The discovery document of a directory (OIDC Discovery 1.0 section 3, RFC 8414)."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc8628 import DEVICE_CODE_GRANT_TYPE

from ..tenants.keys import SUPPORTED_ALGS
from .claims import SUPPORTED_CLAIMS, SUPPORTED_SCOPES
from .client_auth import ASSERTION_ALGS, CONFIDENTIAL_AUTH
from .dpop import PROOF_ALGS
from .request_objects import REQUEST_OBJECT_ALGS

ACR_VALUES_SUPPORTED = [str(level) for level in range(10, 101, 10)]


def provider_metadata(issuer: str, locales: list[str]) -> dict[str, Any]:
    """Return the OpenID Provider metadata for the issuer."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/logout",
        "revocation_endpoint": f"{issuer}/revoke",
        "introspection_endpoint": f"{issuer}/introspect",
        "pushed_authorization_request_endpoint": f"{issuer}/par",
        "device_authorization_endpoint": f"{issuer}/device_authorization",
        "require_pushed_authorization_requests": False,
        "scopes_supported": list(SUPPORTED_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials",
                                  DEVICE_CODE_GRANT_TYPE],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": list(SUPPORTED_ALGS),
        "token_endpoint_auth_methods_supported": [*CONFIDENTIAL_AUTH, "none"],
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "revocation_endpoint_auth_methods_supported": [*CONFIDENTIAL_AUTH, "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_AUTH,
        "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGS),
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": list(PROOF_ALGS),
        "claims_supported": list(SUPPORTED_CLAIMS) + [
            "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash"],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": True,
        "request_parameter_supported": True,
        # Only the request_uri of a pushed request (RFC 9126): none is fetched.
        "request_uri_parameter_supported": True,
        "require_request_uri_registration": True,
        "request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGS),
        "acr_values_supported": ACR_VALUES_SUPPORTED,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": locales,
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
