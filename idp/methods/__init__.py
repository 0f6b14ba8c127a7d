"""Sign-in methods, one module each, behind the interface in ``base``.

The registry is an explicit dict: adding a method is one new module and one
line here.
"""

from __future__ import annotations

from .base import MethodContext, MethodFailed, SignInMethod, Verified
from .password import PasswordMethod
from .recovery import RecoveryCodes
from .totp import TotpMethod


def build_registry(password: PasswordMethod) -> dict[str, SignInMethod]:
    """Return the methods by name, in the order the step-up page lists them."""
    return {
        "password": password,
        "totp": TotpMethod(),
        "recovery": RecoveryCodes(),
    }


__all__ = ["MethodContext", "MethodFailed", "SignInMethod", "Verified", "build_registry",
           "PasswordMethod", "RecoveryCodes", "TotpMethod"]
