"""Pure rules of the identity provider: settings, points, acr, step-up, prompts, codes.

Nothing here does I/O or reads the clock; see README.md.
"""

from idp.domain.acr import (
    AcrRequest,
    build_amr,
    check_request,
    effective_minimum,
    ensure_reachable,
    latest_auth_time,
    parse_acr_request,
    resolve_acr,
)
from idp.domain.codes import (
    CodePolicy,
    RecentSends,
    SendRefusal,
    SentCode,
    carried_failures,
    code_problem,
    refuse_send,
    resend_wait,
)
from idp.domain.errors import (
    DomainError,
    InvalidAcrRequest,
    InvalidSettings,
    UnmetAuthenticationRequirements,
)
from idp.domain.ledger import CLOCK_SKEW, Completion, counted_completions, session_level
from idp.domain.outcome import LoginOutcome, conclude_login
from idp.domain.prompt import CHECKS, PromptCheck, PromptContext, pending_checks
from idp.domain.settings import (
    DEFAULT_POINTS,
    DEFAULT_REQUIRED_LEVEL,
    FACTORS,
    MAX_LEVEL,
    MAX_POINTS,
    METHOD_INFO,
    METHODS,
    LevelSettings,
    MethodInfo,
    check_method,
    max_reachable,
)
from idp.domain.stepup import StepUpPlan, plan_step_up

__all__ = [
    "CHECKS",
    "CLOCK_SKEW",
    "DEFAULT_POINTS",
    "DEFAULT_REQUIRED_LEVEL",
    "FACTORS",
    "MAX_LEVEL",
    "MAX_POINTS",
    "METHODS",
    "METHOD_INFO",
    "AcrRequest",
    "CodePolicy",
    "RecentSends",
    "SendRefusal",
    "SentCode",
    "carried_failures",
    "code_problem",
    "refuse_send",
    "resend_wait",
    "Completion",
    "DomainError",
    "InvalidAcrRequest",
    "InvalidSettings",
    "LevelSettings",
    "LoginOutcome",
    "MethodInfo",
    "PromptCheck",
    "PromptContext",
    "StepUpPlan",
    "UnmetAuthenticationRequirements",
    "build_amr",
    "check_method",
    "check_request",
    "conclude_login",
    "counted_completions",
    "effective_minimum",
    "ensure_reachable",
    "latest_auth_time",
    "max_reachable",
    "parse_acr_request",
    "pending_checks",
    "plan_step_up",
    "resolve_acr",
    "session_level",
]
