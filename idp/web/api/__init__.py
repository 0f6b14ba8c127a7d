"""Machine-facing endpoints: the OIDC ones (``oidc``) and the authenticator app's API (``app``)."""
