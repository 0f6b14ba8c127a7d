"""The portal's end of OpenID Connect Back-Channel Logout 1.0: check a logout token as
section 2.6 says, and remember which sessions ended so the next request of each drops it.

The portal keeps its sessions in signed cookies, which it cannot reach from the provider's
post; it remembers the ended ``sid`` values (and, for a token naming only the person, the
``sub`` with the time of the logout) in memory, and each request of a session that ended
clears it (``Ended.covers``). A portal of several processes would keep them in a store they
share.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

EVENT = "http://schemas.openid.net/event/backchannel-logout"
MAX_TOKEN = 8192
#: How far a logout token's iat may be from the portal's clock (seconds).
SKEW = 300
#: How many ended sessions and seen token ids are remembered (the oldest forgotten first).
REMEMBERED = 10_000


class LogoutTokenError(ValueError):
    """The logout token is not one the portal may act on; the message says why."""


class _Bounded:
    """Keys with a value, the oldest forgotten beyond ``REMEMBERED``."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: str, value: float) -> bool:
        """Remember `key`; return False when it was remembered already."""
        with self._lock:
            known = key in self._items
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > REMEMBERED:
                self._items.popitem(last=False)
            return not known

    def get(self, key: str) -> float | None:
        return self._items.get(key)


class Ended:
    """The sessions the provider said ended: by sid, or by sub up to a moment."""

    def __init__(self) -> None:
        self._sids = _Bounded()
        self._subs = _Bounded()

    def add(self, claims: dict[str, Any]) -> None:
        """Remember the end a checked logout token tells of."""
        if isinstance(claims.get("sid"), str):
            self._sids.put(claims["sid"], claims["iat"])
        else:
            self._subs.put(claims["sub"], claims["iat"])

    def covers(self, user: dict[str, Any]) -> bool:
        """Say whether the signed-in `user` (the ID token's claims the session keeps) was
        logged out: its session's sid ended, or every session of its sub until then."""
        sid, sub = user.get("sid"), user.get("sub")
        if isinstance(sid, str) and self._sids.get(sid) is not None:
            return True
        until = self._subs.get(sub) if isinstance(sub, str) else None
        return until is not None and float(user.get("logged_in_at", 0)) <= until


class LogoutTokens:
    """Checks logout tokens of one provider for one client (section 2.6)."""

    def __init__(self, issuer: str, client_id: str,
                 keys: Callable[[bool], dict[str, Any]],
                 clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._keys = keys  # the provider's JWK Set; True: fetch it again
        self._clock = clock
        self._seen = _Bounded()

    def check(self, token: object) -> dict[str, Any]:
        """Return the claims of a valid logout token, seen for the first time; raise
        LogoutTokenError otherwise."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
            raise LogoutTokenError("logout_token is missing or too long")
        try:
            header = jws.extract_compact(token.encode()).headers()
        except (JoseError, ValueError) as exc:
            raise LogoutTokenError("logout_token is not a JWT") from exc
        if header.get("typ") != "logout+jwt":
            raise LogoutTokenError("logout_token is not typed logout+jwt")
        claims = self._verified(token, header.get("kid"))
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock()), leeway=SKEW,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            iat={"essential": True}, jti={"essential": True})
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise LogoutTokenError(f"logout_token: {exc.description}") from exc
        if abs(self._clock() - claims["iat"]) > SKEW:
            raise LogoutTokenError("logout_token was not issued just now")
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
            raise LogoutTokenError("logout_token has no back-channel logout event")
        if "nonce" in claims:
            raise LogoutTokenError("logout_token must not have a nonce")
        if not isinstance(claims.get("sid"), str) and not isinstance(claims.get("sub"), str):
            raise LogoutTokenError("logout_token names neither a session nor a person")
        if not self._seen.put(str(claims["jti"]), claims["iat"]):
            raise LogoutTokenError("logout_token was used before")
        return claims

    def _verified(self, token: str, kid: object) -> dict[str, Any]:
        """Verify the signature with the provider's keys, fetched again for an unknown kid."""
        for fetch_again in (False, True):
            keys = KeySet.import_key_set(self._keys(fetch_again))
            if fetch_again or kid is None or any(key.kid == kid for key in keys.keys):
                try:
                    return jwt.decode(token, keys, algorithms=["RS256", "ES256"]).claims
                except (JoseError, ValueError) as exc:
                    raise LogoutTokenError("logout_token is not signed by the provider") \
                        from exc
        raise LogoutTokenError("logout_token is not signed by the provider")
