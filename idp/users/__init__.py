"""What happens to a person's account: browser sessions, profile changes, invitations, consents,
the items they enrolled, and the notices they are sent."""
