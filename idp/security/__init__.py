"""Small wrappers around third-party crypto that raise the provider's own errors."""
