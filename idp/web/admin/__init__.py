"""The admin pages of a directory: authentication settings, SMS destinations, users, apps,
the audit log and the directory's brand. They are routes of the account blueprint
(``idp.web.account``), behind the same login gate, and need the admin role; each page group
is its own module.
"""

from . import audit, brand, clients, destinations, operator, settings, users

__all__ = ["audit", "brand", "clients", "destinations", "operator", "settings", "users"]
