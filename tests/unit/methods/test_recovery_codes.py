"""Recovery codes: ten single-use codes, shown once, stored only as hashes."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select, text

from idp.accounts import find_user
from idp.directories import get_directory
from idp.methods import MethodContext, MethodFailed, NotAGuess, RecoveryCodes, Verified
from idp.methods.recovery import ALPHABET, normalize
from idp.security.tokens import hash_secret
from idp.services import services
from idp.storage import db
from idp.storage.models import Credential

pytestmark = pytest.mark.storage

NOW = 1_700_000_000.0
GROUPED = re.compile(rf"^[{ALPHABET}]{{4}}(-[{ALPHABET}]{{4}}){{3}}$")
NOT_RIGHT = "not right or was already used"
USED = "was already used. Enter another one"


@pytest.fixture
def user(directory, svc):
    return directory.add_user()


@pytest.fixture
def codes(user, context) -> list[str]:
    """Issue the user's recovery codes (committed) and return them as displayed."""
    issued = RecoveryCodes().issue(context(user, NOW).user, NOW)
    db.session.commit()
    return issued


def use(ctx: MethodContext, code: str) -> Verified:
    """Verify a code as a request does: committed when it succeeds."""
    try:
        verified = RecoveryCodes().verify(ctx, {"code": code})
    except MethodFailed:
        db.session.rollback()
        raise
    db.session.commit()
    return verified


def test_issue_gives_ten_distinct_codes_of_sixteen_characters_in_groups(codes):
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert GROUPED.match(code), code
        assert len(normalize(code)) == 16


def test_the_alphabet_leaves_out_letters_that_look_like_digits():
    assert len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_codes_are_stored_only_as_hashes(user, codes, context):
    user_id = context(user, NOW).user.id
    stored = list(db.session.scalars(select(Credential).where(
        Credential.user_id == user_id, Credential.method == "recovery")))
    assert sorted(c.lookup for c in stored) == sorted(hash_secret(normalize(c)) for c in codes)
    assert all(c.secret_sealed is None and c.used_at is None for c in stored)
    # Nothing in the database holds a code, in any of its written forms.
    dump = " ".join(str(value) for row in db.session.execute(
        text("SELECT * FROM credential WHERE user_id = :id"), {"id": user_id})
        for value in row)
    for code in codes:
        for form in (code, normalize(code), code.lower(), normalize(code).lower()):
            assert form not in dump


def test_every_code_works_once(user, codes, context):
    method = RecoveryCodes()
    for left, code in zip(range(9, -1, -1), codes):
        assert use(context(user, NOW), code) == Verified(amr=("otp",))
        assert method.remaining(context(user, NOW).user) == left
    assert not method.is_enrolled(context(user, NOW).user)


def test_a_used_code_is_refused_and_is_no_guess(user, codes, context):
    use(context(user, NOW), codes[3])
    with pytest.raises(NotAGuess, match=USED):
        use(context(user, NOW + 60), codes[3])
    assert RecoveryCodes().remaining(context(user, NOW).user) == 9


def test_a_wrong_code_is_a_guess(user, codes, context):
    with pytest.raises(MethodFailed, match=NOT_RIGHT) as refused:
        use(context(user, NOW), "ABCD-EFGH-JKMN-PQRS")
    assert refused.value.counts_as_failure


def test_a_used_code_records_when_it_was_used(user, codes, context):
    use(context(user, NOW + 5), codes[0])
    [used] = db.session.scalars(select(Credential).where(
        Credential.user_id == context(user, NOW).user.id,
        Credential.lookup == hash_secret(normalize(codes[0]))))
    assert used.used_at == NOW + 5
    assert used.last_used_at == NOW + 5


@pytest.mark.parametrize("typed", [
    lambda c: c.lower(),
    lambda c: c.replace("-", ""),
    lambda c: c.replace("-", "").lower(),
    lambda c: c.replace("-", " "),
    lambda c: f"  {c}  ",
    lambda c: c[:7] + c[7:].lower(),
    lambda c: c.replace("-", "\u2013"),
], ids=["lower-case", "no-dashes", "no-dashes-lower", "spaces", "padded", "mixed-case",
        "en-dashes"])
def test_formatting_case_and_dashes_do_not_matter(user, codes, context, typed):
    assert use(context(user, NOW), typed(codes[0])).amr == ("otp",)


def test_issuing_again_invalidates_the_old_set(user, codes, context):
    method = RecoveryCodes()
    fresh = method.issue(context(user, NOW).user, NOW + 1)
    db.session.commit()

    assert not set(fresh) & set(codes)
    assert method.remaining(context(user, NOW).user) == 10
    for old in codes:
        with pytest.raises(MethodFailed, match=NOT_RIGHT):
            use(context(user, NOW + 2), old)
    assert use(context(user, NOW + 2), fresh[0]).amr == ("otp",)


def test_issuing_again_also_forgets_the_used_codes(user, codes, context):
    use(context(user, NOW), codes[0])
    method = RecoveryCodes()
    method.issue(context(user, NOW).user, NOW + 1)
    db.session.commit()
    count = db.session.scalar(text(
        "SELECT count(*) FROM credential WHERE user_id = :id AND method = 'recovery'"),
        {"id": context(user, NOW).user.id})
    assert count == 10


@pytest.mark.parametrize("wrong", ["0000-0000-0000-0000", "ZZZZ-ZZZZ-ZZZZ-ZZZZ"])
def test_a_wrong_code_is_refused(user, codes, context, wrong):
    assert wrong not in codes
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        use(context(user, NOW), wrong)
    assert RecoveryCodes().remaining(context(user, NOW).user) == 10


def test_a_code_of_another_user_is_refused(directory, user, codes, context):
    other = directory.add_user()
    RecoveryCodes().issue(context(other, NOW).user, NOW)
    db.session.commit()
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        use(context(other, NOW), codes[0])
    assert use(context(user, NOW), codes[0]).amr == ("otp",)


@pytest.mark.parametrize("code", [
    "", "   ", "ABCD", "ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRS-T", "----------------",
    "١٢٣٤-٥٦٧٨-٩٠١٢-٣٤٥٦",
], ids=["empty", "spaces", "one-group", "15-characters", "17-characters", "only-dashes",
        "arabic-indic-digits"])
def test_a_malformed_code_is_refused_with_a_clear_message(user, codes, context, code):
    with pytest.raises(MethodFailed) as failure:
        use(context(user, NOW), code)
    assert str(failure.value) in {
        "Enter one of your recovery codes, like ABCD-EFGH-JKMN-PQRS.",
        "This recovery code is not right or was already used.",
    }
    assert RecoveryCodes().remaining(context(user, NOW).user) == 10


@pytest.mark.parametrize("code", ["", "ABCD", "ABCD-EFGH-JKMN-PQRS-T"])
def test_a_code_of_the_wrong_length_is_answered_with_the_expected_format(user, codes, context,
                                                                         code):
    with pytest.raises(MethodFailed, match="like ABCD-EFGH-JKMN-PQRS"):
        use(context(user, NOW), code)


def test_a_user_without_codes_is_not_enrolled(user, context):
    method = RecoveryCodes()
    assert method.remaining(context(user, NOW).user) == 0
    assert not method.is_enrolled(context(user, NOW).user)


def _use_in_thread(app, slug: str, username: str, code: str, results: list[str],
                   barrier: threading.Barrier) -> None:
    with app.app_context():
        try:
            directory = get_directory(slug)
            ctx = MethodContext(directory=directory, user=find_user(directory, username),
                                now=NOW, sealer=services().sealer)
            barrier.wait(timeout=30)
            use(ctx, code)
            results.append("accepted")
        except MethodFailed as exc:
            results.append(str(exc))
        except Exception as exc:  # reported to the test below
            results.append(f"error: {exc!r}")


def test_concurrent_uses_of_one_code_have_exactly_one_winner(app, directory, user, codes):
    racers = 4
    barrier = threading.Barrier(racers)
    results: list[str] = []
    threads = [threading.Thread(target=_use_in_thread,
                                args=(app, directory.slug, user.username, codes[0], results,
                                      barrier))
               for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == racers, results
    assert results.count("accepted") == 1, results
    assert all(USED in r for r in results if r != "accepted"), results
