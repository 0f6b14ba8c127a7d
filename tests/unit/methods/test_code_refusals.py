"""Why a code is refused is one enum; each page that words it has one table covering it."""

from __future__ import annotations

from idp.domain import CodePolicy, CodeRefusal, RecentSends, SentCode, code_problem, refuse_send
from idp.methods import delivered
from idp.web.account import profile_details


def test_the_domain_names_its_refusals_with_the_enum():
    policy = CodePolicy()
    assert refuse_send(RecentSends(session=(100.0,)), 101.0, policy).reason \
        is CodeRefusal.TOO_SOON
    assert code_problem(None, 0.0, policy) is CodeRefusal.NO_CODE
    used = SentCode(sent_at=0.0, expires_at=600.0, failures=0, used_at=1.0)
    assert code_problem(used, 2.0, policy) is CodeRefusal.USED


def test_the_login_pages_word_every_refusal():
    # TOO_SOON is worded with its wait, in the plural the number asks for.
    assert set(delivered.REFUSALS) | {CodeRefusal.TOO_SOON} == set(CodeRefusal)


def test_the_profile_contact_page_words_every_refusal():
    assert set(profile_details.REFUSALS) == set(CodeRefusal)
