"""Sample protected API: invoices and a bank account, each route needing its own login
level and age, answered as RFC 9470 says when the access token falls short.

| route | needs |
|---|---|
| ``GET /invoices`` | level 30, a login of the last 12 hours |
| ``GET /bank-account`` | level 30, a login of the last 12 hours |
| ``PUT /bank-account`` | level 40, a login of the last 5 minutes |

It accepts the JWT access tokens (RFC 9068) the provider issues to one app (``API_AUDIENCE``,
the portal) and checks them itself with the directory's published keys
(``clients.api.stepup``). What it keeps is sample data in memory, per person (``sub``).
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable

from flask import Flask, jsonify, request

from .stepup import StepUp

DEFAULTS = {
    "API_ISSUER": "http://localhost:5000/d/default",
    "API_AUDIENCE": "portal",
}
#: Levels and ages of the routes: reading needs what the portal's Billing page needs,
#: changing where the money goes needs more, and a fresh login.
READ_LEVEL, READ_MAX_AGE = 30, 12 * 3600
CHANGE_LEVEL, CHANGE_MAX_AGE = 40, 300
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
INVOICES = [
    {"number": "2026-0412", "date": "2026-11-01", "amount": "49.00", "currency": "EUR"},
    {"number": "2026-0388", "date": "2026-10-01", "amount": "49.00", "currency": "EUR"},
]


def create_api(config: dict | None = None, clock: Callable[[], float] = time.time) -> Flask:
    """Create the API app; config overrides the API_* environment variables, `clock` tells
    the time a login's age is measured at."""
    settings = {key: os.environ.get(key, default) for key, default in DEFAULTS.items()}
    settings.update(config or {})
    app = Flask(__name__)
    app.config.update(settings)
    step_up = StepUp(settings["API_ISSUER"], settings["API_AUDIENCE"], clock)
    accounts: dict[str, str] = {}
    lock = threading.Lock()

    @app.get("/invoices")
    @step_up.requires(acr=READ_LEVEL, max_age=READ_MAX_AGE)
    def invoices():
        """List the person's invoices."""
        return jsonify({"sub": step_up.claims()["sub"], "invoices": INVOICES})

    @app.get("/bank-account")
    @step_up.requires(acr=READ_LEVEL, max_age=READ_MAX_AGE)
    def bank_account():
        """Show where the person's refunds go."""
        with lock:
            iban = accounts.get(step_up.claims()["sub"])
        return jsonify({"iban": iban})

    @app.put("/bank-account")
    @step_up.requires(acr=CHANGE_LEVEL, max_age=CHANGE_MAX_AGE)
    def change_bank_account():
        """Change where the person's refunds go."""
        body = request.get_json(silent=True)
        iban = body.get("iban") if isinstance(body, dict) else None
        iban = re.sub(r"\s+", "", iban).upper() if isinstance(iban, str) else ""
        if not IBAN.match(iban):
            return jsonify({"error": "invalid_request",
                            "error_description": "iban: an IBAN, such as NL91ABNA0417164300"}), 400
        with lock:
            accounts[step_up.claims()["sub"]] = iban
        return jsonify({"iban": iban})

    return app
