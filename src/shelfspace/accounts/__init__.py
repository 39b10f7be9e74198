"""Who is calling: API keys, operator users, roles, tenancy rules and the audit log."""
