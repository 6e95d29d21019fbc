"""Identity and access: users, roles and agency scopes, second factor, API keys, audit log."""
