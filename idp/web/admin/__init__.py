"""The admin pages of a directory: authentication settings, SMS destinations, policies,
users, apps and the audit log. They are routes of the account blueprint
(``idp.web.account``), behind the same login gate, and need the admin role; each page
group is its own module.
"""

from . import audit, clients, destinations, policies, settings, users

__all__ = ["audit", "clients", "destinations", "policies", "settings", "users"]
