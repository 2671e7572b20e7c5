"""Errors that carry a message a nurse can act on."""


class ChairsideError(Exception):
    """Base of every error shown to a user as one clear line."""


class FieldError(ChairsideError):
    """A value typed into one field was refused; names the field and what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class RuleViolation(ChairsideError):
    """An action the record rules do not allow (signing with something missing, editing a locked record...)."""


class PermissionDenied(ChairsideError):
    """The signed-in role may not do this."""


class NotFound(ChairsideError):
    """A record asked for by id does not exist."""


class ConcurrentEdit(ChairsideError):
    """Someone else changed the record since it was loaded."""


class AuthenticationFailed(ChairsideError):
    """Wrong user name or password, or the account is locked or disabled."""
