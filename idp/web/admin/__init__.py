"""The admin pages of a directory: authentication settings, SMS destinations, users, apps and
the audit log. They are routes of the account blueprint (``idp.web.account``), behind the same
login gate, and need the admin role; each page group is its own module.
"""

from . import audit, claims, clients, destinations, settings, users

__all__ = ["audit", "claims", "clients", "destinations", "settings", "users"]
