"""A sign-in method is one unit: everything that is its own is declared in its module.

The rules (``idp.domain``), the census, enrolments, user administration, notifications
and the profile read it from the registry; none of them names a method.
"""

from __future__ import annotations

import pytest

from idp.domain import (
    DEFAULT_POINTS,
    FACTORS,
    FALLBACKS,
    IDENTIFYING,
    METHOD_INFO,
    METHODS,
    STEP_UP_METHODS,
    LevelSettings,
    MethodFacts,
    MethodInfo,
    install_methods,
)
from idp.methods import METHOD_TYPES, SignInMethod

NAMES = [t.name for t in METHOD_TYPES]


@pytest.fixture
def extra_method():
    """Install the facts of one more method, and restore the registered ones after."""
    extra = MethodFacts("extra", 15, MethodInfo(("hwk", "otp"), frozenset({"possession"})))
    install_methods([*(t.facts() for t in METHOD_TYPES), extra])
    yield extra
    install_methods(t.facts() for t in METHOD_TYPES)


@pytest.mark.parametrize("method", METHOD_TYPES, ids=NAMES)
def test_every_method_declares_its_facts_in_its_module(method: type[SignInMethod]):
    facts = method.facts()
    assert facts.name == method.name
    assert isinstance(facts.default_points, int) and 0 <= facts.default_points <= 100
    assert isinstance(facts.info, MethodInfo)
    assert facts.info.factors <= set(FACTORS)
    assert "name" in vars(method) and "info" in vars(method) and "default_points" in vars(method)


def test_the_rules_list_exactly_the_registered_methods_in_their_order():
    assert tuple(METHODS) == tuple(NAMES)
    assert dict(DEFAULT_POINTS) == {t.name: t.default_points for t in METHOD_TYPES}
    assert dict(METHOD_INFO) == {t.name: t.info for t in METHOD_TYPES}
    assert set(IDENTIFYING) == {t.name for t in METHOD_TYPES if t.info.identifies}
    assert set(STEP_UP_METHODS) == {t.name for t in METHOD_TYPES if t.info.offered_in_step_up}
    assert set(FALLBACKS) == {t.name for t in METHOD_TYPES if t.info.fallback} == {"recovery"}


def test_a_new_method_needs_no_entry_in_the_rules_tables(extra_method):
    assert "extra" in METHODS and METHODS[-1] == "extra"
    assert DEFAULT_POINTS["extra"] == 15
    assert METHOD_INFO["extra"].amr == ("hwk", "otp")
    assert "extra" in STEP_UP_METHODS and "extra" not in IDENTIFYING
    assert LevelSettings().points_of("extra") == 15
    assert LevelSettings().level_of(["password", "extra"]) == 35


def test_the_tables_refuse_a_method_twice_or_points_out_of_range():
    twice = [t.facts() for t in METHOD_TYPES] + [METHOD_TYPES[0].facts()]
    with pytest.raises(ValueError):
        install_methods(twice)
    too_many = MethodFacts("extra", 101, MethodInfo((), frozenset()))
    with pytest.raises(ValueError):
        install_methods([*(t.facts() for t in METHOD_TYPES), too_many])
    assert tuple(METHODS) == tuple(NAMES)


def test_the_app_registry_holds_one_instance_of_every_method(app):
    from idp.services import services

    with app.app_context():
        registry = services().methods
    assert set(registry) == set(NAMES)
    assert all(isinstance(registry[t.name], t) for t in METHOD_TYPES)


def test_a_new_method_type_is_built_by_its_line_in_the_method_types_alone(app, monkeypatch):
    import idp.methods as methods
    from idp.config import current_settings
    from idp.methods import MethodParts, build_registry
    from idp.services import services

    made: list[MethodParts] = []

    class Extra(SignInMethod):
        name = "extra"
        default_points = 0
        info = MethodInfo(("otp",), frozenset({"possession"}))

        @classmethod
        def build(cls, parts):
            made.append(parts)
            return cls()

    monkeypatch.setattr(methods, "METHOD_TYPES", (*METHOD_TYPES, Extra))
    with app.app_context():
        svc = services()
        parts = MethodParts(current_settings(), svc.passwords, svc.sealer,
                            svc.methods["sms"].codes, "idp.example")
        built = build_registry(parts)
    assert list(built) == [*NAMES, "extra"]
    assert isinstance(built["extra"], Extra) and made == [parts]
    assert all(type(built[t.name]) is t for t in METHOD_TYPES)


def test_a_delivery_channel_a_method_brings_is_declared_on_the_method():
    from idp.methods import CHANNEL_SENDERS, VoiceCode
    from idp.methods.voice import build_sender

    assert {"voice": build_sender} == CHANNEL_SENDERS
    assert VoiceCode.channel_sender is build_sender


# --- Who has it: one rule per method, asked of one user or of many ------------------------

def _people(directory) -> dict[str, object]:
    """Make users with one edge of every method each; return their rows by name."""
    import secrets

    from sqlalchemy import select

    from idp.clock import now
    from idp.methods.token.models import HardwareToken
    from idp.storage import db
    from idp.storage.models import AppDevice, Credential, Passkey, RememberedDevice, User
    from idp.tenants.directories import get_directory
    from tests.support.live import new_mobile

    people = {"plain": {}, "texter": {"phone": new_mobile()},
              "unproven": {"phone": new_mobile(), "phone_verified": False},
              "mailer": {"email_verified": True}, "apper": {"totp": True},
              "keyed": {}, "browser": {}, "blocked": {}, "caller": {}, "premium": {},
              "holder": {}}
    for name, options in people.items():
        directory.add_user(name, **options)
    row = get_directory(directory.slug)
    users = {u.username: u for u in db.session.scalars(
        select(User).where(User.directory_id == row.id))}
    at = now()

    def credential(user, method, **extra):
        db.session.add(Credential(user_id=users[user].id, method=method, counter=0, data={},
                                  created_at=at, **extra))

    def app_device(user, **extra):
        db.session.add(AppDevice(directory_id=row.id, user_id=users[user].id,
                                 public_id=secrets.token_hex(8), name="phone", public_jwk={},
                                 pin_hash="x", created_at=at, **extra))

    def remembered(user, **extra):
        db.session.add(RememberedDevice(
            directory_id=row.id, user_id=users[user].id, token_hash=secrets.token_hex(16),
            name="Firefox on Linux", created_at=at, last_used_at=at, expires_at=at + 3600,
            **extra))

    credential("plain", "totp")  # never confirmed
    credential("plain", "recovery", used_at=at)  # used up
    credential("mailer", "recovery", lookup="a")
    app_device("plain")  # never approved a login
    app_device("blocked", confirmed_at=at, blocked_at=at)
    app_device("mailer", confirmed_at=at, removed_at=at)
    app_device("apper", confirmed_at=at)
    from idp.methods.voice.storage import set_voice_number

    set_voice_number(users["caller"], "+31201234567", at)  # a landline, called
    set_voice_number(users["premium"], "+31900123456", at)  # premium rate: never called
    db.session.add(Passkey(directory_id=row.id, user_id=users["keyed"].id,
                           credential_id=secrets.token_hex(8), public_key=b"k", name="key",
                           created_at=at))
    users["keyed"].password_hash = None
    remembered("browser")
    remembered("plain", revoked_at=at)
    for serial, holder in (("T1", users["holder"].id), ("T2", None)):  # T2 on the shelf
        db.session.add(HardwareToken(directory_id=row.id, serial=serial, kind="hotp",
                                     seed_sealed=b"s", user_id=holder, created_at=at,
                                     assigned_at=at if holder else None))
    db.session.commit()
    return {"directory": row, "users": users, "at": at}


@pytest.fixture
def people(directory, app):
    with app.app_context():
        yield _people(directory)


def test_holders_say_of_many_what_is_enrolled_says_of_each(people, app):
    from idp.services import services

    methods = services().methods
    directory, users = people["directory"], people["users"]
    ids = {u.id for u in users.values()}
    for name, method in methods.items():
        expected = {u.id for u in users.values() if method.is_enrolled(u)}
        assert method.holders(directory) & ids == expected, name
        some = {users["plain"].id, users["apper"].id, users["keyed"].id}
        assert method.holders(directory, some) == expected & some, name
        assert method.holders(directory, []) == set(), name


def test_each_users_items_count_exactly_for_the_methods_they_are_enrolled_in(people, app):
    from idp.services import services
    from idp.users.enrolments import counting_methods, list_enrolments

    methods = services().methods
    for user in people["users"].values():
        items = list_enrolments(user, people["at"], methods)
        assert {i.method for i in items} <= set(methods)
        assert counting_methods(items) == {n for n, m in methods.items()
                                           if m.per_user and m.is_enrolled(user)}, user.username


def test_every_items_key_is_one_the_profile_forms_accept(people, app):
    from idp.services import services
    from idp.users.enrolments import list_enrolments
    from idp.users.profile import valid_key

    methods = services().methods
    seen = set()
    for user in people["users"].values():
        for item in list_enrolments(user, people["at"], methods):
            seen.add(item.method)
            assert valid_key(item.key), item.key
            name, _, row = item.key.partition(":")
            assert name == item.method and bool(row) == type(methods[name]).several, item.key
    assert seen == set(methods)  # the rows cover every method


def test_the_census_and_the_user_lists_count_what_the_methods_count(people, app):
    from idp.admin.census import take_census
    from idp.admin.users import methods_of_users
    from idp.services import services

    methods = services().methods
    directory, users = people["directory"], people["users"]
    census = {m.username: m.enrolled for m in take_census(directory, methods)}
    listed = methods_of_users(directory, users.values(), methods)
    for name, user in users.items():
        expected = {n for n, m in methods.items() if m.per_user and m.is_enrolled(user)}
        assert census[name] == expected == listed[user.id], name
    assert census["keyed"] == {"passkey"}
    assert census["browser"] == {"password"}  # a remembered browser is never counted
    assert census["blocked"] == {"password"}


def test_a_proven_phone_is_no_sms_method_anywhere_while_no_text_can_be_sent(people, app):
    """The one rule: a code method counts only while its channel can send. The phone stays
    listed (so it can be removed), but the census, the user lists and the profile's
    reckoning all leave SMS out, as the login does."""
    from idp.admin.census import take_census
    from idp.admin.users import methods_of_users
    from idp.delivery import Delivery
    from idp.methods import SmsCode
    from idp.methods.one_time_codes import CodeService
    from idp.services import services
    from idp.users.enrolments import counting_methods, list_enrolments

    methods = services().methods
    silent = SmsCode(CodeService(Delivery({}), methods["sms"].codes.policy),
                     "localhost")
    without = {**methods, "sms": silent}
    directory, texter = people["directory"], people["users"]["texter"]
    assert methods["sms"].is_enrolled(texter) and not silent.is_enrolled(texter)
    census = {m.username: m.enrolled for m in take_census(directory, without)}
    assert census["texter"] == {"password"}
    assert methods_of_users(directory, [texter], without)[texter.id] == {"password"}
    items = list_enrolments(texter, people["at"], without)
    assert [i.method for i in items if i.key == "sms"] == ["sms"]
    assert counting_methods(items) == {"password"}


# --- One home for the rules several pages share --------------------------------------------

def test_a_users_reaching_combinations_are_the_previews_within_their_methods():
    import itertools

    from idp.domain import reaching_combinations

    settings = LevelSettings().with_changes(40)
    everyone = reaching_combinations(settings)
    for size in range(len(METHODS) + 1):
        for mine in itertools.combinations(METHODS, size):
            assert reaching_combinations(settings, mine) == tuple(
                c for c in everyone if set(c.methods) <= set(mine)), mine


def test_what_can_be_set_up_at_a_login_is_asked_of_the_methods(app):
    from idp.delivery import Delivery
    from idp.methods import SmsCode, enrollable_now
    from idp.methods.one_time_codes import CodeService
    from idp.services import services

    with app.app_context():
        methods = services().methods
    assert enrollable_now(methods) == {n for n, m in methods.items() if m.enrol_template}
    assert "password" not in enrollable_now(methods) and "device" not in enrollable_now(methods)
    assert enrollable_now(methods, {"totp"}) == enrollable_now(methods) - {"totp"}
    silent = SmsCode(CodeService(Delivery({}), methods["sms"].codes.policy),
                     "localhost")
    assert "sms" not in enrollable_now({**methods, "sms": silent})


# --- Notices: each method's own texts; a missing one is refused, never dropped ------------

@pytest.mark.parametrize("method", METHOD_TYPES, ids=NAMES)
def test_every_method_declares_the_notice_texts_of_its_changes(method: type[SignInMethod]):
    if method.removable:
        assert method.removed_notice is not None
    if method.removable and method.per_user:
        assert method.added_notice is not None


@pytest.mark.parametrize("method", METHOD_TYPES, ids=NAMES)
def test_every_methods_notices_have_their_own_title(method: type[SignInMethod], app):
    from idp.users.notifications import Notice

    with app.test_request_context():
        for kind, text in (("added", method.added_notice), ("removed", method.removed_notice)):
            if text is not None:
                assert Notice(kind, method.name).title() == str(text)


def test_a_notice_without_its_text_is_refused_when_it_is_made():
    from idp.users.notifications import Notice

    with pytest.raises(ValueError, match="no notice text"):
        Notice("added", "password")
    with pytest.raises(ValueError, match="no notice text"):
        Notice("removed", "pigeon")


# --- Delivery channels: a mapping from name to sender, built from the settings ----------

def test_a_new_delivery_channel_is_one_more_entry(monkeypatch):
    import idp.delivery as delivery
    from idp.config import Settings
    from idp.delivery import Message, build_delivery
    from idp.delivery.outbox import DevOutbox

    spoken: list[Message] = []

    class Caller:
        def send(self, message: Message) -> None:
            spoken.append(message)

    monkeypatch.setitem(delivery.SENDERS, "voice", lambda settings, timeout: Caller())
    monkeypatch.setattr(delivery, "CHANNELS", tuple(delivery.SENDERS))
    built = build_delivery(Settings.from_mapping({"IDP_ENV": "development"}))
    assert built.can_send("voice") and built.can_send("sms") and built.can_send("email")
    built.send(Message(channel="voice", to="+31611111111", text="1 2 3 4 5 6"))
    assert [m.to for m in spoken] == ["+31611111111"]
    assert isinstance(built.outbox, DevOutbox)



# --- The profile page of each method --------------------------------------------------------

def test_every_method_a_person_sets_up_links_its_own_profile_page(people, app):
    from flask import url_for

    from idp.services import services
    from idp.users.enrolments import list_enrolments

    methods = services().methods
    keyed = people["users"]["keyed"]  # a passkey, nothing else
    items = list_enrolments(keyed, people["at"], methods)
    with app.test_request_context():
        for name, method in methods.items():
            addition = method.profile_addition(keyed, items)
            if method.removable and method.per_user:
                assert addition is not None, name
            if addition is not None:
                url = url_for(addition.endpoint, slug=people["directory"].slug, **addition.values)
                assert url.startswith("/"), name


@pytest.mark.parametrize("method", METHOD_TYPES, ids=NAMES)
def test_every_enrollable_method_declares_its_set_up_button_as_a_whole_sentence(
        method: type[SignInMethod]):
    if method.enrol_template is None:
        return
    assert "set_up_label" in vars(method)
    assert str(method.set_up_label)[:1].isupper()


@pytest.mark.parametrize("method", METHOD_TYPES, ids=NAMES)
def test_every_enrollable_method_says_in_one_sentence_what_it_is(method: type[SignInMethod]):
    if method.enrol_template is None:
        return
    assert "set_up_description" in vars(method)
    description = str(method.set_up_description)
    assert description[:1].isupper() and description.endswith(".")
    assert "\n" not in description
