"""Sample applications that use the identity provider: a relying portal and more."""
