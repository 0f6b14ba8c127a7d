"""App approval: the provider's own authenticator app approves a login with number matching and
a PIN (``method``); activation, signed requests and approvals are stored by ``devices``."""
