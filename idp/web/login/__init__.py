"""A pending login's pages: the authorization endpoint, the login form, the method steps,
consent and logout. Every view decides again from the interaction; codes are issued there."""
