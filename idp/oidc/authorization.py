"""The authorization decision: issue a code now, ask the user something, or refuse.

Authlib validates the OAuth request (client, redirect URI, response type,
scope, PKCE); this module adds what Authlib leaves to the provider: the OIDC
parameters (OIDC Core 3.1.2.1), the acr policy and the prompt checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..domain import (
    IDENTIFYING,
    AcrRequest,
    Completion,
    InvalidAcrRequest,
    LevelSettings,
    LoginOutcome,
    PromptContext,
    StepUpPlan,
    check_request,
    conclude_login,
    counted_completions,
    parse_acr_request,
    pending_checks,
    plan_step_up,
    session_level,
)
from ..errors import IdpError

# Parameters that may appear once only (RFC 6749 3.1, OIDC Core 3.1.2.1).
SINGLE_VALUED = ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
                 "prompt", "max_age", "ui_locales", "id_token_hint", "login_hint",
                 "acr_values", "claims", "code_challenge", "code_challenge_method",
                 "response_mode", "display", "claims_locales")
KNOWN_PROMPTS = frozenset({"none", "login", "consent", "select_account"})
MAX_AGE_LIMIT = 10 * 365 * 24 * 3600
MAX_CLAIMS_LENGTH = 4096
LOGIN_STEPS = frozenset({"no_session", "prompt_login", "max_age", "id_token_hint_mismatch"})


class InvalidAuthorizationRequest(IdpError, ValueError):
    """An OIDC parameter is malformed; carries the OAuth error code and English protocol text.

    The authorization endpoint sends it to the client's redirect URI (RFC 6749 4.1.2.1).
    """

    def __init__(self, description: str, error: str = "invalid_request"):
        super().__init__(description, error=error)


@dataclass(frozen=True)
class OidcParams:
    """The OIDC parameters of an authorization request, parsed and checked."""

    prompts: frozenset[str]
    max_age: int | None
    acr: AcrRequest
    claims: dict[str, Any] | None
    hint_sub: str | None
    login_hint: str | None
    ui_locales: tuple[str, ...]


def find_duplicate(datalist: Mapping[str, list[str]]) -> str | None:
    """Return the first parameter given more than once, if any."""
    for name in SINGLE_VALUED:
        if len(datalist.get(name, [])) > 1:
            return name
    return None


def _decode_hint(token: str, keyset: KeySet) -> str:
    """Return the sub of an ID token we issued; expiry is ignored (OIDC Core 3.1.2.1)."""
    if len(token) > 8192:
        raise InvalidAuthorizationRequest("id_token_hint is too long")
    try:
        decoded = jwt.decode(token, keyset, algorithms=["RS256", "ES256"])
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise InvalidAuthorizationRequest("id_token_hint is not an ID token of this issuer") \
            from exc
    sub = decoded.claims.get("sub")
    if not isinstance(sub, str):
        raise InvalidAuthorizationRequest("id_token_hint has no subject")
    return sub


def _prompts(data: Mapping[str, str]) -> frozenset[str]:
    return frozenset((data.get("prompt") or "").split())


def _unknown_prompt(data: Mapping[str, str]) -> str | None:
    return "unknown prompt value" if _prompts(data) - KNOWN_PROMPTS else None


def _prompt_none_combined(data: Mapping[str, str]) -> str | None:
    prompts = _prompts(data)
    return "prompt=none cannot be combined with other values" \
        if "none" in prompts and len(prompts) > 1 else None


def _bad_max_age(data: Mapping[str, str]) -> str | None:
    raw = data.get("max_age")
    if raw in (None, ""):
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_AGE_LIMIT:
        return "max_age must be a number of seconds"
    return None


def _claims_too_long(data: Mapping[str, str]) -> str | None:
    return "the claims parameter is too long" \
        if len(data.get("claims") or "") > MAX_CLAIMS_LENGTH else None


def _claims_json(data: Mapping[str, str]) -> Any:
    """Return the claims parameter decoded, None when absent, NOT_JSON when it is not JSON."""
    if not data.get("claims"):
        return None
    try:
        return json.loads(data["claims"])
    except (ValueError, RecursionError):
        return NOT_JSON


def _claims_not_json(data: Mapping[str, str]) -> str | None:
    return "the claims parameter is not JSON" if _claims_json(data) is NOT_JSON else None


def _claims_not_object(data: Mapping[str, str]) -> str | None:
    claims = _claims_json(data)
    return "the claims parameter must be a JSON object" \
        if claims is not None and not isinstance(claims, dict) else None


def _acr(data: Mapping[str, str]) -> AcrRequest:
    return parse_acr_request(data.get("acr_values"), _claims_json(data))


def _bad_acr(data: Mapping[str, str]) -> str | None:
    try:
        _acr(data)
    except InvalidAcrRequest as exc:
        return exc.description
    return None


NOT_JSON = object()

# The checks of an authorization request's OIDC parameters, in the order they are made:
# each names what is wrong (or None) and carries its OAuth error (OIDC Core 3.1.2.1, 6).
REQUEST_CHECKS: tuple[tuple[Callable[[Mapping[str, str]], str | None], str], ...] = (
    (_unknown_prompt, "invalid_request"),
    (_prompt_none_combined, "invalid_request"),
    (_bad_max_age, "invalid_request"),
    (_claims_too_long, "invalid_request"),
    (_claims_not_json, "invalid_request"),
    (_claims_not_object, "invalid_request"),
    (_bad_acr, "invalid_request"),
)


def parse_oidc_params(data: Mapping[str, str], keyset_loader) -> OidcParams:
    """Check the OIDC parameters of an authorization request (REQUEST_CHECKS, then the
    id_token_hint against our keys) and parse them."""
    for check, error in REQUEST_CHECKS:
        problem = check(data)
        if problem is not None:
            raise InvalidAuthorizationRequest(problem, error)
    hint = data.get("id_token_hint")
    hint_sub = _decode_hint(hint, keyset_loader()) if hint else None
    max_age = data.get("max_age")
    return OidcParams(prompts=_prompts(data), max_age=int(max_age) if max_age else None,
                      acr=_acr(data), claims=_claims_json(data), hint_sub=hint_sub,
                      login_hint=(data.get("login_hint") or "")[:254] or None,
                      ui_locales=tuple((data.get("ui_locales") or "").split()[:10]))


@dataclass(frozen=True)
class Subject:
    """What the decision needs to know about the signed-in user."""

    sub: str
    enrolled: frozenset[str]
    enrollable: frozenset[str]
    has_consent: bool


@dataclass(frozen=True)
class Decision:
    """The next thing to do for an authorization request."""

    kind: Literal["issue", "interact", "error"]
    step: str | None = None
    error: str | None = None
    description: str | None = None
    outcome: LoginOutcome | None = None
    plan: StepUpPlan | None = None
    minimum: int = 0

    @property
    def finishes(self) -> bool:
        """Whether the app is answered now (a code or an error) rather than the user asked."""
        return self.kind != "interact"


def decide(settings: LevelSettings, client_min_acr: int | None, first_party: bool,
           params: OidcParams, subject: Subject | None, completions: tuple[Completion, ...],
           now: float, interaction_started: float | None, consented: bool) -> Decision:
    """Decide whether to issue a code, which page to show, or which error to answer."""
    from ..domain import UnmetAuthenticationRequirements

    try:
        minimum = check_request(settings, client_min_acr, params.acr)
    except UnmetAuthenticationRequirements as exc:
        return Decision("error", error=exc.error, description=exc.description)
    # Another user than the hint names must log in within this interaction (3.1.2.1);
    # merely opening the interaction, or a code entered since, does not make the
    # signed-in user the expected one: only a method that identifies them does.
    logged_in_since = interaction_started is not None and any(
        c.at >= interaction_started and c.method in IDENTIFYING for c in completions)
    if subject is not None and params.hint_sub is not None and not logged_in_since \
            and params.hint_sub != subject.sub:
        hint_matches: bool | None = False
    else:
        hint_matches = None if params.hint_sub is None else True
    fresh_since = interaction_started if interaction_started is not None else (
        now if "login" in params.prompts else None)
    counted = () if subject is None else counted_completions(
        completions, now=now, max_age=params.max_age, counts_for=settings.counts_for,
        fresh_since=fresh_since if ("login" in params.prompts or params.max_age is not None)
        else None)
    level = session_level(settings, counted)
    prompts = params.prompts - {"consent"} if consented else params.prompts
    ctx = PromptContext(
        has_user=subject is not None and bool(counted), prompts=prompts, level=level,
        minimum=minimum, max_age=params.max_age, now=now,
        completions=completions if subject is not None else (),
        interaction_started=interaction_started, hint_sub_matches=hint_matches,
        consent_needed=subject is not None and not first_party and not subject.has_consent
        and not consented)
    checks = pending_checks(ctx)
    if not checks:
        outcome = conclude_login(settings, counted, minimum=minimum, request=params.acr, now=now)
        return Decision("issue", outcome=outcome, minimum=minimum)
    first = checks[0]
    if "none" in params.prompts:
        return Decision("error", error=first.error, description=first.reason, minimum=minimum)
    if first.name in LOGIN_STEPS:
        return Decision("interact", step="login", minimum=minimum)
    if first.name == "level_not_met":
        assert subject is not None
        plan = plan_step_up(settings, [c.method for c in counted], minimum, subject.enrolled,
                            subject.enrollable)
        if plan.login_first:
            return Decision("interact", step="login", plan=plan, minimum=minimum)
        return Decision("interact", step="stepup" if plan.reachable else "unreachable",
                        plan=plan, minimum=minimum)
    return Decision("interact", step="consent", minimum=minimum)
