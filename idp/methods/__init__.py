"""Sign-in methods, one module each, behind the interface in ``base``.

``METHOD_TYPES`` lists every method once, in the order the rules list them; their
facts (``SignInMethod.facts``) are handed to the rules here, on import, and the app
builds one of each (``build_registry``). Adding a method is one new module and its
line in ``METHOD_TYPES``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..domain import install_methods
from .app_approval.method import AppApprovalMethod, LoginDenied
from .base import (
    AccountDisabled,
    CommandFailed,
    Enrolment,
    MethodContext,
    MethodFailed,
    MethodParts,
    MethodRefused,
    MethodThrottled,
    MethodUnavailable,
    NotAGuess,
    SignInMethod,
    StepExpired,
    Verified,
    enrolled_methods,
)
from .device import RememberedDeviceMethod
from .email_code import EmailCode
from .passkey import PasskeyMethod
from .password import PasswordMethod
from .recovery import RecoveryCodes
from .sms import SmsCode
from .token import TokenMethod
from .totp import TotpMethod
from .voice import VoiceCode

#: Every sign-in method, in the order the rules list them (settings, previews, amr).
METHOD_TYPES: tuple[type[SignInMethod], ...] = (
    PasswordMethod,
    SmsCode,
    EmailCode,
    VoiceCode,
    TotpMethod,
    TokenMethod,
    AppApprovalMethod,
    PasskeyMethod,
    RecoveryCodes,
    RememberedDeviceMethod,
)

install_methods(t.facts() for t in METHOD_TYPES)

#: The delivery channels methods bring beyond SMS and email, with their senders' factories.
CHANNEL_SENDERS = {t.channel: t.channel_sender for t in METHOD_TYPES if t.channel_sender}


def enrollable_now(methods: Mapping[str, SignInMethod],
                   enrolled: Iterable[str] = ()) -> frozenset[str]:
    """Return the methods a user could set up during a login now, less `enrolled`: those
    with an enrolment of their own (``SignInMethod.enrollable``: a code only while its
    channel can send). The login, the profile, the user administration and the previews
    all ask this; the step-up plan says whether one may be set up."""
    have = frozenset(enrolled)
    return frozenset(name for name, method in methods.items()
                     if method.enrollable and name not in have)


def build_registry(parts: MethodParts) -> dict[str, SignInMethod]:
    """Return one of each method, by name, made from what the app is built with."""
    return {t.name: t.build(parts) for t in METHOD_TYPES}


__all__ = ["CHANNEL_SENDERS", "METHOD_TYPES", "AccountDisabled", "AppApprovalMethod",
           "CommandFailed", "EmailCode", "Enrolment", "LoginDenied", "MethodContext",
           "MethodFailed", "MethodParts", "MethodRefused", "MethodThrottled",
           "MethodUnavailable", "NotAGuess",
           "PasskeyMethod", "PasswordMethod", "RecoveryCodes", "RememberedDeviceMethod",
           "SignInMethod", "SmsCode", "StepExpired", "TotpMethod", "Verified", "VoiceCode",
           "build_registry", "enrollable_now", "enrolled_methods"]
