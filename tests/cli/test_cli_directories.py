"""`idp directory add|list|show|rename|disable|enable|remove`: an operator runs tenants."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, or_, select

from idp import audit
from idp.clock import now
from idp.domain import DEFAULT_POINTS, DEFAULT_REQUIRED_LEVEL
from idp.methods.token.inventory import assign_token, import_tokens
from idp.methods.token.parsers import read_csv
from idp.methods.voice.storage import set_voice_number
from idp.services import services
from idp.storage import db
from idp.storage.models import (
    AuditEvent,
    BrowserSession,
    Directory,
    SigningKey,
    TokenFamily,
)
from idp.tenants.account_client import ensure_account_client
from idp.tenants.accounts import create_user, find_user
from idp.tenants.clients import create_client
from idp.tenants.directories import get_directory, level_settings
from idp.tenants.grants import start_family
from idp.users.sessions import start_session
from tests.cli.helpers import provider, run_idp
from tests.protocol._helpers import signed_in
from tests.support.agent import Agent
from tests.support.live import new_directory
from tests.support.logout_receiver import LogoutReceiver
from tests.support.rp import StrictRP
from tests.web.test_web_admin_users import invitation_link
from tests.web.test_web_invitations import assert_link_ended, set_password


def events(database_url: str, slug: str) -> list[tuple[str, dict]]:
    with provider(database_url):
        directory = get_directory(slug)
        return [(e.event, e.detail) for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == directory.id).order_by(AuditEvent.id))]


def test_directory_add_creates_a_directory_as_init_creates_default(any_database, idp):
    idp(any_database, "init").assert_ok()

    run = run_idp(any_database, "directory", "add", "acme", "--name", "Acme B.V.").assert_ok()

    assert run.stdout == ("Created directory 'acme' (Acme B.V.); issuer "
                          "http://localhost:5000/d/acme\n")
    with provider(any_database) as app:
        directory = get_directory("acme")
        assert directory.name == "Acme B.V." and directory.disabled_at is None
        settings = level_settings(directory)
        assert settings.required_level == DEFAULT_REQUIRED_LEVEL
        assert dict(settings.points) == dict(DEFAULT_POINTS)
        default = get_directory("default")
        kinds = {d.slug: sorted(k.alg for k in db.session.scalars(
            select(SigningKey).where(SigningKey.directory_id == d.id)))
            for d in (directory, default)}
        assert kinds["acme"] == kinds["default"] and kinds["acme"], kinds
        answer = app.test_client().get("/d/acme/.well-known/openid-configuration")
        assert answer.get_json()["issuer"] == "http://localhost:5000/d/acme"
        assert app.test_client().get("/d/acme/jwks").get_json()["keys"]
    assert events(any_database, "acme") == [("directory.created", {"name": "Acme B.V."})]


BAD_SLUGS = ["Acme", "-acme", "acme-", "a" * 65, "acme/b", "acme b", "ácme", "acme_b", "",
             "acme.b", "../x"]


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_directory_add_refuses_a_slug_that_is_not_a_url_path_segment(initialized, idp, slug):
    idp(initialized, "directory", "add", "--name", "X", "--", slug).assert_one_line_error(
        "slug", "lowercase letters")


@pytest.mark.parametrize("name", ["", "   ", "a" * 201, "bad\x07name"])
def test_directory_add_refuses_a_bad_name(initialized, idp, name):
    idp(initialized, "directory", "add", "named", "--name", name).assert_one_line_error("name")


def test_directory_add_refuses_an_existing_slug(initialized):
    run_idp(initialized, "directory", "add", "default", "--name", "Again") \
        .assert_one_line_error("A directory 'default' already exists.")


def test_directory_add_with_an_admin_email_needs_a_mail_server(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()

    idp(sqlite_url, "directory", "add", "acme", "--name", "Acme",
        "--admin-email", "ann@acme.example").assert_one_line_error("mail server",
                                                                   "nothing was created")

    with provider(sqlite_url):
        assert get_directory("acme") is None


@pytest.mark.parametrize("email", ["not-an-email", "ann@", "two words@acme.example"])
def test_directory_add_refuses_a_bad_admin_email_and_creates_nothing(initialized, idp, email):
    idp(initialized, "directory", "add", "bad-admin", "--name", "Acme", "--admin-email", email,
        IDP_SMTP_HOST="127.0.0.1").assert_one_line_error("--admin-email")

    with provider(initialized):
        assert get_directory("bad-admin") is None


def _live_url(live) -> str:
    with live.app.app_context():
        return db.engine.url.render_as_string(hide_password=False)


def _live_env(live, mail) -> dict[str, str]:
    return {"IDP_BASE_URL": live.url, "IDP_SMTP_HOST": mail.host,
            "IDP_SMTP_PORT": str(mail.port), "IDP_SMTP_SECURITY": "none"}


def test_directory_add_invites_its_first_admin_with_a_single_use_link(live, mail, idp):
    slug = new_directory(live).slug + "x"  # a fresh slug nobody uses
    email = f"ann@{slug}.example"

    run = idp(_live_url(live), "directory", "add", slug, "--name", "Acme B.V.",
              "--admin-email", email, **_live_env(live, mail)).assert_ok()

    assert f"Invited {email} as its admin" in run.stdout
    link = invitation_link(mail, email)
    assert link.startswith(f"{live.url}/d/{slug}/invitation/")
    person = Agent(live.url)
    assert set_password(person, link).status_code in (200, 302, 303)
    assert_link_ended(person.get(link))
    with live.app.app_context():
        directory = get_directory(slug)
        admin = find_user(directory, email)
        assert admin.is_admin and admin.password_hash is not None and admin.email_verified
        names = [e.event for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.directory_id == directory.id).order_by(AuditEvent.id))]
    assert names[:3] == ["directory.created", "admin.user_created", "admin.invitation_sent"]


def test_directory_add_creates_nothing_when_the_invitation_cannot_be_sent(live, mail, idp):
    slug = new_directory(live).slug + "y"
    mail.refuse()

    idp(_live_url(live), "directory", "add", slug, "--name", "Acme", "--admin-email",
        f"ann@{slug}.example", **_live_env(live, mail)).assert_one_line_error(
        "could not be sent", "nothing was created")

    with live.app.app_context():
        assert get_directory(slug) is None


def _activity(database_url: str, slug: str, event, at: float) -> None:
    with provider(database_url):
        audit.record(get_directory(slug).id, event, at, reason="test")
        db.session.commit()


def test_directory_list_shows_state_counts_level_and_last_activity(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()
    idp(sqlite_url, "directory", "add", "acme", "--name", "Acme B.V.").assert_ok()
    idp(sqlite_url, "directory", "set", "acme", "--required-level", "40").assert_ok()
    with provider(sqlite_url):
        acme = get_directory("acme")
        for name in ("ann", "bob"):
            create_user(acme, username=name, password=None, passwords=services().passwords,
                        now=now())
        create_client(acme, client_id="portal", redirect_uris=["https://portal.example/cb"],
                      post_logout_redirect_uris=[], now=now())
        ensure_account_client(acme, services().base_url, now())  # the provider's own: no app
        db.session.commit()
    # 2026-01-02T03:04:05Z; the operator's own later changes are not the directory's activity
    _activity(sqlite_url, "acme", audit.events.TOKENS_REVOKED, 1767323045.0)
    idp(sqlite_url, "directory", "rename", "acme", "--name", "Acme").assert_ok()
    idp(sqlite_url, "directory", "disable", "default").assert_ok()

    run = run_idp(sqlite_url, "directory", "list").assert_ok()

    lines = [line.split() for line in run.stdout.splitlines()]
    assert lines[0] == ["SLUG", "NAME", "STATE", "USERS", "APPS", "LEVEL", "LAST", "ACTIVITY"]
    assert lines[1] == ["acme", "Acme", "enabled", "2", "1", "40", "2026-01-02T03:04:05Z"]
    assert lines[2] == ["default", "Default", "disabled", "0", "0", "30", "never"]


def test_directory_show_describes_one_directory(initialized, idp):
    run = idp(initialized, "directory", "show", "default").assert_ok()

    fields = dict(line.split(": ", 1) for line in run.stdout.splitlines())
    assert fields["slug"] == "default" and fields["name"] == "Default"
    assert fields["issuer"] == "http://localhost:5000/d/default"
    assert fields["state"] == "enabled" and fields["required level"] == "30"
    assert fields["users"] == "0" and fields["apps"] == "0"


@pytest.mark.parametrize("action", [["show"], ["rename", "--name", "X"], ["disable"],
                                    ["enable"], ["remove", "--confirm", "nowhere"]])
def test_directory_commands_refuse_an_unknown_slug(initialized, idp, action):
    idp(initialized, "directory", action[0], "nowhere", *action[1:]) \
        .assert_one_line_error("no directory 'nowhere'")


def test_directory_rename_changes_the_name_and_audits_it(sqlite_url, idp):
    idp(sqlite_url, "init").assert_ok()

    run = run_idp(sqlite_url, "directory", "rename", "default", "--name", " Acme  B.V. ")

    assert run.assert_ok().stdout == "default: renamed to 'Acme B.V.'\n"
    assert events(sqlite_url, "default") == [
        ("directory.renamed", {"before": {"name": "Default"}, "after": {"name": "Acme B.V."}})]
    idp(sqlite_url, "directory", "rename", "default", "--name", " ").assert_one_line_error("name")


def _signed_in_somewhere(database_url: str, slug: str,
                         logout_uri: str | None = None) -> tuple[int, str]:
    """Give the directory a browser session with a token grant of an app (told of logouts
    at `logout_uri`); return their ids."""
    with provider(database_url):
        directory = get_directory(slug)
        user = create_user(directory, username=f"u-{slug}", password=None,
                           passwords=services().passwords, now=now())
        client, _secret = create_client(directory, client_id=f"c-{slug}",
                                        redirect_uris=["https://app.example/cb"],
                                        post_logout_redirect_uris=[], now=now(),
                                        backchannel_logout_uri=logout_uri)
        session, _token = start_session(directory, now(), None, None)
        session.user_id = user.id
        family = start_family(directory.id, client.id, user.id, session.id, None, now())
        db.session.commit()
        return session.id, family.id


def test_directory_disable_ends_sessions_and_revokes_tokens_and_enable_keeps_them_ended(
        any_database, idp):
    idp(any_database, "init").assert_ok()
    idp(any_database, "directory", "add", "other", "--name", "Other").assert_ok()
    session_id, family_id = _signed_in_somewhere(any_database, "default")
    other_session, other_family = _signed_in_somewhere(any_database, "other")

    run = run_idp(any_database, "directory", "disable", "default").assert_ok()

    assert run.stdout == "default: disabled; ended 1 sessions, revoked 1 app sign-ins\n"
    assert idp(any_database, "directory", "disable", "default").assert_ok().stdout \
        == "default: already disabled\n"
    run_idp(any_database, "directory", "enable", "default").assert_ok()
    with provider(any_database):
        assert get_directory("default").disabled_at is None
        assert db.session.get(BrowserSession, session_id).ended_at is not None
        assert db.session.get(TokenFamily, family_id).revoked_at is not None
        assert db.session.get(BrowserSession, other_session).ended_at is None
        assert db.session.get(TokenFamily, other_family).revoked_at is None
    assert [name for name, _ in events(any_database, "default")] == [
        "tokens.revoked", "directory.disabled", "directory.enabled"]
    assert events(any_database, "default")[1][1] == {"sessions": 1, "grants": 1}
    assert idp(any_database, "directory", "enable", "default").assert_ok().stdout \
        == "default: already enabled\n"


def test_directory_remove_asks_for_the_slug_again(initialized, idp):
    idp(initialized, "directory", "add", "keep", "--name", "Keep").assert_ok()

    refused = idp(initialized, "directory", "remove", "keep", stdin="kep\n")

    assert refused.returncode == 1 and "Type its slug" in refused.stderr
    assert "does not match 'keep'; nothing was removed" in refused.stderr
    idp(initialized, "directory", "remove", "keep", "--confirm", "default") \
        .assert_one_line_error("does not match")
    with provider(initialized):
        assert get_directory("keep") is not None

    removed = run_idp(initialized, "directory", "remove", "keep", stdin="keep\n").assert_ok()

    assert removed.stdout.startswith("Removed directory 'keep': ")
    with provider(initialized):
        assert get_directory("keep") is None
        assert get_directory("default") is not None


def _held(directory_id: int) -> dict[str, list]:
    """Return the keys of the rows of every table with a directory_id that name it."""
    return {table.name: list(db.session.scalars(select(*table.primary_key.columns).where(
        table.c.directory_id == directory_id)))
        for table in db.metadata.sorted_tables if "directory_id" in table.c}


def _rows(directory_id: int, held: dict[str, list]) -> dict[str, int]:
    """Count, per table, the rows naming the directory, or a row of it (as taken by _held)."""
    counts = {}
    for table in db.metadata.sorted_tables:
        if table.name == "directory":
            conditions = [table.c.id == directory_id]
        else:
            conditions = [table.c.directory_id == directory_id] if "directory_id" in table.c \
                else []
            conditions += [column.in_(held[key.column.table.name])
                           for column in table.columns for key in column.foreign_keys
                           if key.column.table.name in held]
        if conditions:
            counts[table.name] = db.session.scalar(
                select(func.count()).select_from(table).where(or_(*conditions))) or 0
    return counts


def _give_method_data(directory, user) -> None:
    """Give the user data of method packages: a voice number and a hardware token."""
    with directory.live.app.app_context():
        row = find_user(get_directory(directory.slug), user.username)
        set_voice_number(row, "+31201234567", now())
        token, = import_tokens(row.directory, read_csv(
            f"HW-{directory.slug},3132333435363738393031323334353637383930,totp,6,30"),
            services().sealer, now())
        assign_token(token, row, now())
        db.session.commit()


def test_directory_remove_deletes_everything_it_holds_and_nothing_else(live, idp,
                                                                        provider_clock):
    doomed, kept = new_directory(live), new_directory(live)
    for directory in (doomed, kept):
        user = directory.add_user(totp=True, email_verified=True)
        rp = StrictRP(directory, directory.add_client())
        signed_in(rp, user)
        provider_clock(30)  # each login its own authenticator code
        _give_method_data(directory, user)
    with live.app.app_context():
        ids = {d.slug: get_directory(d.slug).id for d in (doomed, kept)}
        held = {slug: _held(id_) for slug, id_ in ids.items()}
        before = _rows(ids[doomed.slug], held[doomed.slug])
        kept_before = _rows(ids[kept.slug], held[kept.slug])
    assert {"directory", "user_account", "credential", "client", "signing_key",
            "browser_session", "session_method", "authorization_code", "token_family", "token",
            "audit_event", "voice_number", "hardware_token"} \
        <= {table for table, count in before.items() if count}, before

    idp(_live_url(live), "directory", "remove", doomed.slug, "--confirm", doomed.slug,
        IDP_BASE_URL=live.url).assert_ok()

    with live.app.app_context():
        db.session.expire_all()
        assert not any(_rows(ids[doomed.slug], held[doomed.slug]).values())
        assert _rows(ids[kept.slug], held[kept.slug]) == kept_before
        assert db.session.get(Directory, ids[kept.slug]) is not None


def test_directory_set_counts_for_limits_how_long_methods_count(initialized, idp):
    run = idp(initialized, "directory", "set", "default", "--counts-for", "sms=1h",
              "totp=90m").assert_ok()
    assert "sms=10 (counts for 1h)" in run.stdout and "totp=10 (counts for 90m)" in run.stdout
    run = idp(initialized, "directory", "set", "default", "--counts-for", "sms=session")
    assert "sms=10," in run.assert_ok().stdout and "(counts for 90m)" in run.stdout
    refused = idp(initialized, "directory", "set", "default", "--counts-for", "sms=2 weeks")
    assert refused.returncode != 0 and "--counts-for sms" in refused.stderr


def test_directory_disable_tells_the_apps_before_the_command_ends(sqlite_url, idp):
    receiver = LogoutReceiver()
    try:
        idp(sqlite_url, "init").assert_ok()
        _signed_in_somewhere(sqlite_url, "default", receiver.uri)

        run_idp(sqlite_url, "directory", "disable", "default").assert_ok()

        # The command has ended: the logout token was posted before it did.
        assert len(receiver.tokens) == 1
        claims = json.loads(base64.urlsafe_b64decode(receiver.tokens[0].split(".")[1] + "=="))
        assert claims["aud"] == "c-default" and claims["sid"]
    finally:
        receiver.close()
