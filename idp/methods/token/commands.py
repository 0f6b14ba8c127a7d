"""The ``idp token`` commands: import a vendor's file, list, assign and take back tokens.

    idp token import FILE [--directory SLUG] [--pskc-key HEX]
    idp token list [--directory SLUG]
    idp token assign SERIAL USER [--directory SLUG]
    idp token unassign SERIAL [--directory SLUG]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime

from ... import audit
from ...clock import now
from ...storage import db
from ...tenants.accounts import find_user
from ..base import CommandFailed
from .inventory import (
    InventoryError,
    assign_token,
    find_token,
    import_tokens,
    list_tokens,
    unassign_token,
)
from .parsers import TokenFileError, read_tokens


def _when(at: float | None) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M") if at else "-"


def add_commands(sub, *, app: Callable, directory: Callable, sealer: Callable) -> None:
    """Add ``idp token ...`` to the parser; `app` builds the app, `directory` finds one by
    slug (or fails), `sealer` returns the app's sealer."""

    def cmd_import(args: argparse.Namespace) -> int:
        try:
            key = bytes.fromhex(args.pskc_key) if args.pskc_key else None
        except ValueError as exc:
            raise CommandFailed("--pskc-key takes the pre-shared key in hex") from exc
        try:
            with open(args.file, "rb") as handle:
                records = read_tokens(handle.read(1 << 24), key)
        except OSError as exc:
            raise CommandFailed(f"cannot read {args.file}: {exc.strerror}") from exc
        except TokenFileError as exc:
            raise CommandFailed(f"{args.file}: {exc}") from exc
        if not records:
            raise CommandFailed(f"{args.file}: no tokens in it")
        with app().app_context():
            found = directory(args.directory)
            try:
                tokens = import_tokens(found, records, sealer(), now())
            except InventoryError as exc:
                raise CommandFailed(str(exc)) from exc
            db.session.commit()
            print(f"Imported {len(tokens)} tokens into {found.slug}.")
        return 0

    def cmd_list(args: argparse.Namespace) -> int:
        with app().app_context():
            for token, user in list_tokens(directory(args.directory)):
                print(f"{token.serial}\t{token.kind}\t{token.digits}\t"
                      f"{user.username if user else '-'}\t{_when(token.last_used_at)}")
        return 0

    def cmd_assign(args: argparse.Namespace) -> int:
        with app().app_context():
            found = directory(args.directory)
            token, user = find_token(found, args.serial), find_user(found, args.user)
            if token is None:
                raise CommandFailed(f"no token {args.serial!r} in {found.slug}")
            if user is None:
                raise CommandFailed(f"no user {args.user!r} in {found.slug}")
            if not assign_token(token, user, now()):
                raise CommandFailed(f"token {token.serial} is assigned already; "
                                    "unassign it first")
            audit.record(found.id, audit.events.METHOD_ENROLLED, now(), user_id=user.id,
                         user_agent="idp cli", method="token", name=token.serial)
            db.session.commit()
            print(f"Assigned token {token.serial} to {user.username}.")
        return 0

    def cmd_unassign(args: argparse.Namespace) -> int:
        with app().app_context():
            found = directory(args.directory)
            token = find_token(found, args.serial)
            if token is None:
                raise CommandFailed(f"no token {args.serial!r} in {found.slug}")
            holder = token.user_id
            unassign_token(token)
            if holder is not None:
                audit.record(found.id, audit.events.METHOD_REMOVED, now(), user_id=holder,
                             user_agent="idp cli", method="token", name=token.serial)
            db.session.commit()
            print(f"Token {token.serial} is unassigned.")
        return 0

    token = sub.add_parser("token", help="hardware OATH tokens").add_subparsers(
        dest="action", required=True)
    do_import = token.add_parser("import", help="import tokens from a CSV or PSKC file")
    do_import.add_argument("file")
    do_import.add_argument("--pskc-key", metavar="HEX",
                           help="the pre-shared key of a PSKC file with encrypted seeds")
    do_import.set_defaults(func=cmd_import)
    do_list = token.add_parser("list", help="list the tokens and whom they are assigned to")
    do_list.set_defaults(func=cmd_list)
    do_assign = token.add_parser("assign", help="assign a token to a user")
    do_assign.add_argument("serial")
    do_assign.add_argument("user", help="username or email address")
    do_assign.set_defaults(func=cmd_assign)
    do_unassign = token.add_parser("unassign", help="take a token back from its user")
    do_unassign.add_argument("serial")
    do_unassign.set_defaults(func=cmd_unassign)
    for parser in (do_import, do_list, do_assign, do_unassign):
        parser.add_argument("--directory", default="default")
