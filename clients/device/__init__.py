"""A command-line device of the device authorization grant (RFC 8628), for people and tests.

    python -m clients.device --issuer http://localhost:5000/d/default --client-id tv \\
        [--scope "openid profile"] [--acr-values 30]

It asks the provider for a code, says where to type it, polls the token endpoint at the
interval the provider gives (longer after each ``slow_down``), and prints the ID token's
claims, checked against the directory's keys, once a person approved the sign-in.
"""

from clients.device.flow import DeviceFlow, DeviceFlowError, Started

__all__ = ["DeviceFlow", "DeviceFlowError", "Started"]
