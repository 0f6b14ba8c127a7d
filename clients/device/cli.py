"""Command line of the device: python -m clients.device --issuer URL --client-id ID ...

Exit status: 0 signed in (the ID token's claims are printed as JSON, or the granted scope when
no ID token was asked for), 1 the sign-in was denied, expired or refused, or the provider could
not be reached (the reason is printed on stderr), 2 wrong arguments.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from clients.device.flow import DeviceFlow, DeviceFlowError, Started

PROG = "python -m clients.device"
NAME = "device"

DESCRIPTION = """\
A device without a browser, like a TV or a command-line tool, signing a person in with the
device authorization grant (RFC 8628): it shows a code and where to type it, waits while the
person logs in on their phone or computer and approves, and then prints the ID token's claims."""

EPILOG = """\
example:
  %(prog)s --issuer http://localhost:5000/d/default --client-id tv --acr-values 30"""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issuer", required=True, metavar="URL",
                        help="the directory's issuer, e.g. http://localhost:5000/d/default")
    parser.add_argument("--client-id", required=True, metavar="ID",
                        help="the app's client id (an app allowed to sign in devices)")
    parser.add_argument("--client-secret", metavar="SECRET",
                        help="the app's secret, for a confidential app (none for a public one)")
    parser.add_argument("--scope", default="openid profile",
                        help="what to ask for (default: 'openid profile')")
    parser.add_argument("--acr-values", metavar="LEVEL",
                        help="the least level the login must reach, e.g. 30")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="HTTP timeout (default 10)")
    return parser


def instructions(started: Started) -> str:
    """Return what the person at the device is told to do."""
    lines = [f"To sign in, open {started.verification_uri} on your phone or computer",
             "and enter this code:", "", f"    {started.user_code}", ""]
    if started.verification_uri_complete:
        lines.append(f"Or open {started.verification_uri_complete}")
    minutes = max(1, started.expires_in // 60)
    lines.append(f"Waiting for the sign-in to be approved (the code works for {minutes} "
                 f"minutes)...")
    return "\n".join(lines)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Sign in with the device flow; print the instructions, then the claims."""
    flow = DeviceFlow(args.issuer, args.client_id, args.client_secret, timeout=args.timeout)
    started = flow.start(args.scope, args.acr_values)
    print(instructions(started), file=out, flush=True)
    tokens = flow.poll(started)
    if "id_token" not in tokens:
        print(f"Signed in; granted scope: {tokens.get('scope', '')!r} (no ID token: the scope "
              f"did not include openid).", file=out, flush=True)
        return 0
    claims = flow.id_token_claims(tokens["id_token"])
    print("Signed in. The ID token's claims:", file=out)
    print(json.dumps(claims, indent=2, sort_keys=True), file=out, flush=True)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    """Run the command line; return the exit status."""
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        return run(args, out)
    except DeviceFlowError as exc:
        print(f"{NAME}: {exc}", file=err, flush=True)
        return 1
    except KeyboardInterrupt:
        print(f"{NAME}: stopped.", file=err)
        return 1
