"""Domain exceptions. Services raise them; the API maps each to one envelope and HTTP status."""

from __future__ import annotations


class TixPilotError(Exception):
    """Base of every error a client may see. `message` says what is wrong and how to fix it."""

    status_code = 500
    messageid = "E_INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(TixPilotError):
    status_code = 401
    messageid = "E_AUTH"


class InvalidParameter(TixPilotError):
    status_code = 400
    messageid = "E_PARAM"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter


class NotFound(TixPilotError):
    status_code = 404
    messageid = "E_NOT_FOUND"


class Conflict(TixPilotError):
    status_code = 409
    messageid = "E_CONFLICT"


class Unprocessable(TixPilotError):
    status_code = 422
    messageid = "E_UNPROCESSABLE"


class Forbidden(TixPilotError):
    """Authenticated, but not allowed to do this (e.g. a marketplace key on another integration)."""

    status_code = 403
    messageid = "E_FORBIDDEN"


class Unavailable(TixPilotError):
    """Something TixPilot depends on (a marketplace's API, a POS, a queue) did not answer: try again."""

    status_code = 503
    messageid = "E_UNAVAILABLE"
