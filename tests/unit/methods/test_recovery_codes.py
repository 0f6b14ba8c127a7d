"""Recovery codes: ten single-use codes, shown once, stored only as hashes."""

from __future__ import annotations

import re
import secrets
import threading

import pytest
from sqlalchemy import select, text

from idp.methods import MethodContext, MethodFailed, NotAGuess, RecoveryCodes, Verified
from idp.methods.recovery import ALPHABET, format_code, normalize
from idp.security.passwords import Argon2Parameters, PasswordService
from idp.security.tokens import hash_secret
from idp.services import services
from idp.storage import db
from idp.storage.models import Credential
from idp.tenants.accounts import find_user
from idp.tenants.directories import get_directory

pytestmark = pytest.mark.storage

NOW = 1_700_000_000.0
GROUPED = re.compile(rf"^[{ALPHABET}]{{4}}(-[{ALPHABET}]{{4}}){{3}}$")
NOT_RIGHT = "not right or was already used"
USED = "was already used. Enter another one"


class CountingPasswords(PasswordService):
    """The real password service (cheap parameters) that counts its argon2id verifications."""

    def __init__(self) -> None:
        super().__init__(Argon2Parameters(memory_kib=1024, time_cost=1, parallelism=1),
                         concurrency=4, wait_seconds=10)
        self.verifications = 0

    def verify(self, stored_hash: str | None, password: str) -> bool:
        self.verifications += 1
        return super().verify(stored_hash, password)


@pytest.fixture
def passwords() -> CountingPasswords:
    return CountingPasswords()


@pytest.fixture
def method(svc, passwords) -> RecoveryCodes:
    """The recovery code method with a password service that counts verifications."""
    return RecoveryCodes(passwords, svc.sealer)


@pytest.fixture
def user(directory, svc):
    return directory.add_user()


@pytest.fixture
def codes(user, context, method) -> list[str]:
    """Issue the user's recovery codes (committed) and return them as displayed."""
    issued = method.issue(context(user, NOW).user, NOW)
    db.session.commit()
    return issued


def use(ctx: MethodContext, code: str, method: RecoveryCodes | None = None) -> Verified:
    """Verify a code as a request does: committed when it succeeds."""
    method = method or services().methods["recovery"]
    try:
        verified = method.verify(ctx, {"code": code})
    except MethodFailed:
        db.session.rollback()
        raise
    db.session.commit()
    return verified


def stored_rows(user_id: int) -> list[Credential]:
    return list(db.session.scalars(select(Credential).where(
        Credential.user_id == user_id, Credential.method == "recovery")
        .order_by(Credential.id)).all())


def store_as_sha256(user_id: int) -> list[str]:
    """Store ten codes as the provider did before argon2id (SHA-256 alone); return them."""
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(16)) for _ in range(10)]
    for code in codes:
        db.session.add(Credential(user_id=user_id, method="recovery", label="Recovery code",
                                  lookup=hash_secret(code), counter=0, data={},
                                  created_at=NOW, confirmed_at=NOW))
    db.session.commit()
    return [format_code(code) for code in codes]


def test_issue_gives_ten_distinct_codes_of_sixteen_characters_in_groups(codes):
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert GROUPED.match(code), code
        assert len(normalize(code)) == 16


def test_the_alphabet_leaves_out_letters_that_look_like_digits():
    assert len(ALPHABET) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_codes_are_stored_with_argon2id_and_a_short_keyed_tag(user, codes, context, method):
    user_id = context(user, NOW).user.id
    stored = stored_rows(user_id)
    assert len(stored) == 10
    for row in stored:
        assert row.secret_hash.startswith("$argon2id$")
        assert re.fullmatch(r"[0-9a-f]{4}", row.lookup)
        assert row.secret_sealed is None and row.used_at is None
    assert len({row.secret_hash for row in stored}) == 10  # salted: no two alike
    assert sorted(row.lookup for row in stored) == sorted(
        method.tag(user_id, hash_secret(normalize(code))) for code in codes)
    # Nothing in the database holds a code, in any of its written forms, nor its SHA-256.
    dump = " ".join(str(value) for row in db.session.execute(
        text("SELECT * FROM credential WHERE user_id = :id"), {"id": user_id})
        for value in row)
    for code in codes:
        for form in (code, normalize(code), code.lower(), normalize(code).lower(),
                     hash_secret(normalize(code))):
            assert form not in dump


def _code_whose_tag(method: RecoveryCodes, user_id: int, matches: bool) -> str:
    """Return a code that is none of the user's, whose tag matches one of theirs or none."""
    tags = {row.lookup for row in stored_rows(user_id)}
    for _ in range(200_000):  # about 6,554 tries find a match among ten 16-bit tags
        code = "".join(secrets.choice(ALPHABET) for _ in range(16))
        if (method.tag(user_id, hash_secret(code)) in tags) == matches:
            return format_code(code)
    raise AssertionError(f"no code found whose tag {'matches' if matches else 'misses'} {tags}")


def test_a_wrong_code_costs_no_argon2_verification_when_no_tag_matches(user, codes, context,
                                                                       method, passwords):
    ctx = context(user, NOW)
    wrong = _code_whose_tag(method, ctx.user.id, matches=False)
    passwords.verifications = 0
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        use(ctx, wrong, method)
    assert passwords.verifications == 0


def test_a_wrong_code_whose_tag_matches_costs_one_verification_and_is_refused(
        user, codes, context, method, passwords):
    ctx = context(user, NOW)
    wrong = _code_whose_tag(method, ctx.user.id, matches=True)
    passwords.verifications = 0
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        use(ctx, wrong, method)
    tag = method.tag(ctx.user.id, hash_secret(normalize(wrong)))
    assert passwords.verifications == sum(row.lookup == tag for row in stored_rows(ctx.user.id))
    assert method.remaining(ctx.user) == 10


def test_a_right_code_is_verified_only_against_the_rows_its_tag_picks(user, codes, context,
                                                                      method, passwords):
    ctx = context(user, NOW)
    tag = method.tag(ctx.user.id, hash_secret(normalize(codes[0])))
    same_tag = sum(row.lookup == tag for row in stored_rows(ctx.user.id))
    passwords.verifications = 0
    assert use(ctx, codes[0], method).amr == ("otp",)
    assert 1 <= passwords.verifications <= same_tag


# --- Codes stored before argon2id (SHA-256 alone) ----------------------------------------

def test_codes_stored_as_sha256_still_work_and_are_all_rehashed_when_one_is_used(
        user, context, method):
    ctx = context(user, NOW)
    old = store_as_sha256(ctx.user.id)
    assert use(ctx, old[0], method).amr == ("otp",)
    rows = stored_rows(ctx.user.id)
    assert all(row.secret_hash.startswith("$argon2id$") for row in rows)
    assert {row.lookup for row in rows}.isdisjoint({hash_secret(normalize(c)) for c in old})
    # The rest keep working, now through argon2id; the used one stays used.
    assert use(context(user, NOW + 1), old[1], method).amr == ("otp",)
    with pytest.raises(NotAGuess, match=USED):
        use(context(user, NOW + 2), old[0], method)
    assert method.remaining(ctx.user) == 8


def test_a_wrong_code_against_codes_stored_as_sha256_costs_no_argon2_work(
        user, context, method, passwords):
    ctx = context(user, NOW)
    store_as_sha256(ctx.user.id)
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        use(ctx, "ZZZZ-ZZZZ-ZZZZ-ZZZZ", method)
    assert passwords.verifications == 0
    assert all(row.secret_hash is None for row in stored_rows(ctx.user.id))


def test_rehashing_wraps_sha256_codes_without_knowing_them(user, context, method):
    ctx = context(user, NOW)
    old = store_as_sha256(ctx.user.id)
    assert method.rehash_stored(ctx.user.id) == 10
    db.session.commit()
    assert method.rehash_stored(ctx.user.id) == 0
    for row in stored_rows(ctx.user.id):
        assert row.secret_hash.startswith("$argon2id$") and len(row.lookup) == 4
    for index, code in enumerate(old):
        assert use(context(user, NOW + index), code, method).amr == ("otp",)


def test_every_code_works_once(user, codes, context, method):
    for left, code in zip(range(9, -1, -1), codes):
        assert use(context(user, NOW), code) == Verified(amr=("otp",))
        assert method.remaining(context(user, NOW).user) == left
    assert not method.is_enrolled(context(user, NOW).user)


def test_a_used_code_is_refused_and_is_no_guess(user, codes, context, method):
    use(context(user, NOW), codes[3])
    with pytest.raises(NotAGuess, match=USED):
        use(context(user, NOW + 60), codes[3])
    assert method.remaining(context(user, NOW).user) == 9


def test_a_wrong_code_is_a_guess(user, codes, context):
    with pytest.raises(MethodFailed, match=NOT_RIGHT) as refused:
        use(context(user, NOW), "ABCD-EFGH-JKMN-PQRS")
    assert refused.value.counts_as_failure


def test_a_used_code_records_when_it_was_used(user, codes, context):
    use(context(user, NOW + 5), codes[0])
    [used] = [row for row in stored_rows(context(user, NOW).user.id) if row.used_at]
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


def test_issuing_again_invalidates_the_old_set(user, codes, context, method):
    fresh = method.issue(context(user, NOW).user, NOW + 1)
    db.session.commit()

    assert not set(fresh) & set(codes)
    assert method.remaining(context(user, NOW).user) == 10
    for old in codes:
        with pytest.raises(MethodFailed, match=NOT_RIGHT):
            use(context(user, NOW + 2), old)
    assert use(context(user, NOW + 2), fresh[0]).amr == ("otp",)


def test_issuing_again_also_forgets_the_used_codes(user, codes, context, method):
    use(context(user, NOW), codes[0])
    method.issue(context(user, NOW).user, NOW + 1)
    db.session.commit()
    count = db.session.scalar(text(
        "SELECT count(*) FROM credential WHERE user_id = :id AND method = 'recovery'"),
        {"id": context(user, NOW).user.id})
    assert count == 10


@pytest.mark.parametrize("wrong", ["0000-0000-0000-0000", "ZZZZ-ZZZZ-ZZZZ-ZZZZ"])
def test_a_wrong_code_is_refused(user, codes, context, method, wrong):
    assert wrong not in codes
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        use(context(user, NOW), wrong)
    assert method.remaining(context(user, NOW).user) == 10


def test_a_code_of_another_user_is_refused(directory, user, codes, context, method):
    other = directory.add_user()
    method.issue(context(other, NOW).user, NOW)
    db.session.commit()
    with pytest.raises(MethodFailed, match=NOT_RIGHT):
        use(context(other, NOW), codes[0])
    assert use(context(user, NOW), codes[0]).amr == ("otp",)


@pytest.mark.parametrize("code", [
    "", "   ", "ABCD", "ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRS-T", "----------------",
    "١٢٣٤-٥٦٧٨-٩٠١٢-٣٤٥٦",
], ids=["empty", "spaces", "one-group", "15-characters", "17-characters", "only-dashes",
        "arabic-indic-digits"])
def test_a_malformed_code_is_refused_with_a_clear_message(user, codes, context, method, code):
    with pytest.raises(MethodFailed) as failure:
        use(context(user, NOW), code)
    assert str(failure.value) in {
        "Enter one of your recovery codes, like ABCD-EFGH-JKMN-PQRS.",
        "This recovery code is not right or was already used.",
    }
    assert method.remaining(context(user, NOW).user) == 10


@pytest.mark.parametrize("code", ["", "ABCD", "ABCD-EFGH-JKMN-PQRS-T"])
def test_a_code_of_the_wrong_length_is_answered_with_the_expected_format(user, codes, context,
                                                                         code):
    with pytest.raises(MethodFailed, match="like ABCD-EFGH-JKMN-PQRS"):
        use(context(user, NOW), code)


def test_a_user_without_codes_is_not_enrolled(user, context, method):
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


@pytest.mark.parametrize("stored", ["argon2id", "sha256"])
def test_concurrent_uses_of_one_code_have_exactly_one_winner(app, directory, user, context,
                                                              method, stored):
    owner = context(user, NOW).user
    codes = method.issue(owner, NOW) if stored == "argon2id" else store_as_sha256(owner.id)
    db.session.commit()
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
