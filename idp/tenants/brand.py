"""A directory's brand: the one accessor every page, message and app screen reads it from."""

from __future__ import annotations

from sqlalchemy import select

from ..domain.brand import DEFAULT_ACCENT, Brand
from ..security.images import CheckedLogo
from ..storage import db
from ..storage.kept import Kept
from ..storage.models import Directory, DirectoryLogo


def brand_of(directory: Directory) -> Brand:
    """Return how the directory presents itself to people (its name, colour, sender, logo).

    Which logo it has is kept in this process's memory as its directory is (see
    ``idp.storage.kept``): every page shows the brand.
    """
    digest, media_type = _logos.fetch(db.session, directory.id,
                                      lambda: _logo_digest(directory.id))
    return Brand(name=directory.name, accent=directory.accent or DEFAULT_ACCENT,
                 sender_name=directory.sender_name, support_email=directory.support_email,
                 support_url=directory.support_url, support_phone=directory.support_phone,
                 logo_digest=digest, logo_type=media_type)


_logos: Kept[tuple[str | None, str | None]] = Kept()


def _logo_digest(directory_id: int) -> tuple[str | None, str | None]:
    """Return the digest and media type of the directory's logo; two Nones for none."""
    logo = db.session.execute(select(DirectoryLogo.digest, DirectoryLogo.media_type)
                              .where(DirectoryLogo.directory_id == directory_id)).first()
    return (logo.digest, logo.media_type) if logo else (None, None)


def logo_of(directory: Directory) -> DirectoryLogo | None:
    """Return the directory's logo, bytes and all, if it has one."""
    return db.session.get(DirectoryLogo, directory.id)


def set_logo(directory: Directory, logo: CheckedLogo, now: float) -> DirectoryLogo:
    """Store a checked logo as the directory's, replacing the one it had."""
    row = logo_of(directory)
    if row is None:
        row = DirectoryLogo(directory_id=directory.id)
        db.session.add(row)
    row.digest, row.media_type, row.content = logo.digest, logo.media_type, logo.content
    row.width, row.height, row.updated_at = logo.width, logo.height, now
    return row


def remove_logo(directory: Directory) -> bool:
    """Remove the directory's logo; return whether it had one."""
    row = logo_of(directory)
    if row is None:
        return False
    db.session.delete(row)
    return True


def apply_brand(directory: Directory, brand: Brand) -> list[str]:
    """Store the brand's texts and colour; return the names of the fields that changed."""
    wanted = {"name": brand.name,
              "accent": None if brand.accent == DEFAULT_ACCENT else brand.accent,
              "sender_name": brand.sender_name, "support_email": brand.support_email,
              "support_url": brand.support_url, "support_phone": brand.support_phone}
    changed = [field for field, value in wanted.items() if getattr(directory, field) != value]
    for field in changed:
        setattr(directory, field, wanted[field])
    return changed
