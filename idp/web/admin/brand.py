"""The directory's brand page: its name, logo, accent colour, sender name and support contact.

The texts and the colour are previewed before they are saved (the page header, a button in
the colour, the text message as it will read); the logo is checked by its content and
saved on upload. Every change is audited.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from ... import audit
from ...admin.brand import BrandForm, form_values, logo_refusal, read_brand_form
from ...clock import now
from ...delivery.messages import sms_text
from ...domain.brand import MAX_SENDER, Brand
from ...security.images import LogoRefused, check_logo
from ...services import services
from ...storage import db
from ...storage.models import Client, Directory, User
from ...tenants.brand import apply_brand, brand_of, remove_logo, set_logo
from ..account import account
from ..account.gate import current_user, signed_in_page
from ..brand import logo_url

EXAMPLE_CODE = "123456"
# The upload may be larger than other forms; the logo's own limit gives the clear refusal.
LOGO_BODY_BYTES = 320 * 1024


@account.get("/admin/brand")
@signed_in_page(admin=True)
def admin_brand():
    """Show the brand form, filled in with the directory's brand, and its preview."""
    current = brand_of(g.directory)
    return _page(BrandForm(form_values(current), current), current)


@account.post("/admin/brand")
@signed_in_page(admin=True)
def admin_brand_change():
    """Preview the typed brand, or save it."""
    current = brand_of(g.directory)
    form = read_brand_form(request.form, current)
    action = request.form.get("action")
    if action not in ("preview", "save"):
        abort(400, gettext("This form does not say what to do."))
    if form.brand is None:
        return _page(form, current), 400
    if action == "preview":
        return _page(form, current, previewing=True)
    changed = save_brand(g.directory, form.brand, current_user())
    flash(gettext("Saved.") if changed else gettext("Nothing changed."))
    return redirect(url_for("account.admin_brand"))


def raise_logo_limit(endpoint: str | None, _values: dict | None) -> None:
    """Let the logo upload be larger than other requests: a URL value preprocessor, so it
    runs before the CSRF check reads the form."""
    if endpoint in ("account.admin_brand_logo", "admin_api.upload_logo") \
            and request.method in ("POST", "PUT"):
        request.max_content_length = LOGO_BODY_BYTES


@account.post("/admin/brand/logo")
@signed_in_page(admin=True)
def admin_brand_logo():
    """Store the uploaded logo after checking its content, or remove the logo."""
    current = brand_of(g.directory)
    action = request.form.get("action")
    if action == "remove":
        drop_logo(g.directory, current_user())
        flash(gettext("The logo is removed."))
        return redirect(url_for("account.admin_brand"))
    if action != "upload":
        abort(400, gettext("This form does not say what to do."))
    upload = request.files.get("logo")
    try:
        save_logo(g.directory, upload.stream.read(LOGO_BODY_BYTES + 1) if upload else b"",
                  current_user())
    except LogoRefused as exc:
        form = BrandForm(form_values(current), current, {"logo": logo_refusal(exc)})
        return _page(form, current), 400
    flash(gettext("The new logo is saved."))
    return redirect(url_for("account.admin_brand"))


def save_brand(directory: Directory, brand: Brand, actor: User | Client) -> list[str]:
    """Store a checked brand's texts and colour, audited with the admin or service account
    that changed them; return the names of the fields that changed."""
    changed = apply_brand(directory, brand)
    if changed:
        audit.record(directory.id, audit.events.ADMIN_BRAND_CHANGED, now(),
                     **audit.actor_of(actor), fields=changed)
    db.session.commit()
    return changed


def save_logo(directory: Directory, content: bytes, actor: User | Client) -> None:
    """Check an uploaded logo by its content and store it, audited (raises LogoRefused)."""
    logo = check_logo(content)
    set_logo(directory, logo, now())
    audit.record(directory.id, audit.events.ADMIN_BRAND_CHANGED, now(),
                 **audit.actor_of(actor), fields=["logo"])
    db.session.commit()


def drop_logo(directory: Directory, actor: User | Client) -> bool:
    """Remove the directory's logo, audited; return whether it had one."""
    removed = remove_logo(directory)
    if removed:
        audit.record(directory.id, audit.events.ADMIN_BRAND_CHANGED, now(),
                     **audit.actor_of(actor), fields=["logo"])
    db.session.commit()
    return removed


def _page(form: BrandForm, current: Brand, previewing: bool = False):
    shown = form.brand if form.brand is not None else current
    sms = services().methods.get("sms")
    policy = getattr(getattr(sms, "codes", None), "policy", None)
    example = sms_text(shown, EXAMPLE_CODE, getattr(policy, "ttl", 600.0),
                       getattr(sms, "host", request.host))
    first = next(iter(form.errors), None)
    return render_template("admin/brand.html", directory=g.directory, values=form.values,
                           errors=form.errors, error=form.errors.get(first) if first else None,
                           error_field=first, shown=shown, previewing=previewing,
                           shown_logo_url=logo_url(shown), sms_example=example,
                           max_sender=MAX_SENDER)
