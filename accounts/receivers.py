"""Signal receivers of accounts: they only hand off to services."""
