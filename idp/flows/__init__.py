"""Use cases that tie the domain rules to storage: one module per flow."""
