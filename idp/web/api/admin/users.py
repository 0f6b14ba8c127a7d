"""The admin API's users: find, show, create and invite, change, disable, enable, remove a
sign-in item, log out everywhere (scope ``admin:users``), with ``idp.admin.users``."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from ....admin.users import (
    UserAdminError,
    change_user,
    create_invited_user,
    get_user,
    live_sessions,
    log_out_user,
    methods_of_users,
    remove_method,
    search_users,
    switch_user,
)
from ....clock import now
from ....config import current_settings
from ....services import services
from ....storage import db
from ....storage.models import Client, User
from ....users.enrolments import Enrolment, list_enrolments
from ....users.invitations import InvitationError, send_invitation
from ....users.recovery import ResetRefused, send_reset_link
from ...context import client_ip
from . import ApiError, admin_api, operation, page_size, paging_key, read_body, refused


def _user(user: User, methods: frozenset[str]) -> dict[str, Any]:
    return {"id": user.id, "subject": user.subject, "username": user.username,
            "name": user.name, "email": user.email, "email_verified": user.email_verified,
            "phone": user.phone, "phone_verified": user.phone_verified,
            "admin": user.is_admin, "disabled": user.disabled,
            "has_password": user.password_hash is not None, "methods": sorted(methods),
            "created_at": int(user.created_at), "updated_at": int(user.updated_at)}


def _item(item: Enrolment) -> dict[str, Any]:
    return {"key": item.key, "method": item.method, "label": item.label,
            "removable": item.removable, "counts": item.counts,
            "created_at": int(item.created_at) if item.created_at is not None else None,
            "last_used_at": int(item.last_used_at) if item.last_used_at is not None else None}


def _user_detail(user: User) -> dict[str, Any]:
    methods = services().methods
    moment = now()
    return {**_user(user, methods_of_users(g.directory, [user], methods)[user.id]),
            "items": [_item(item) for item in list_enrolments(user, moment, methods)],
            "live_sessions": live_sessions(user, moment)}


def _load_user(user_id: str) -> User:
    user = get_user(g.directory, user_id)
    if user is None:
        raise ApiError("not_found", "There is no such user in this directory.", 404)
    return user


def _invite(user: User, client: Client) -> dict[str, Any]:
    """Email the user an invitation (``send_invitation``); say whether it went."""
    svc = services()
    try:
        send_invitation(g.directory, user, client, now(), delivery=svc.delivery,
                        base_url=svc.base_url, ttl_hours=current_settings().invitation_ttl_hours)
    except InvitationError as exc:
        db.session.rollback()
        return {"sent": False, "error_description": str(exc)}
    return {"sent": True, "email": user.email}


@admin_api.get("/users")
@operation("admin:users")
def list_users(client: Client):
    """List the directory's users in username order, a page at a time, matching ``q``."""
    query = request.args.get("q", "")
    if len(query) > 100:
        raise ApiError("invalid_request", "q has at most 100 characters.")
    page = search_users(g.directory, services().methods, query, after=paging_key("after"),
                        before=paging_key("before"), size=page_size())
    return jsonify({"users": [_user(user, page.methods[user.id]) for user in page.users],
                    "next_after": page.next_after, "previous_before": page.previous_before})


USER_FIELDS = {"username": (str, 150), "name": (str, 200), "email": (str, 254),
               "phone": (str, 32), "admin": (bool, 0), "invite": (bool, 0)}


@admin_api.post("/users")
@operation("admin:users")
def create_user(client: Client):
    """Create a user without a password and (unless ``invite`` is false) invite them."""
    body = read_body(USER_FIELDS)
    try:
        user = create_invited_user(
            g.directory, client, username=body.get("username") or "", name=body.get("name"),
            email=body.get("email"), phone=body.get("phone"),
            is_admin=bool(body.get("admin", False)), now=now(), passwords=services().passwords)
    except UserAdminError as exc:
        raise refused(exc) from exc
    db.session.commit()
    invitation = _invite(user, client) if body.get("invite", True) else {"sent": False}
    return jsonify({"user": _user_detail(user), "invitation": invitation}), 201


@admin_api.get("/users/<user_id>")
@operation("admin:users")
def read_user(client: Client, user_id: str):
    """Show one user with their sign-in items and live sessions."""
    return jsonify(_user_detail(_load_user(user_id)))


@admin_api.patch("/users/<user_id>")
@operation("admin:users")
def update_user(client: Client, user_id: str):
    """Change a user's name, email or phone (fields left out stay as they are)."""
    user = _load_user(user_id)
    body = read_body({"name": (str, 200), "email": (str, 254), "phone": (str, 32)})
    values = {name: body.get(name, getattr(user, name)) for name in ("name", "email", "phone")}
    try:
        change_user(g.directory, user, client, now=now(), **values)
    except UserAdminError as exc:
        raise refused(exc) from exc
    db.session.commit()
    return jsonify(_user_detail(user))


@admin_api.post("/users/<user_id>/invitation")
@operation("admin:users")
def invite_user(client: Client, user_id: str):
    """Send the user a new invitation (older links stop working)."""
    user = _load_user(user_id)
    invitation = _invite(user, client)
    if not invitation["sent"]:
        raise ApiError("invitation_refused", invitation["error_description"], 409)
    return jsonify({"invitation": invitation})


@admin_api.post("/users/<user_id>/password-reset")
@operation("admin:users")
def send_password_reset(client: Client, user_id: str):
    """Email the user a single-use link to choose a new password (to a proven address only);
    older links stop working."""
    user = _load_user(user_id)
    svc = services()
    try:
        send_reset_link(g.directory, user, client, now(), delivery=svc.delivery,
                        base_url=svc.base_url,
                        ttl_hours=current_settings().invitation_ttl_hours)
    except ResetRefused as exc:
        db.session.rollback()
        raise ApiError("reset_link_refused", str(exc), 409) from exc
    return jsonify({"reset_link": {"sent": True, "email": user.email}})


def _switch(disabled: bool):
    def change(client: Client, user_id: str):
        user = _load_user(user_id)
        try:
            switch_user(user, disabled, client, now())
        except UserAdminError as exc:
            raise refused(exc, 409) from exc
        db.session.commit()
        return jsonify(_user_detail(user))
    return change


admin_api.add_url_rule("/users/<user_id>/disable", "disable_user",
                       operation("admin:users")(_switch(True)), methods=["POST"])
admin_api.add_url_rule("/users/<user_id>/enable", "enable_user",
                       operation("admin:users")(_switch(False)), methods=["POST"])


@admin_api.delete("/users/<user_id>/items/<key>")
@operation("admin:users")
def remove_item(client: Client, user_id: str, key: str):
    """Remove one sign-in item of a user; say what it means for reaching the level."""
    user = _load_user(user_id)
    try:
        item, effect = remove_method(g.directory, user, key, client, now(), services().methods)
    except UserAdminError as exc:
        raise ApiError("not_found", str(exc), 404) from exc
    db.session.commit()
    return jsonify({"removed": _item(item), "level_after": effect.level_after,
                    "required_level": effect.required, "reaches_level": effect.reachable,
                    "can_enrol_at_login": effect.can_enrol_at_login})


@admin_api.post("/users/<user_id>/sessions/end")
@operation("admin:users")
def end_user_sessions(client: Client, user_id: str):
    """Log the user out everywhere, revoking the tokens apps got from those sessions."""
    user = _load_user(user_id)
    ended = log_out_user(g.directory, user, client, now(), client_ip())
    db.session.commit()
    return jsonify({"sessions_ended": ended})


