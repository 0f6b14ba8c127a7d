"""Authlib wiring: the authorization server, its grants' storage hooks, claims, keys."""
