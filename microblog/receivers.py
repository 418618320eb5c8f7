"""Signal receivers of posts: they only hand off to services."""
