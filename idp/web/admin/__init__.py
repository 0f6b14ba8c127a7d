"""The admin pages of a directory: authentication settings, SMS destinations, policies,
users, apps, the audit log, the directory's brand and the profile details it asks for; and,
in the operators' directory, the operator console. They are routes of the account blueprint
(``idp.web.account``), behind the same login gate, and need the admin role; each page group
is its own module.
"""

from . import audit, brand, claims, clients, destinations, operator, policies, settings, users

__all__ = ["audit", "brand", "claims", "clients", "destinations", "operator", "policies",
           "settings", "users"]
