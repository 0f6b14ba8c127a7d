"""Run the provider, the sample portal and the sample API together, on SQLite with demo
data.

    python -m clients.demo

The provider is at http://localhost:5000, the portal at http://localhost:5001 and the API
it calls at http://localhost:5002 (all listen on 127.0.0.1; "localhost" in the URLs
because browsers refuse an IP address as a passkey's RP ID). The demo users and their
passwords are printed at start.
"""

from __future__ import annotations

import argparse
import threading

from werkzeug.serving import make_server

from clients.api import create_api
from clients.portal import create_portal
from idp import create_app
from idp.clock import now
from idp.demo import describe, seed_demo
from idp.services import services
from idp.storage import db
from idp.storage.migrate import upgrade_schema
from idp.tenants.directories import ensure_default_directory, issuer_of


def prepare(app, portal_url: str) -> tuple[str, str, str]:
    """Migrate, create the default directory and the demo data; return issuer, secret, summary."""
    with app.app_context():
        upgrade_schema()
        svc = services()
        directory, _created = ensure_default_directory(svc.sealer, now())
        db.session.commit()
        issuer = issuer_of(directory, svc.base_url)
        data = seed_demo(directory, svc, now(), portal_url=portal_url)
        outbox = f"{svc.base_url}/dev/outbox" if "outbox" in app.view_functions else None
        return issuer, data.portal_secret, describe(data, issuer, outbox)


def banner(provider_url: str, portal_url: str, api_url: str, issuer: str,
           summary: str) -> str:
    """Return what `make run` prints at start: the URLs, the issuer once, the demo data."""
    return (f"\nProvider: {provider_url}  (issuer {issuer})\nPortal:   {portal_url}\n"
            f"API:      {api_url}  (called by the portal's Invoices page)\n{summary}\n"
            "Open the portal and choose Billing (30) to log in with a password and a second "
            "step.\nPress Ctrl-C to stop.")


def main() -> int:
    """Start both servers and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--public-host", default="localhost", help="host name in the URLs")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--portal-port", type=int, default=5001)
    parser.add_argument("--api-port", type=int, default=5002)
    args = parser.parse_args()
    provider_url = f"http://{args.public_host}:{args.port}"
    portal_url = f"http://{args.public_host}:{args.portal_port}"
    api_url = f"http://{args.public_host}:{args.api_port}"
    app = create_app({"IDP_BASE_URL": provider_url})
    issuer, secret, summary = prepare(app, portal_url)
    portal = create_portal({"PORTAL_ISSUER": issuer, "PORTAL_CLIENT_ID": "portal",
                            "PORTAL_CLIENT_SECRET": secret, "PORTAL_BASE_URL": portal_url,
                            "PORTAL_API_URL": api_url})
    api = create_api({"API_ISSUER": issuer, "API_AUDIENCE": "portal"})
    servers = [make_server(args.host, args.port, app, threaded=True),
               make_server(args.host, args.portal_port, portal, threaded=True),
               make_server(args.host, args.api_port, api, threaded=True)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(banner(provider_url, portal_url, api_url, issuer, summary), flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
