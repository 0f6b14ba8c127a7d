"""The ``idp`` command: set up, manage and run the provider.

    idp init [--demo]
    idp user add --directory SLUG --username NAME [--email E] [--phone +E164] [--admin]
    idp client add --directory SLUG --client-id ID --redirect-uri URI [...] [--min-acr N] [--public]
                   [--introspect-all] [--jwt-access-tokens] [--pairwise-subject]
                   [--jwks FILE | --jwks-uri URI] [--private-key-jwt] [--require-par]
                   [--require-dpop] [--backchannel-logout-uri URI] [--device-grant]
                   [--service-account admin:users,admin:audit,...]
    idp directory set SLUG [--required-level N] [--reset-level N] [--points METHOD=N ...]
                           [--counts-for METHOD=12h|session ...]
                           [--sms-types T,T] [--sms-block-countries CC,CC]
                           [--sms-allow-countries CC,CC] [--sms-block-prefixes +P,+P]
                           [--sms-non-geographic allow|refuse] [--sms-default]
                           [--session-hours N] [--idle-minutes N]
    idp directory add SLUG --name NAME [--admin-email E]
    idp directory list | show SLUG | rename SLUG --name NAME | disable SLUG | enable SLUG
    idp directory remove SLUG [--confirm SLUG]
    idp keys rotate [--directory SLUG]
    idp purge [--dry-run]
    idp run [--host H] [--port P] [--workers N] [--threads N] [--certfile F --keyfile F]
    idp serve [--host H] [--port P]
    idp config
    idp token import|list|assign|unassign ...  (a sign-in method's own commands)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .clock import now
from .config import ConfigurationError, current_settings, describe_settings
from .domain import (
    DEFAULT_POLICY,
    NUMBER_TYPES,
    InvalidSettings,
    check_reset_level,
    format_duration,
    max_reachable,
    parse_duration,
    reset_level,
)
from .domain.lifetimes import InvalidLifetimes
from .domain.settings import METHODS
from .methods import METHOD_TYPES, CommandFailed
from .production import ServerError, default_workers
from .tenants.accounts import AccountError, create_user
from .tenants.clients import ClientError, create_client
from .tenants.directories import (
    DirectoryError,
    ensure_default_directory,
    ensure_operator_directory,
    get_directory,
    issuer_of,
    session_lifetimes,
    sms_policy,
    update_levels,
    update_session_lifetimes,
)
from .tenants.service_accounts import ADMIN_SCOPES

EXIT_USAGE = 2


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def _app(*, serving: bool = False):
    """Build the app; maintenance commands run without the web's statement timeout."""
    from . import create_app

    return create_app(None if serving else {"IDP_DATABASE_STATEMENT_TIMEOUT_SECONDS": 0})


def _directory(slug: str):
    directory = get_directory(slug)
    if directory is None:
        raise CommandError(f"no directory {slug!r}; run `idp init` first")
    return directory


def cmd_init(args: argparse.Namespace) -> int:
    """Create or migrate the schema, the default and the operators' directory, their keys."""
    from .demo import describe, seed_demo
    from .services import services
    from .storage import db
    from .storage.migrate import init_lock, upgrade_schema

    app = _app()
    with app.app_context(), init_lock():  # every replica may run `idp init` at start
        upgrade_schema()
        svc = services()
        directory, created = ensure_default_directory(svc.sealer, now())
        operators, operators_created = ensure_operator_directory(svc.sealer, now())
        db.session.commit()
        if created:
            print("Created directory 'default'.")
        if operators_created:
            print(f"Created directory {operators.slug!r} for the installation's operators: "
                  f"its admins run the operator console "
                  f"({issuer_of(operators, svc.base_url)}/operator/).")
        print(f"Database ready; issuer {issuer_of(directory, svc.base_url)}")
        if args.demo:
            outbox = f"{svc.base_url}/dev/outbox" if "outbox" in current_app.view_functions \
                else None
            print(describe(seed_demo(directory, svc, now()), issuer_of(directory, svc.base_url),
                           outbox))
        db.session.remove()
    return 0


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CommandError("give the password on standard input")
    return password


def cmd_user_add(args: argparse.Namespace) -> int:
    """Add a user; the password comes from standard input."""
    from .services import services
    from .storage import db

    password = _read_password()
    with _app().app_context():
        directory = _directory(args.directory)
        user = create_user(directory, username=args.username, password=password,
                           passwords=services().passwords, now=now(), email=args.email,
                           phone=args.phone, name=args.name, is_admin=args.admin)
        db.session.commit()
        print(f"Added user {user.username} (sub {user.subject}) to {directory.slug}.")
    return 0


def cmd_client_add(args: argparse.Namespace) -> int:
    """Register a client and print its secret (none for public clients)."""
    from .storage import db

    with _app().app_context():
        directory = _directory(args.directory)
        client, secret = create_client(
            directory, client_id=args.client_id, redirect_uris=args.redirect_uri,
            post_logout_redirect_uris=args.post_logout_redirect_uri, now=now(), name=args.name,
            public=args.public, min_acr=args.min_acr, first_party=not args.consent,
            introspect_all=args.introspect_all, id_token_alg=args.id_token_alg,
            jwt_access_tokens=args.jwt_access_tokens, pairwise_subject=args.pairwise_subject,
            jwks=_read_file(args.jwks) if args.jwks else None, jwks_uri=args.jwks_uri,
            private_key_jwt=args.private_key_jwt, require_par=args.require_par,
            require_dpop=args.require_dpop,
            backchannel_logout_uri=args.backchannel_logout_uri,
            device_grant=args.device_grant,
            service_account=args.service_account is not None,
            service_scopes=(args.service_account or "").replace(",", " "))
        db.session.commit()
        print(f"client_id: {client.client_id}")
        print(f"client_secret: {secret}" if secret else "public client: no secret (use PKCE)")
    return 0


def _read_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(1024 * 1024)
    except (OSError, UnicodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc


def _points(values: Sequence[str]) -> dict[str, int]:
    points = {}
    for item in values:
        method, _, number = item.partition("=")
        if method not in METHODS or not number.strip().isdigit():
            raise CommandError(f"--points takes METHOD=N with METHOD one of {', '.join(METHODS)}")
        points[method] = int(number)
    return points


def _counts_for(values: Sequence[str]) -> dict[str, int | None]:
    counts_for: dict[str, int | None] = {}
    for item in values:
        method, _, text = item.partition("=")
        if method not in METHODS or not text.strip():
            raise CommandError(f"--counts-for takes METHOD=DURATION (90m, 12h, 30d, or "
                               f"session) with METHOD one of {', '.join(METHODS)}")
        try:
            counts_for[method] = None if text.strip() == "session" else parse_duration(text)
        except InvalidSettings as exc:
            raise CommandError(f"--counts-for {method}: {exc}") from exc
    return counts_for


SMS_OPTIONS = ("sms_types", "sms_block_countries", "sms_allow_countries", "sms_block_prefixes",
               "sms_non_geographic")


def _sms_candidate(directory, args: argparse.Namespace):
    """Return the SMS destination policy the options ask for, or None when none is given."""
    from .admin.destinations import PolicyInputError, build_policy

    if args.sms_default:
        return DEFAULT_POLICY
    if all(getattr(args, name) is None for name in SMS_OPTIONS):
        return None
    current = sms_policy(directory)

    def given(name: str, now_value: str) -> str:
        value = getattr(args, name)
        return now_value if value is None else value

    types = given("sms_types", ",".join(current.allowed_types))
    try:
        return build_policy(
            [t.strip() for t in types.split(",")],
            given("sms_block_countries", ",".join(current.blocked_regions)),
            given("sms_allow_countries", ",".join(current.allowed_regions)),
            given("sms_block_prefixes", ",".join(current.blocked_prefixes)),
            given("sms_non_geographic",
                  "allow" if current.allow_non_geographic else "refuse") == "allow")
    except PolicyInputError as exc:
        raise CommandError(f"--{exc.field.replace('_', '-') or 'sms'}: {exc}") from exc


def _set_sms_policy(directory, args: argparse.Namespace) -> None:
    """Apply the --sms-* options: audited, and say whom the change takes SMS codes from."""
    from .admin.destinations import describe, preview_sms_policy, save_sms_policy
    from .services import services

    candidate = _sms_candidate(directory, args)
    if candidate is None:
        return
    methods = services().methods
    loss = preview_sms_policy(directory, candidate, methods)
    save_sms_policy(directory, candidate, loss, actor=None, ip=None, user_agent="idp cli",
                    now=now())
    print(" ".join(describe(candidate)))
    if loss.losing:
        names = ", ".join(m.username for m in loss.losing[:20])
        more = f" and {len(loss.losing) - 20} more" if len(loss.losing) > 20 else ""
        print(f"no longer texted: {len(loss.losing)} ({names}{more}); "
              f"locked out by it: {len(loss.locked_out)}")


def cmd_directory_set(args: argparse.Namespace) -> int:
    """Change a directory's required level, method points, SMS destinations and session
    lifetimes."""
    from .storage import db

    with _app().app_context():
        directory = _directory(args.slug)
        settings = update_levels(directory, args.required_level, _points(args.points or []),
                                 _counts_for(args.counts_for or []))
        reachable = max_reachable(settings)
        if reachable < settings.required_level:
            # Nobody could log in any more: refuse rather than lock every user out.
            raise CommandError(f"no combination of enabled methods reaches level "
                               f"{settings.required_level} (at most {reachable})")
        if args.reset_level is not None:
            # 0: follow the required level again.
            directory.reset_level = check_reset_level(settings, args.reset_level or None)
        _set_sms_policy(directory, args)
        lifetimes = update_session_lifetimes(directory, args.session_hours, args.idle_minutes)
        db.session.commit()
        points = ", ".join(f"{m}={settings.points_of(m)}" + (
            f" (counts for {format_duration(settings.counts_for[m])})"
            if settings.counts_for[m] is not None else "") for m in METHODS)
        resets = reset_level(settings, directory.reset_level)
        print(f"{directory.slug}: required level {settings.required_level}; "
              f"reset level {resets}{'' if directory.reset_level else ' (the required level)'}; "
              f"{points}; sessions last {lifetimes.hours} h, {lifetimes.idle_minutes} min idle")
    return 0


def cmd_directory_add(args: argparse.Namespace) -> int:
    """Create a directory as `idp init` creates `default`; invite its first admin by email."""
    from .admin.directories import add_directory, remove_directory
    from .admin.users import UserAdminError
    from .services import services
    from .storage import db
    from .users.invitations import InvitationError, send_invitation

    with _app().app_context():
        svc = services()
        if args.admin_email is not None and not current_settings().smtp_host:
            # The dev outbox would keep the link in this process's memory: lost at its exit.
            raise CommandError("--admin-email needs a mail server to send the invitation "
                               "(IDP_SMTP_HOST); nothing was created")
        try:
            directory, admin = add_directory(args.slug, args.name, sealer=svc.sealer, now=now(),
                                             admin_email=args.admin_email,
                                             passwords=svc.passwords)
            db.session.commit()
        except UserAdminError as exc:
            raise CommandError(f"--admin-email: {exc}") from exc
        except IntegrityError as exc:  # another `idp directory add` of the same slug won
            raise CommandError(f"directory {args.slug!r} already exists") from exc
        issuer = issuer_of(directory, svc.base_url)
        if admin is not None:
            ttl_hours = current_settings().invitation_ttl_hours
            try:
                send_invitation(directory, admin, None, now(), delivery=svc.delivery,
                                base_url=svc.base_url, ttl_hours=ttl_hours)
            except InvitationError as exc:
                # Nothing half-made: without its admin the new directory is of no use.
                db.session.rollback()
                remove_directory(_directory(args.slug))
                db.session.commit()
                raise CommandError(f"{exc} Nothing was created.") from exc
        print(f"Created directory {directory.slug!r} ({directory.name}); issuer {issuer}")
        if admin is not None:
            print(f"Invited {admin.email} as its admin: the link works once, for "
                  f"{ttl_hours} hours.")
    return 0


def _when(at: float | None) -> str:
    return "never" if at is None else _utc(at)


def _state(disabled_at: float | None) -> str:
    return "enabled" if disabled_at is None else "disabled"


def cmd_directory_list(_args: argparse.Namespace) -> int:
    """List the directories: state, users, apps, required level and last activity."""
    from .admin.directories import summarize_directories

    with _app().app_context():
        rows = [(d.slug, d.name, _state(d.disabled_at), str(d.users), str(d.apps),
                 str(d.required_level), _when(d.last_activity))
                for d in summarize_directories()]
    header = ("SLUG", "NAME", "STATE", "USERS", "APPS", "LEVEL", "LAST ACTIVITY")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())
    return 0


def cmd_directory_show(args: argparse.Namespace) -> int:
    """Describe one directory."""
    from .admin.directories import summarize_directories
    from .services import services

    with _app().app_context():
        directory = _directory(args.slug)
        summary = summarize_directories(directory.slug)[0]
        issuer = issuer_of(directory, services().base_url)
    state = _state(summary.disabled_at)
    if summary.disabled_at is not None:
        state += f" since {_utc(summary.disabled_at)}"
    for label, value in (("slug", summary.slug), ("name", summary.name), ("issuer", issuer),
                         ("state", state), ("created", _utc(summary.created_at)),
                         ("users", summary.users), ("apps", summary.apps),
                         ("required level", summary.required_level),
                         ("last activity", _when(summary.last_activity))):
        print(f"{label}: {value}")
    return 0


def cmd_directory_rename(args: argparse.Namespace) -> int:
    """Give a directory a new display name (its slug, and so its issuer, stay)."""
    from .admin.directories import rename_directory
    from .storage import db

    with _app().app_context():
        directory = _directory(args.slug)
        changed = rename_directory(directory, args.name, now())
        db.session.commit()
        print(f"{directory.slug}: {'renamed to' if changed else 'already named'} "
              f"{directory.name!r}")
    return 0


def cmd_directory_disable(args: argparse.Namespace) -> int:
    """Refuse a directory's logins and tokens: end its sessions, revoke its tokens."""
    from .admin.directories import disable_directory
    from .storage import db

    with _app().app_context():
        directory = _directory(args.slug)
        ended = disable_directory(directory, now())
        db.session.commit()
    if ended is None:
        print(f"{args.slug}: already disabled")
    else:
        print(f"{args.slug}: disabled; ended {ended.sessions} sessions, revoked "
              f"{ended.grants} app sign-ins")
    return 0


def cmd_directory_enable(args: argparse.Namespace) -> int:
    """Serve a disabled directory again (what disabling ended stays ended)."""
    from .admin.directories import enable_directory
    from .storage import db

    with _app().app_context():
        directory = _directory(args.slug)
        changed = enable_directory(directory, now())
        db.session.commit()
    print(f"{args.slug}: {'enabled' if changed else 'already enabled'}")
    return 0


def cmd_directory_remove(args: argparse.Namespace) -> int:
    """Delete a directory and everything it holds, once its slug is typed again."""
    from .admin.directories import remove_directory
    from .storage import db

    with _app().app_context():
        directory = _directory(args.slug)
        confirm = args.confirm
        if confirm is None:
            print(f"This deletes directory {directory.slug!r} ({directory.name}) with all its "
                  "users, apps, keys, sessions, tokens and audit log. Type its slug to go on: ",
                  end="", file=sys.stderr, flush=True)
            confirm = sys.stdin.readline().strip()
            print(file=sys.stderr)
        if confirm != directory.slug:
            raise CommandError(f"the slug given does not match {directory.slug!r}; nothing "
                               "was removed")
        deleted = remove_directory(directory)
        db.session.commit()
    print(f"Removed directory {args.slug!r}: " + (", ".join(
        f"{count} {table}" for table, count in sorted(deleted.items())) or "it held nothing"))
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Publish new signing keys now; they sign once cached JWKS copies have them."""
    from .services import services
    from .storage import db
    from .tenants.keys import rotate_keys

    with _app().app_context():
        directory = _directory(args.directory)
        svc = services()
        policy = svc.key_rotation(session_lifetimes(directory).absolute_seconds)
        start = now()
        for key in rotate_keys(directory.id, svc.sealer, start, ahead=policy.ahead,
                               publish_for=policy.publish_for):
            print(f"New {key.alg} key {key.kid}: published now, signs from "
                  f"{_utc(key.signs_from)} (in {round(key.signs_from - start)} s)")
        db.session.commit()
        print(f"The keys they replace sign until then and stay published "
              f"{round(policy.publish_for)} s longer.")
    return 0


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete expired logins, codes, tokens and sessions, and audit events past retention;
    rehash recovery codes still stored as SHA-256 alone."""
    from .domain.policies import ACCESS_TOKEN_MINUTES, longest_seconds
    from .services import services
    from .storage import db
    from .storage.retention import purge_expired

    with _app().app_context():
        # A code is kept while a token made from it may live, in any directory.
        grace = max(int(current_settings().access_token_ttl_seconds),
                    longest_seconds(ACCESS_TOKEN_MINUTES))
        counts = purge_expired(now(), grace,
                               current_settings().audit_retention_days)
        recovery = services().methods["recovery"]
        if args.dry_run:
            db.session.rollback()
            rehashed = recovery.count_stored_as_sha256()  # type: ignore[attr-defined]
        else:
            db.session.commit()
            rehashed = recovery.rehash_all()  # type: ignore[attr-defined]
    verb = "would delete" if args.dry_run else "deleted"
    print("; ".join([*(f"{verb} {count} {name}" for name, count in counts.items()),
                     f"{'would rehash' if args.dry_run else 'rehashed'} {rehashed} old "
                     "SHA-256 recovery codes with argon2id"]))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run the provider in production: granian worker processes (``idp.production``)."""
    from pathlib import Path

    from .production import ServerOptions, run, start_over_tuned

    if (args.certfile is None) != (args.keyfile is None):
        raise CommandError("--certfile and --keyfile go together")
    if args.workers < 1 or args.threads < 1:
        raise CommandError("--workers and --threads must be at least 1")
    start_over_tuned()
    run(ServerOptions(host=args.host, port=args.port, workers=args.workers,
                      threads=args.threads, log_level=args.log_level,
                      access_log=args.access_log,
                      certfile=Path(args.certfile) if args.certfile else None,
                      keyfile=Path(args.keyfile) if args.keyfile else None))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the provider with the development server."""
    _app(serving=True).run(host=args.host, port=args.port, threaded=True)
    return 0


def _sealer():
    from .services import services

    return services().sealer


def cmd_config(_args: argparse.Namespace) -> int:
    """List every configuration key."""
    print(describe_settings())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``idp`` command."""
    parser = argparse.ArgumentParser(prog="idp", description="GRIP-style OpenID Connect provider")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create or migrate the database, the default directory "
                                       "and the operators' directory")
    init.add_argument("--demo", action="store_true", help="add demo users and the portal client")
    init.set_defaults(func=cmd_init)

    user = sub.add_parser("user").add_subparsers(dest="action", required=True)
    add_user = user.add_parser("add", help="add a user (password on standard input)")
    add_user.add_argument("--directory", required=True)
    add_user.add_argument("--username", required=True)
    add_user.add_argument("--email")
    add_user.add_argument("--phone", help="in E.164, e.g. +31612345678")
    add_user.add_argument("--name")
    add_user.add_argument("--admin", action="store_true")
    add_user.set_defaults(func=cmd_user_add)

    client = sub.add_parser("client").add_subparsers(dest="action", required=True)
    add_client = client.add_parser("add", help="register a relying app")
    add_client.add_argument("--directory", required=True)
    add_client.add_argument("--client-id", required=True)
    add_client.add_argument("--redirect-uri", action="append", default=[],
                            help="required unless the client is only a service account or "
                                 "only signs in devices with a code")
    add_client.add_argument("--post-logout-redirect-uri", action="append", default=[])
    add_client.add_argument("--min-acr", type=int)
    add_client.add_argument("--public", action="store_true", help="no secret; PKCE required")
    add_client.add_argument("--name")
    add_client.add_argument("--consent", action="store_true",
                            help="not first-party: users are asked to consent")
    add_client.add_argument("--id-token-alg", default="RS256", choices=["RS256", "ES256"])
    add_client.add_argument("--jwt-access-tokens", action="store_true",
                            help="access tokens as JWTs signed with the directory's keys "
                                 "(RFC 9068), carrying acr, amr and auth_time, which an API "
                                 "checks by itself")
    add_client.add_argument("--pairwise-subject", action="store_true",
                            help="each person gets a subject identifier (sub) of the app's "
                                 "own, unlinkable to other apps' (OIDC Core 8.1)")
    keys = add_client.add_mutually_exclusive_group()
    keys.add_argument("--jwks", metavar="FILE",
                      help="a JSON file with the app's public keys (a JWK Set), which check "
                           "its client assertions and request objects")
    keys.add_argument("--jwks-uri", help="where the app publishes its public keys (https)")
    add_client.add_argument("--private-key-jwt", action="store_true",
                            help="the app authenticates with a JWT signed by its key (RFC "
                                 "7523) instead of a secret; needs --jwks or --jwks-uri")
    add_client.add_argument("--require-par", action="store_true",
                            help="the app's authorization requests must be pushed first "
                                 "(RFC 9126)")
    add_client.add_argument("--require-dpop", action="store_true",
                            help="the app gets tokens only with a DPoP proof (RFC 9449), "
                                 "bound to its key")
    add_client.add_argument("--backchannel-logout-uri", metavar="URI",
                            help="where the app is sent a logout token when a session it "
                                 "got tokens in ends (OpenID Connect Back-Channel Logout)")
    add_client.add_argument("--device-grant", action="store_true",
                            help="the app may sign in devices without a browser (TVs, "
                                 "command-line tools) with a code the person types elsewhere "
                                 "(RFC 8628)")
    add_client.add_argument("--introspect-all", action="store_true",
                            help="a resource server: may introspect the tokens of every app "
                                 "of the directory (RFC 7662), not only its own")
    add_client.add_argument("--service-account", metavar="SCOPES",
                            help="a service account: may get tokens with the client_credentials "
                                 "grant for these admin scopes (comma-separated: "
                                 f"{', '.join(ADMIN_SCOPES)})")
    add_client.set_defaults(func=cmd_client_add)

    directory = sub.add_parser("directory").add_subparsers(dest="action", required=True)
    set_dir = directory.add_parser(
        "set", help="change the required level, method points and session lifetimes")
    set_dir.add_argument("slug")
    set_dir.add_argument("--required-level", type=int)
    set_dir.add_argument("--reset-level", type=int, metavar="N",
                         help="the level a password reset must reach without the password "
                              "(0: the required level)")
    set_dir.add_argument("--points", nargs="+", metavar="METHOD=N")
    set_dir.add_argument("--counts-for", nargs="+", metavar="METHOD=DURATION",
                         help="how long a method counts towards a login's level once "
                              "completed (90m, 12h, 30d; session: the whole session)")
    set_dir.add_argument("--sms-types", metavar="T,T",
                         help="kinds of number SMS codes may go to: "
                              + ", ".join(NUMBER_TYPES))
    set_dir.add_argument("--sms-block-countries", metavar="CC,CC",
                         help="countries (ISO codes or English names) never texted; replaces "
                              "the list ('' for none)")
    set_dir.add_argument("--sms-allow-countries", metavar="CC,CC",
                         help="only these countries are texted ('' for all not blocked)")
    set_dir.add_argument("--sms-block-prefixes", metavar="+P,+P",
                         help="number ranges never texted, e.g. +3197")
    set_dir.add_argument("--sms-non-geographic", choices=["allow", "refuse"],
                         help="satellite and international network numbers (+881, +882 ...)")
    set_dir.add_argument("--sms-default", action="store_true",
                         help="reset the SMS destinations to the safe default")
    set_dir.add_argument("--session-hours", type=int, metavar="N",
                         help="a browser session ends N hours after it started (1-720)")
    set_dir.add_argument("--idle-minutes", type=int, metavar="N",
                         help="a browser session ends after N minutes unused (5-1440)")
    set_dir.set_defaults(func=cmd_directory_set)
    add_dir = directory.add_parser(
        "add", help="create a directory (its keys and default levels), optionally inviting "
                    "its first admin")
    add_dir.add_argument("slug", help="its part of the URL: lowercase letters, digits, hyphens")
    add_dir.add_argument("--name", required=True, help="the name its users see")
    add_dir.add_argument("--admin-email", metavar="E",
                         help="create its first admin and email them an invitation link")
    add_dir.set_defaults(func=cmd_directory_add)
    list_dir = directory.add_parser(
        "list", help="list the directories (last activity: the newest audit event other "
                     "than the operator's own changes)")
    list_dir.set_defaults(func=cmd_directory_list)
    for action, func, text in (("show", cmd_directory_show, "describe a directory"),
                               ("disable", cmd_directory_disable,
                                "refuse its logins and tokens; end its sessions"),
                               ("enable", cmd_directory_enable, "serve a disabled directory")):
        one = directory.add_parser(action, help=text)
        one.add_argument("slug")
        one.set_defaults(func=func)
    rename_dir = directory.add_parser("rename", help="change a directory's display name")
    rename_dir.add_argument("slug")
    rename_dir.add_argument("--name", required=True)
    rename_dir.set_defaults(func=cmd_directory_rename)
    remove_dir = directory.add_parser(
        "remove", help="delete a directory and all it holds (asks for the slug again)")
    remove_dir.add_argument("slug")
    remove_dir.add_argument("--confirm", metavar="SLUG",
                            help="the slug again, instead of typing it (for scripts)")
    remove_dir.set_defaults(func=cmd_directory_remove)

    keys = sub.add_parser("keys").add_subparsers(dest="action", required=True)
    rotate = keys.add_parser("rotate", help="introduce new signing keys")
    rotate.add_argument("--directory", default="default")
    rotate.set_defaults(func=cmd_keys_rotate)

    purge = sub.add_parser("purge", help="delete expired rows (run it daily, e.g. from cron)")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.set_defaults(func=cmd_purge)

    run = sub.add_parser("run", help="run the provider in production (granian worker processes)")
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    run.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    run.add_argument("--workers", type=int, default=default_workers(),
                     help="worker processes (one per CPU)")
    run.add_argument("--threads", type=int, default=4,
                     help="requests each worker answers at once (4)")
    run.add_argument("--log-level", default="info",
                     choices=("debug", "info", "warning", "error", "critical"))
    run.add_argument("--access-log", action="store_true",
                     help="granian's access log besides the provider's own lines")
    run.add_argument("--certfile", help="serve https with this certificate (PEM)")
    run.add_argument("--keyfile", help="the certificate's key (PEM, PKCS#8)")
    run.set_defaults(func=cmd_run)

    serve = sub.add_parser("serve", help="run the development server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.set_defaults(func=cmd_serve)

    config = sub.add_parser("config", help="list every configuration key")
    config.set_defaults(func=cmd_config)
    for method in METHOD_TYPES:  # the commands a method brings of its own (idp token ...)
        method.add_commands(sub, app=_app, directory=_directory, sealer=_sealer)
    return parser


EXPECTED: tuple[type[Exception], ...] = (CommandError, CommandFailed, AccountError, ClientError,
                                         DirectoryError, InvalidSettings, InvalidLifetimes,
                                         ConfigurationError, ServerError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; expected failures print one line and exit 1."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except EXPECTED as exc:
        message = getattr(exc, "description", None) or str(exc)
        print(f"idp: error: {message}", file=sys.stderr)
        return 1
