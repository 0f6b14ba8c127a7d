"""Command line of the authenticator-app simulator: python -m clients.authenticator COMMAND ...

Exit status: 0 done, 1 the provider refused (its error_description is printed on stderr), it
could not be reached, or the state file is missing or damaged; 2 wrong arguments.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO

from clients.authenticator.api import (
    ActivationLinkError,
    ApiError,
    AuthenticatorApp,
    AuthenticatorError,
    parse_activation_link,
    parse_activation_qr,
)
from clients.authenticator.state import StateError, load_state, resolve

PROG = "python -m clients.authenticator"
NAME = "authenticator"
PIN_PATTERN = re.compile(r"[0-9]{5}")

DESCRIPTION = """\
Simulates the provider's authenticator app: activate it for a user with the activation code
from the provider's "Set up the app" page, then list, approve or deny the sign-ins waiting for
approval. The device key and id are kept in a JSON state file (mode 0600)."""

EPILOG = """\
examples:
  %(prog)s activate --link 'http://localhost:5000/d/default/app/activate?code=ABCD-EFGH-JK' \\
      --name 'Pixel 8' --pin 58213
  %(prog)s list
  %(prog)s approve Q3fX9k --number 42 --pin 58213
  %(prog)s deny Q3fX9k
  %(prog)s remove"""


def _pin_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pin", required=True, metavar="PIN",
                        help="the 5-digit PIN; '-' reads it from the first line of stdin")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (one sub-parser per command)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state", metavar="PATH", default=argparse.SUPPRESS,
                        help="state file (default ~/.grip-authenticator.json)")
    common.add_argument("--timeout", metavar="SECONDS", type=float, default=argparse.SUPPRESS,
                        help="HTTP timeout (default 10)")

    parser = argparse.ArgumentParser(
        prog=PROG, description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state", metavar="PATH", default=None,
                        help="state file (default ~/.grip-authenticator.json)")
    parser.add_argument("--timeout", metavar="SECONDS", type=float, default=10.0,
                        help="HTTP timeout (default 10)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    activate = commands.add_parser(
        "activate", parents=[common], help="activate the app for a user (makes a new device key)",
        description="Activate the app with the code from the provider's \"Set up the app\" "
                    "page: give the link, the QR code's text, or the issuer and the typed code.")
    source = activate.add_mutually_exclusive_group(required=True)
    source.add_argument("--link", metavar="URL",
                        help="activation link: ISSUER/app/activate?code=...")
    source.add_argument("--qr", metavar="TEXT",
                        help="QR code text: gripidp://activate?issuer=...&code=...")
    source.add_argument("--issuer", metavar="URL",
                        help="the directory's issuer, e.g. http://localhost:5000/d/default "
                             "(with --code)")
    activate.add_argument("--code", metavar="CODE",
                          help="the activation code as shown (with --issuer)")
    activate.add_argument("--name", required=True, metavar="NAME",
                          help="device name, e.g. 'Pixel 8'")
    _pin_argument(activate)
    activate.add_argument("--force", action="store_true",
                          help="replace an existing state file (the old device stays at the "
                               "provider)")
    activate.set_defaults(handler=cmd_activate, parser=activate)

    listing = commands.add_parser("list", parents=[common], help="list the pending approvals",
                                  description="List the sign-ins waiting for this app's approval.")
    listing.set_defaults(handler=cmd_list, parser=listing)

    approve = commands.add_parser(
        "approve", parents=[common], help="approve a pending sign-in",
        description="Approve a sign-in: give the number the browser shows and your PIN.")
    approve.add_argument("id", metavar="ID", help="the approval's id (from list)")
    approve.add_argument("--number", required=True, type=int, metavar="N",
                         help="the number shown in the browser (one of the three choices)")
    _pin_argument(approve)
    approve.set_defaults(handler=cmd_approve, parser=approve)

    deny = commands.add_parser("deny", parents=[common], help="deny a pending sign-in",
                               description="Deny a sign-in you did not start.")
    deny.add_argument("id", metavar="ID", help="the approval's id (from list)")
    deny.set_defaults(handler=cmd_deny, parser=deny)

    remove = commands.add_parser(
        "remove", parents=[common], help="remove this device at the provider and forget it",
        description="Remove this device at the provider, then delete the state file.")
    remove.add_argument("--local-only", action="store_true",
                        help="only delete the state file, without telling the provider")
    remove.set_defaults(handler=cmd_remove, parser=remove)

    show = commands.add_parser("show", parents=[common], help="show the local state (no network)",
                               description="Show what the state file holds (not the private key).")
    show.set_defaults(handler=cmd_show, parser=show)
    return parser


# -- argument checks ---------------------------------------------------------------------------

def read_pin(args: argparse.Namespace, stdin: TextIO) -> str:
    """Return the PIN of --pin (read from stdin for '-'); usage error unless it is 5 digits."""
    pin = args.pin
    if pin == "-":
        pin = stdin.readline().strip()
        if not pin:
            args.parser.error("--pin -: no PIN on standard input")
    if not PIN_PATTERN.fullmatch(pin):
        args.parser.error("--pin: the PIN is 5 digits")
    return pin


def activation_source(args: argparse.Namespace) -> tuple[str, str]:
    """Return (issuer, code) from --link, --qr or --issuer/--code; usage error otherwise."""
    if args.issuer is not None:
        if not args.code or not args.code.strip():
            args.parser.error("--issuer needs --code")
        try:
            parse_activation_link(f"{args.issuer.rstrip('/')}/app/activate?code=x")
        except ActivationLinkError:
            args.parser.error(f"--issuer: not an http(s) URL: {args.issuer!r}")
        return args.issuer.rstrip("/"), args.code.strip()
    if args.code is not None:
        args.parser.error("--code goes with --issuer (a link or QR code carries its own code)")
    try:
        if args.link is not None:
            return parse_activation_link(args.link)
        return parse_activation_qr(args.qr)
    except ActivationLinkError as exc:
        args.parser.error(f"{'--link' if args.link is not None else '--qr'}: {exc}")
    raise AssertionError("unreachable")  # pragma: no cover - parser.error exits


# -- commands ----------------------------------------------------------------------------------

def cmd_activate(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    issuer, code = activation_source(args)
    pin = read_pin(args, stdin)
    if not args.name.strip():
        args.parser.error("--name: give the device a name")
    path = resolve(args.state)
    if path.exists() and not args.force:
        try:
            old = load_state(path)
            who = f" for {old.username} in {old.directory} ({old.issuer})"
        except StateError:
            who = ""
        raise StateError(f"already activated{who}: {path} exists; run remove first, "
                         "or use --force or another --state")
    app = AuthenticatorApp(state_path=path, timeout=args.timeout)
    state = app.activate(issuer, code, args.name.strip(), pin)
    print(f"Activated {state.device_name} for {state.username} in {state.directory}", file=out)
    return 0


def cmd_list(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    app = AuthenticatorApp.load(resolve(args.state), timeout=args.timeout)
    approvals = app.pending()
    print(format_approvals(approvals, time.time()), file=out)
    return 0


def cmd_approve(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    if not 0 <= args.number <= 99:
        args.parser.error("--number: the number in the browser has two digits")
    pin = read_pin(args, stdin)
    app = AuthenticatorApp.load(resolve(args.state), timeout=args.timeout)
    answer = app.approve(args.id, args.number, pin)
    print(_status_line(answer, "approved"), file=out)
    return 0


def cmd_deny(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    app = AuthenticatorApp.load(resolve(args.state), timeout=args.timeout)
    answer = app.deny(args.id)
    print(_status_line(answer, "denied"), file=out)
    return 0


def cmd_remove(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    path = resolve(args.state)
    app = AuthenticatorApp.load(path, timeout=args.timeout)
    name = app.state.device_name
    if args.local_only:
        app.forget()
        print(f"Forgot {name} here; the provider still lists it ({path} deleted)", file=out)
        return 0
    try:
        app.remove()
    except ApiError as exc:
        if exc.error != "unknown_device":
            raise
        app.forget()
        print(f"The provider no longer knows {name}; forgot it here too ({path} deleted)",
              file=out)
        return 0
    print(f"Removed {name} ({path} deleted)", file=out)
    return 0


def cmd_show(args: argparse.Namespace, out: TextIO, stdin: TextIO) -> int:
    path = resolve(args.state)
    state = load_state(path)
    jwk = state.key.public_jwk()
    print(f"Device:    {state.device_name} ({state.device_id})\n"
          f"User:      {state.username} in {state.directory}\n"
          f"Issuer:    {state.issuer}\n"
          f"Activated: {_when(state.activated_at)}\n"
          f"Key:       P-256 x={jwk['x']} y={jwk['y']}\n"
          f"State:     {path}", file=out)
    return 0


# -- output ------------------------------------------------------------------------------------

def _status_line(answer: object, fallback: str) -> str:
    status = answer.get("status") if isinstance(answer, dict) else None
    return f"{(status if isinstance(status, str) and status else fallback).capitalize()}."


def _when(epoch: object) -> str:
    if not isinstance(epoch, int | float) or isinstance(epoch, bool):
        return "?"
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def _seconds(delta: float) -> str:
    delta = int(round(delta))
    return f"{delta // 60} min {delta % 60} s" if delta >= 60 else f"{delta} s"


def format_approval(approval: dict, now: float) -> str:
    """Return the lines that show one pending approval."""
    created, expires = approval.get("created_at"), approval.get("expires_at")
    when = _when(created)
    notes = []
    if isinstance(created, int | float):
        notes.append(f"{_seconds(max(0.0, now - created))} ago")
    if isinstance(expires, int | float):
        notes.append(f"expires in {_seconds(expires - now)}" if expires > now else "expired")
    if notes:
        when += f" ({'; '.join(notes)})"
    choices = approval.get("choices")
    shown = ("   ".join(f"{c:02d}" if isinstance(c, int) else str(c) for c in choices)
             if isinstance(choices, list) else "?")
    return (f"id:         {approval.get('id', '?')}\n"
            f"client:     {approval.get('client', '?')}\n"
            f"directory:  {approval.get('directory', '?')}\n"
            f"when:       {when}\n"
            f"from:       {approval.get('ip', '?')}, {approval.get('user_agent', '?')}\n"
            f"choices:    {shown}")


def format_approvals(approvals: list[dict], now: float) -> str:
    """Return the `list` output."""
    if not approvals:
        return "No pending approvals."
    head = "1 pending approval:" if len(approvals) == 1 else f"{len(approvals)} pending approvals:"
    return head + "\n\n" + "\n\n".join(format_approval(a, now) for a in approvals)


# -- entry point -------------------------------------------------------------------------------

ID_COMMANDS = ("approve", "deny")


def protect_ids(argv: Sequence[str]) -> list[str]:
    """Move an approval id that starts with "-" behind "--", so it is not read as an option.

    Approval ids are opaque and URL-safe: "-" is one of their characters.
    """
    argv = list(argv)
    for index, word in enumerate(argv[:-1]):
        following = argv[index + 1]
        if word in ID_COMMANDS and following.startswith("-") and not following.startswith("--") \
                and following not in ("-h",):
            return argv[:index + 1] + argv[index + 2:] + ["--", following]
    return argv


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None,
         err: TextIO | None = None, stdin: TextIO | None = None) -> int:
    """Run one command; return the exit status (argument errors raise SystemExit(2))."""
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    args = build_parser().parse_args(protect_ids(sys.argv[1:] if argv is None else argv))
    try:
        return args.handler(args, out, stdin)
    except ApiError as exc:
        message = f"{NAME}: {exc.description} ({exc.error})"
        if exc.attempts_left is not None:
            message += f"\n{exc.attempts_left} PIN attempt(s) left before the app is blocked"
        print(message, file=err)
    except (AuthenticatorError, StateError) as exc:
        print(f"{NAME}: {exc}", file=err)
    return 1
