"""A strict relying party: builds requests, checks every response as a certified RP would."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from authlib.oauth2.rfc7523.client import ASSERTION_TYPE
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.clock import now as clock_now

from .agent import Agent, Page
from .live import TestClient, TestDirectory, TestUser

SKEW = 60


def s256(verifier: str) -> str:
    """Return the PKCE S256 challenge of a verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def half_hash(value: str, alg: str) -> str:
    """Return at_hash/c_hash of a value for RS256/ES256 (OIDC Core 3.1.3.6)."""
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


@dataclass
class Pending:
    """What the RP remembers between the authorization request and the response."""

    state: str
    nonce: str
    verifier: str


class StrictRP:
    """A relying party of one directory and client, driving an Agent as the user's browser."""

    def __init__(self, directory: TestDirectory, client: TestClient, agent: Agent | None = None):
        self.directory = directory
        self.client = client
        self.agent = agent or Agent(directory.live.url)
        self.metadata = requests.get(
            f"{directory.issuer}/.well-known/openid-configuration", timeout=30).json()
        assert self.metadata["issuer"] == directory.issuer
        self.pending: Pending | None = None

    # -- the authorization request -------------------------------------------------------
    def authorization_url(self, **params: str | None) -> str:
        """Return an authorization URL with state, nonce and PKCE unless overridden."""
        self.pending = Pending(secrets.token_urlsafe(16), secrets.token_urlsafe(16),
                               secrets.token_urlsafe(48))
        query = {"response_type": "code", "client_id": self.client.client_id,
                 "redirect_uri": self.client.redirect_uri, "scope": "openid profile email",
                 "state": self.pending.state, "nonce": self.pending.nonce,
                 "code_challenge": s256(self.pending.verifier), "code_challenge_method": "S256"}
        query.update(params)
        return self.metadata["authorization_endpoint"] + "?" + urlencode(
            {k: v for k, v in query.items() if v is not None})

    def request_object(self, key=None, **claims) -> str:
        """Return the parameters of an authorization request (as ``authorization_url`` makes
        them, or `claims`) as a request object (RFC 9101) signed with the client's key."""
        query = dict(parse_qs(urlparse(self.authorization_url()).query))
        payload = {name: values[0] for name, values in query.items()}
        payload.update(iss=self.client.client_id, aud=self.directory.issuer,
                       exp=int(clock_now()) + 300)
        payload.update(claims)
        key = key or self.client.key
        header = {"alg": "ES256" if key.key_type == "EC" else "RS256", "kid": key.kid}
        return jwt.encode(header, {k: v for k, v in payload.items() if v is not None}, key)

    def push(self, auth: str = "basic", **params: str | None) -> requests.Response:
        """Push an authorization request (RFC 9126) with the client's authentication;
        `params` replace or (None) drop those ``authorization_url`` makes."""
        query = dict(parse_qs(urlparse(self.authorization_url(**params)).query))
        data = {name: values[0] for name, values in query.items()}
        return self.post_as_client(self.metadata["pushed_authorization_request_endpoint"],
                                   data, auth)

    def start_with(self, **query: str) -> requests.Response:
        """Send the browser to the authorization endpoint with exactly `query` (and the
        client_id), keeping what the last request made remembers (state, PKCE)."""
        return self.agent.get(self.metadata["authorization_endpoint"] + "?" + urlencode(
            {"client_id": self.client.client_id, **query}))

    def start(self, **params: str | None) -> requests.Response:
        """Send the browser to the authorization endpoint; return where it stops."""
        return self.agent.get(self.authorization_url(**params))

    def response_params(self, response: requests.Response) -> dict[str, str]:
        """Check a redirect to our redirect URI (iss per RFC 9207, state) and return its query."""
        assert response.is_redirect, f"expected a redirect, got {response.status_code}: " \
                                     f"{response.text[:300]}"
        location = response.headers["Location"]
        assert location.startswith(self.client.redirect_uri + "?"), location
        params = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
        assert params.get("iss") == self.directory.issuer, params
        if self.pending is not None:
            assert params.get("state") == self.pending.state, params
        return params

    # -- the user at the provider --------------------------------------------------------
    def log_in(self, response: requests.Response, user: TestUser) -> requests.Response:
        """Fill in the login form on the page the browser stopped at."""
        page = Page(response)
        assert page.title.startswith("Log in"), page.text[:300]
        return self.agent.submit(page, "Log in", by_label={
            "Username or email": user.username, "Password": user.password})

    def verify_totp(self, response: requests.Response, user: TestUser) -> requests.Response:
        """Choose the authenticator app on the step-up page and enter its code."""
        page = Page(response)
        assert page.title == "Choose how to verify", page.text[:300]
        form_page = Page(self.agent.get(page.link("Continue with authenticator app")))
        return self.agent.submit(form_page, "Verify", by_label={"Code": user.totp()})

    def sign_in(self, user: TestUser, **params: str | None) -> dict[str, str]:
        """Run the whole front channel (login, then TOTP if asked) and return the response."""
        return self.finish(self.start(**params), user)

    def finish(self, response: requests.Response, user: TestUser) -> dict[str, str]:
        """Log in (then TOTP if asked) where the browser stopped; return the response."""
        if not response.is_redirect:
            response = self.log_in(response, user)
        if not response.is_redirect and Page(response).title == "Choose how to verify":
            response = self.verify_totp(response, user)
        return self.response_params(response)

    # -- the back channel ----------------------------------------------------------------
    def token_request(self, data: dict[str, str], auth: str = "basic") -> requests.Response:
        """POST to the token endpoint with client_secret_basic, client_secret_post,
        private_key_jwt or none."""
        return self.post_as_client(self.metadata["token_endpoint"], data, auth)

    def post_as_client(self, url: str, data: dict[str, str], auth: str = "basic",
                       headers: dict[str, str] | None = None) -> requests.Response:
        """POST `data` to an endpoint that authenticates apps, as the client: with
        client_secret_basic, client_secret_post, private_key_jwt (addressed to `url`) or
        none (its client_id)."""
        data = dict(data)
        kwargs: dict = {}
        if auth == "private_key_jwt":
            data.update(client_assertion_type=ASSERTION_TYPE,
                        client_assertion=self.client_assertion(url))
        elif auth == "basic" and self.client.secret:
            kwargs["auth"] = (self.client.client_id, self.client.secret)
        elif auth == "post" and self.client.secret:
            data.update(client_id=self.client.client_id, client_secret=self.client.secret)
        else:
            data["client_id"] = self.client.client_id
        return requests.post(url, data=data, headers=headers, timeout=30, **kwargs)

    def client_assertion(self, audience: str | None = None, **claims) -> str:
        """Return a client assertion (RFC 7523 2.2) signed with the client's key."""
        key = self.client.key
        moment = int(clock_now())
        payload = {"iss": self.client.client_id, "sub": self.client.client_id,
                   "aud": audience or self.metadata["token_endpoint"],
                   "jti": secrets.token_urlsafe(16), "iat": moment, "exp": moment + 60,
                   **claims}
        header = {"alg": "ES256" if key.key_type == "EC" else "RS256", "kid": key.kid}
        return jwt.encode(header, {k: v for k, v in payload.items() if v is not None}, key)

    def dpop_proof(self, key, method: str, url: str, nonce: str | None = None,
                   access_token: str | None = None, **claims) -> str:
        """Return a DPoP proof (RFC 9449 4.2) made with `key` for a request."""
        payload = {"jti": secrets.token_urlsafe(16), "htm": method, "htu": url,
                   "iat": int(clock_now()), "nonce": nonce, **claims}
        if access_token is not None:
            payload["ath"] = base64.urlsafe_b64encode(hashlib.sha256(
                access_token.encode()).digest()).rstrip(b"=").decode()
        header = {"typ": "dpop+jwt", "alg": "ES256" if key.key_type == "EC" else "RS256",
                  "jwk": key.as_dict(private=False)}
        return jwt.encode(header, {k: v for k, v in payload.items() if v is not None}, key)

    def exchange(self, code: str, auth: str = "basic", verifier: str | None = None) -> dict:
        """Exchange a code, check the token response and the ID token; return the tokens."""
        assert self.pending is not None
        response = self.token_request({
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": self.client.redirect_uri,
            "code_verifier": verifier or self.pending.verifier}, auth)
        assert response.status_code == 200, response.text
        assert response.headers["Cache-Control"] == "no-store"
        tokens = response.json()
        assert tokens["token_type"].lower() == "bearer"
        tokens["claims"] = self.check_id_token(tokens["id_token"], tokens["access_token"])
        return tokens

    def jwks(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.metadata["jwks_uri"], timeout=30).json())

    def check_id_token(self, id_token: str, access_token: str | None = None,
                       nonce: str | None = None) -> dict:
        """Validate an ID token as OIDC Core 3.1.3.7 requires; return its claims."""
        header = jwt.decode(id_token, self.jwks(), algorithms=["RS256", "ES256"])
        claims = header.claims
        alg = header.header["alg"]
        assert header.header.get("kid"), "the ID token names its key"
        assert alg in self.metadata["id_token_signing_alg_values_supported"]
        assert claims["iss"] == self.directory.issuer
        audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        assert self.client.client_id in audience
        if len(audience) > 1 or "azp" in claims:
            assert claims["azp"] == self.client.client_id
        now = clock_now()  # the provider's clock: the tests move it forward for both
        assert isinstance(claims["exp"], int) and claims["exp"] > now
        assert isinstance(claims["iat"], int) and claims["iat"] <= now + SKEW
        assert isinstance(claims["sub"], str) and 0 < len(claims["sub"]) <= 255
        expected_nonce = nonce or (self.pending.nonce if self.pending else None)
        if expected_nonce:
            assert claims.get("nonce") == expected_nonce
        assert isinstance(claims["auth_time"], int) and claims["auth_time"] <= now + SKEW
        assert claims["acr"] in self.metadata["acr_values_supported"] or claims["acr"].isdigit()
        assert isinstance(claims["amr"], list) and claims["amr"]
        if access_token and "at_hash" in claims:
            assert claims["at_hash"] == half_hash(access_token, alg)
        return claims

    def userinfo(self, access_token: str, how: str = "header") -> requests.Response:
        """Call userinfo with the token in the header (GET or POST) or the form body."""
        url = self.metadata["userinfo_endpoint"]
        if how == "header":
            return requests.get(url, headers={"Authorization": f"Bearer {access_token}"},
                                timeout=30)
        if how == "post-header":
            return requests.post(url, headers={"Authorization": f"Bearer {access_token}"},
                                 timeout=30)
        return requests.post(url, data={"access_token": access_token}, timeout=30)
