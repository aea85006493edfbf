"""Every state change of the core app. Keyword-only, explicit ``actor``, atomic,
and each writes its audit record and its domain event in the same transaction."""
