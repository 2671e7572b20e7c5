"""Pure-Python clinical rules of Chairside: no Qt, no SQL."""
