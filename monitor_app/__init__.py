"""Chairside: documentation of ketamine infusion sessions at the chair (documentation only, not a medical device)."""

__version__ = "0.1.0"

DISCLAIMER = "Documentation record only - not a medical device"
