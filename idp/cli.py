"""The ``idp`` command: set up, manage and run the provider.

    idp init [--demo]
    idp user add --directory SLUG --username NAME [--email E] [--phone +E164] [--admin]
    idp client add --directory SLUG --client-id ID --redirect-uri URI [...] [--min-acr N] [--public]
                   [--introspect-all]
    idp directory set SLUG [--required-level N] [--points METHOD=N ...]
    idp keys rotate [--directory SLUG]
    idp purge [--dry-run]
    idp serve [--host H] [--port P]
    idp config
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from flask import current_app

from .accounts import AccountError, create_user
from .clock import now
from .directories import (
    DirectoryError,
    ensure_default_directory,
    get_directory,
    issuer_of,
    update_levels,
)
from .domain import InvalidSettings, max_reachable
from .domain.settings import METHODS
from .relying_parties import ClientError, create_client
from .settings import ConfigurationError, describe_settings

EXIT_USAGE = 2


class CommandError(Exception):
    """A command cannot do what was asked; the message says why."""


def _app():
    from . import create_app

    return create_app()


def _directory(slug: str):
    directory = get_directory(slug)
    if directory is None:
        raise CommandError(f"no directory {slug!r}; run `idp init` first")
    return directory


def cmd_init(args: argparse.Namespace) -> int:
    """Create or migrate the schema, the default directory and its keys."""
    from .demo import describe, seed_demo
    from .services import services
    from .storage import db
    from .storage.migrate import upgrade_schema

    app = _app()
    with app.app_context():
        upgrade_schema()
        svc = services()
        directory, created = ensure_default_directory(svc.sealer, now())
        db.session.commit()
        if created:
            print("Created directory 'default'.")
        print(f"Database ready; issuer {issuer_of(directory, svc.base_url)}")
        if args.demo:
            outbox = f"{svc.base_url}/dev/outbox" if "outbox" in current_app.view_functions \
                else None
            print(describe(seed_demo(directory, svc, now()), issuer_of(directory, svc.base_url),
                           outbox))
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
            introspect_all=args.introspect_all, id_token_alg=args.id_token_alg)
        db.session.commit()
        print(f"client_id: {client.client_id}")
        print(f"client_secret: {secret}" if secret else "public client: no secret (use PKCE)")
    return 0


def _points(values: Sequence[str]) -> dict[str, int]:
    points = {}
    for item in values:
        method, _, number = item.partition("=")
        if method not in METHODS or not number.strip().isdigit():
            raise CommandError(f"--points takes METHOD=N with METHOD one of {', '.join(METHODS)}")
        points[method] = int(number)
    return points


def cmd_directory_set(args: argparse.Namespace) -> int:
    """Change a directory's required level and method points."""
    from .storage import db

    with _app().app_context():
        directory = _directory(args.slug)
        settings = update_levels(directory, args.required_level, _points(args.points or []))
        reachable = max_reachable(settings)
        if reachable < settings.required_level:
            # Nobody could log in any more: refuse rather than lock every user out.
            raise CommandError(f"no combination of enabled methods reaches level "
                               f"{settings.required_level} (at most {reachable})")
        db.session.commit()
        points = ", ".join(f"{m}={settings.points_of(m)}" for m in METHODS)
        print(f"{directory.slug}: required level {settings.required_level}; {points}")
    return 0


def cmd_keys_rotate(args: argparse.Namespace) -> int:
    """Add new signing keys; old public keys stay published until their tokens expire."""
    from .oidc.keys import rotate_keys
    from .services import services
    from .storage import db

    with _app().app_context():
        directory = _directory(args.directory)
        svc = services()
        publish_for = max(svc.ttl("ID_TOKEN"), svc.ttl("ACCESS_TOKEN")) + 300
        for key in rotate_keys(directory.id, svc.sealer, now(), publish_for):
            print(f"New {key.alg} key {key.kid}")
        db.session.commit()
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete expired logins, codes, tokens and sessions, and audit events past retention;
    rehash recovery codes still stored as SHA-256 alone."""
    from .retention import purge_expired, rehash_recovery_codes
    from .services import services
    from .storage import db

    with _app().app_context():
        counts = purge_expired(now(), services().ttl("ACCESS_TOKEN"),
                               services().settings["IDP_AUDIT_RETENTION_DAYS"])
        recovery = services().methods["recovery"]
        if args.dry_run:
            db.session.rollback()
            rehashed = recovery.count_stored_as_sha256()  # type: ignore[attr-defined]
        else:
            db.session.commit()
            rehashed = rehash_recovery_codes(recovery)  # type: ignore[arg-type]
    verb = "would delete" if args.dry_run else "deleted"
    print("; ".join([*(f"{verb} {count} {name}" for name, count in counts.items()),
                     f"{'would rehash' if args.dry_run else 'rehashed'} {rehashed} old "
                     "SHA-256 recovery codes with argon2id"]))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the provider with the development server."""
    _app().run(host=args.host, port=args.port, threaded=True)
    return 0


def cmd_config(_args: argparse.Namespace) -> int:
    """List every configuration key."""
    print(describe_settings())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``idp`` command."""
    parser = argparse.ArgumentParser(prog="idp", description="GRIP-style OpenID Connect provider")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="create or migrate the database and default directory")
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
    add_client.add_argument("--redirect-uri", action="append", required=True)
    add_client.add_argument("--post-logout-redirect-uri", action="append", default=[])
    add_client.add_argument("--min-acr", type=int)
    add_client.add_argument("--public", action="store_true", help="no secret; PKCE required")
    add_client.add_argument("--name")
    add_client.add_argument("--consent", action="store_true",
                            help="not first-party: users are asked to consent")
    add_client.add_argument("--id-token-alg", default="RS256", choices=["RS256", "ES256"])
    add_client.add_argument("--introspect-all", action="store_true",
                            help="a resource server: may introspect the tokens of every app "
                                 "of the directory (RFC 7662), not only its own")
    add_client.set_defaults(func=cmd_client_add)

    directory = sub.add_parser("directory").add_subparsers(dest="action", required=True)
    set_dir = directory.add_parser("set", help="change the required level and method points")
    set_dir.add_argument("slug")
    set_dir.add_argument("--required-level", type=int)
    set_dir.add_argument("--points", nargs="+", metavar="METHOD=N")
    set_dir.set_defaults(func=cmd_directory_set)

    keys = sub.add_parser("keys").add_subparsers(dest="action", required=True)
    rotate = keys.add_parser("rotate", help="introduce new signing keys")
    rotate.add_argument("--directory", default="default")
    rotate.set_defaults(func=cmd_keys_rotate)

    purge = sub.add_parser("purge", help="delete expired rows (run it daily, e.g. from cron)")
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.set_defaults(func=cmd_purge)

    serve = sub.add_parser("serve", help="run the development server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.set_defaults(func=cmd_serve)

    config = sub.add_parser("config", help="list every configuration key")
    config.set_defaults(func=cmd_config)
    return parser


EXPECTED: tuple[type[Exception], ...] = (CommandError, AccountError, ClientError, DirectoryError,
                                         InvalidSettings, ConfigurationError)


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
