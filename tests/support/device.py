"""A device of the device authorization grant (RFC 8628), and the person who approves it.

The device is plain HTTP to the device authorization and token endpoints (RFC 8628 3.1,
3.4); the person is an Agent on the verification page and the login that follows.
"""

from __future__ import annotations

import requests

from .agent import Agent, Page
from .live import TestClient, TestDirectory, TestUser
from .rp import StrictRP

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


class Device:
    """A TV or command-line tool: it asks for codes and polls, as RFC 8628 3.1 and 3.4 say."""

    def __init__(self, directory: TestDirectory, client: TestClient):
        self.rp = StrictRP(directory, client)
        self.endpoint = self.rp.metadata["device_authorization_endpoint"]
        self.device_code = ""

    def ask_raw(self, **params: str) -> requests.Response:
        client = self.rp.client
        data = {"scope": "openid profile", **params}
        auth = None
        if client.secret:
            auth = (client.client_id, client.secret)
        else:
            data.setdefault("client_id", client.client_id)
        return requests.post(self.endpoint, data=data, auth=auth, timeout=30)

    def ask(self, **params: str) -> dict:
        """Start a device authorization; return its answer, checked (RFC 8628 3.2)."""
        response = self.ask_raw(**params)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        answer = response.json()
        self.device_code = answer["device_code"]
        return answer

    def poll(self, device_code: str | None = None) -> requests.Response:
        return self.rp.token_request({"grant_type": GRANT_TYPE,
                                      "device_code": device_code or self.device_code})

    def poll_error(self) -> str:
        response = self.poll()
        assert response.status_code == 400, response.text
        return response.json()["error"]


def enter_code(agent: Agent, url: str, code: str | None = None) -> requests.Response:
    """Open the verification page (the complete URI fills the code in) and go on."""
    page = Page(agent.get(url))
    assert page.title == "Connect a device", page.text[:300]
    return agent.submit(page, "Continue", by_label={"Code": code} if code else None)


def approve(device: Device, answer: dict, user: TestUser) -> Page:
    """Be the person: the code, the login with its step-up, then Approve; return the end page."""
    return answer_at(device.rp, answer["verification_uri_complete"], user, "Approve")


def answer_at(rp: StrictRP, url: str, user: TestUser, button: str) -> Page:
    """Open the verification URL in the RP's browser, log in (and step up with the
    authenticator app when asked), then press Approve or Deny; return the end page."""
    response = rp.log_in(enter_code(rp.agent, url), user)
    if Page(response).title == "Choose how to verify":
        response = rp.verify_totp(response, user)
    page = Page(response)
    assert page.title.startswith("Sign in to"), page.text[:300]
    return Page(rp.agent.submit(page, button))
