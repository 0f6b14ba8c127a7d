"""Sign-in methods, one module each, behind the interface in ``base``.

The registry is an explicit dict: adding a method is one new module and one
line here.
"""

from __future__ import annotations

from .app_approval.method import AppApprovalMethod, LoginDenied
from .base import (
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
from .totp import TotpMethod
from .voice import VoiceCode
from .voice import build_sender as voice_sender

#: The delivery channels methods bring beyond SMS and email, with their senders' factories.
CHANNEL_SENDERS = {"voice": voice_sender}


def build_registry(password: PasswordMethod, codes, host: str,
                   device: RememberedDeviceMethod, passkey: PasskeyMethod,
                   app: AppApprovalMethod, recovery: RecoveryCodes) -> dict[str, SignInMethod]:
    """Return the methods by name; `codes` sends SMS and email codes, `host` is the origin's."""
    return {
        "password": password,
        "passkey": passkey,
        "app": app,
        "totp": TotpMethod(),
        "sms": SmsCode(codes, host),
        "email": EmailCode(codes, host),
        "voice": VoiceCode(codes, host),
        "recovery": recovery,
        "device": device,
    }


__all__ = ["CHANNEL_SENDERS", "AppApprovalMethod", "EmailCode", "LoginDenied",
           "MethodContext", "MethodFailed", "MethodRefused", "MethodThrottled",
           "MethodUnavailable", "NotAGuess", "PasskeyMethod", "PasswordMethod",
           "RecoveryCodes", "RememberedDeviceMethod", "SignInMethod", "SmsCode",
           "StepExpired", "TotpMethod", "Verified", "VoiceCode", "build_registry"]
