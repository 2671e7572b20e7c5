"""Use cases of Chairside: each is one transaction that checks the caller's role and writes its audit row."""
