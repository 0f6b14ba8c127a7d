"""The form of a directory's text message destinations, on its Authentication page (the
route is in ``admin_settings``): where SMS codes may go, in words, what was typed and
what is wrong with it, and the preview of who would lose SMS codes."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, request

from ...admin.destinations import MAX_TYPED, PolicyInputError, build_policy, describe
from ...domain import DEFAULT_POLICY, NUMBER_TYPES, DestinationPolicy, MethodLoss
from ...tenants.directories import sms_policy

ACTIONS = ("preview", "save", "reset")


@dataclass
class SmsForm:
    """The destination form: what was typed, what is wrong, the policy in words, a preview."""

    values: dict[str, str]
    types: frozenset[str]
    non_geographic: bool
    said: list[str]
    errors: dict[str, str] = field(default_factory=dict)
    loss: MethodLoss | None = None
    candidate: DestinationPolicy | None = None


def sms_form(policy: DestinationPolicy) -> SmsForm:
    """Return the form filled in with `policy` (countries by code)."""
    return SmsForm(values={"sms_blocked": ", ".join(sorted(policy.blocked_regions)),
                           "sms_allowed": ", ".join(sorted(policy.allowed_regions)),
                           "sms_prefixes": ", ".join(policy.blocked_prefixes)},
                   types=policy.allowed_types, non_geographic=policy.allow_non_geographic,
                   said=describe(sms_policy(g.directory)))


def read_sms_form() -> tuple[SmsForm, DestinationPolicy | None]:
    """Return the posted form and the policy it makes (None when something is wrong)."""
    if request.form.get("action") == "reset":
        return sms_form(DEFAULT_POLICY), DEFAULT_POLICY
    values = {name: (request.form.get(name) or "")[:MAX_TYPED + 1]
              for name in ("sms_blocked", "sms_allowed", "sms_prefixes")}
    types = frozenset(t for t in request.form.getlist("sms_types")[:len(NUMBER_TYPES) + 1]
                      if t in NUMBER_TYPES)
    non_geographic = request.form.get("sms_non_geographic") == "yes"
    form = SmsForm({k: v[:MAX_TYPED] for k, v in values.items()}, types, non_geographic,
                   describe(sms_policy(g.directory)))
    try:
        return form, build_policy(types, values["sms_blocked"], values["sms_allowed"],
                                  values["sms_prefixes"], non_geographic)
    except PolicyInputError as exc:
        form.errors[exc.field] = str(exc)
        return form, None
