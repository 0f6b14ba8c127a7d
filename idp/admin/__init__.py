"""Administration of a directory: its users, the census behind the lock-out preview, SMS
destination settings, and reading the audit log."""
