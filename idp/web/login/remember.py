"""The remembered-device cookie of a directory: recognise this browser, or remember it.

The method itself (records, signing, naming) is ``idp.methods.device``; this module
reads and writes its cookie and decides when to ask.
"""

from __future__ import annotations

from flask import g, request

from ... import audit
from ...clock import now
from ...methods import MethodContext, MethodFailed, RememberedDeviceMethod
from ...services import services
from ...storage.models import BrowserSession, Interaction, User
from ...tenants.directories import level_settings
from ...users.sessions import complete_method
from ..context import client_ip, current_session, set_session_token


def _device() -> RememberedDeviceMethod | None:
    method = services().methods.get("device")
    if not isinstance(method, RememberedDeviceMethod):
        return None
    if level_settings(g.directory).points_of("device") <= 0:
        return None  # a method worth 0 points is off
    return method


def _context(user: User) -> MethodContext:
    session = current_session()
    return MethodContext(directory=g.directory, user=user, now=now(), sealer=services().sealer,
                         session_id=session.id if session else None, ip=client_ip())


def _recognised(session: BrowserSession) -> bool:
    return any(m.method == "device" for m in session.methods)


def recognise_device(session: BrowserSession, user: User) -> None:
    """Complete the device method in the session when this browser is the user's remembered one."""
    method = _device()
    cookie = request.cookies.get(services().cookies.device_name(g.directory))
    if method is None or not cookie or _recognised(session):
        return
    try:
        verified = method.verify(_context(user), {"device": cookie[:512]})
    except MethodFailed:
        return
    set_session_token(complete_method(session, user, "device", verified.amr, now()))
    audit.record(g.directory.id, audit.events.METHOD_COMPLETED, now(), user_id=user.id,
                 ip=client_ip(), user_agent=request.user_agent.string, method="device")


def this_device(user: User) -> str | None:
    """Return the item key of the user's remembered device that is this browser, if any."""
    method = services().methods.get("device")
    cookie = request.cookies.get(services().cookies.device_name(g.directory))
    if not isinstance(method, RememberedDeviceMethod) or not cookie:
        return None
    return method.key_of(user, cookie[:512], now())


def offer_remember() -> bool:
    """Return whether to offer "Remember this device": the method is on, this browser is not."""
    session = current_session()
    return _device() is not None and session is not None and not _recognised(session)


def remember_if_asked(interaction: Interaction | None, user: User) -> None:
    """Remember this browser when the person ticked the box and the login reached its level."""
    method = _device()
    if method is None or interaction is None or not interaction.state.get("remember_device"):
        return
    g.device_cookie = method.remember(_context(user), request.user_agent.string)
    audit.record(g.directory.id, audit.events.DEVICE_REMEMBERED, now(), user_id=user.id,
                 ip=client_ip(), user_agent=request.user_agent.string)
