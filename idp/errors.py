"""The one root of the errors the provider answers: each carries its HTTP status, the
OAuth/OIDC error code it answers with, and a description.

The description is for people, best a lazy translation (``lazy_gettext``): a page shows
it in the page's language, a JSON answer in English. An optional English `detail` is the
protocol's own explanation: JSON answers give it as ``error_description``, pages show it
below the description.

Every error the web answers deliberately derives from ``IdpError`` and is answered by the
one error handler (``idp.web``). The pure domain's errors (``idp.domain.errors``) carry
only their protocol code; that handler maps them to HTTP too.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext


class IdpError(Exception):
    """An error the provider answers deliberately: never a stack trace, never a 500."""

    status = 400
    error = "invalid_request"
    description: Any = lazy_gettext("The request could not be handled. Go back and try again.")
    detail: str | None = None
    retry_after: int | None = None  # seconds, sent as Retry-After when set
    headers: tuple[tuple[str, str], ...] = ()  # more response headers (WWW-Authenticate)

    def __init__(self, description: Any = None, *, error: str | None = None,
                 status: int | None = None, detail: str | None = None):
        if description is not None:
            self.description = description
        super().__init__(self.description)
        self.detail = detail
        if error is not None:
            self.error = error
        if status is not None:
            self.status = status


class NotFound(IdpError):
    """The directory, interaction or page does not exist (or is not yours)."""

    status = 404
    error = "not_found"


class InteractionExpired(IdpError):
    """The login attempt is over: expired, finished, or started in another browser."""

    status = 400
    error = "interaction_expired"


class Busy(IdpError):
    """The provider is at capacity (password hashing slots); try again shortly."""

    status = 503
    error = "temporarily_unavailable"
    description = lazy_gettext("The service is busy. Try again in a moment.")
    retry_after = 2


class Unavailable(IdpError):
    """Something the provider needs (the database, Redis) cannot be reached; try again soon.

    Library errors of an outage are translated into this one at the boundary (see
    ``idp.storage.outages``), so every answer to an outage is the same 503 with ``Retry-After``.
    """

    status = 503
    error = "temporarily_unavailable"
    retry_after = 5


class DirectoryDisabled(IdpError):
    """An operator disabled the directory: none of its pages or endpoints serves until it is
    enabled again. Machines get a JSON ``access_denied`` error, people a page; nothing is
    redirected to the directory's apps."""

    status = 403
    error = "access_denied"
    description = lazy_gettext("This directory is disabled: nobody can log in to it or use its "
                               "apps. Ask the organisation that runs it.")
