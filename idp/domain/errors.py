"""Typed domain errors, each carrying the OAuth/OIDC error code it maps to."""


class DomainError(Exception):
    """Signal a broken domain rule; `error` is the protocol error code to answer with."""

    error: str = "invalid_request"
    default_description: str = "The request breaks a rule of the identity provider."

    def __init__(self, description: str | None = None) -> None:
        self.description = description or self.default_description
        super().__init__(self.description)


class InvalidSettings(DomainError):
    """Reject authentication level settings that are out of range or unknown."""

    error = "invalid_request"
    default_description = "The authentication level settings are invalid."


class InvalidAcrRequest(DomainError):
    """Reject a malformed acr request, such as a badly shaped claims parameter (OIDC Core 5.5)."""

    error = "invalid_request"
    default_description = "The acr request is malformed."


class UnmetAuthenticationRequirements(DomainError):
    """Refuse a login whose authentication requirements cannot be met.

    OpenID Connect Unmet Authentication Requirements 1.0, section 1.
    """

    error = "unmet_authentication_requirements"
    default_description = "The requested authentication level cannot be met."
