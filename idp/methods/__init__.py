"""Sign-in methods, one module each, behind the interface in ``base``.

The registry is an explicit dict: adding a method is one new module and one
line here.
"""

from __future__ import annotations

from .app_approval.method import AppApprovalMethod, LoginDenied
from .base import (
    CommandFailed,
    MethodContext,
    MethodFailed,
    MethodRefused,
    MethodThrottled,
    MethodUnavailable,
    NotAGuess,
    SignInMethod,
    StepExpired,
    Verified,
)
from .device import RememberedDeviceMethod
from .email_code import EmailCode
from .passkey import PasskeyMethod
from .password import PasswordMethod
from .recovery import RecoveryCodes
from .sms import SmsCode
from .token import TokenMethod
from .token import add_commands as token_commands
from .totp import TotpMethod

#: The methods' own ``idp`` commands: each adds its subcommands to the parser.
COMMANDS = (token_commands,)


def build_registry(password: PasswordMethod, codes, host: str,
                   device: RememberedDeviceMethod, passkey: PasskeyMethod,
                   app: AppApprovalMethod, recovery: RecoveryCodes) -> dict[str, SignInMethod]:
    """Return the methods by name; `codes` sends SMS and email codes, `host` is the origin's."""
    return {
        "password": password,
        "passkey": passkey,
        "app": app,
        "totp": TotpMethod(),
        "token": TokenMethod(),
        "sms": SmsCode(codes, host),
        "email": EmailCode(codes, host),
        "recovery": recovery,
        "device": device,
    }


__all__ = ["COMMANDS", "AppApprovalMethod", "CommandFailed", "EmailCode", "LoginDenied",
           "MethodContext", "MethodFailed", "MethodRefused", "MethodThrottled",
           "MethodUnavailable", "NotAGuess", "PasskeyMethod",
           "PasswordMethod", "RecoveryCodes", "RememberedDeviceMethod", "SignInMethod",
           "SmsCode", "StepExpired", "TotpMethod", "Verified", "build_registry"]
