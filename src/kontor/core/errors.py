"""Domain errors with machine-readable codes, and the one place codes map to HTTP statuses."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Codes every transport (native API, Bitrix24 facade, UI) reports to its clients."""

    VALIDATION = "validation_error"  # a field's value is missing or malformed
    INVALID_PHONE = "invalid_phone"  # not a phone number that can be normalised
    INVALID_EMAIL = "invalid_email"  # not an e-mail address
    NOT_FOUND = "not_found"  # the record does not exist (or is not visible)
    PERMISSION_DENIED = "permission_denied"  # the user's role does not allow this
    NOT_AUTHENTICATED = "not_authenticated"  # no valid token or session
    ALREADY_CONVERTED = "already_converted"  # the lead was converted before
    READ_ONLY = "read_only"  # the record may no longer be changed (e.g. a converted lead)
    CONFLICT = "conflict"  # the request clashes with the current state
    SWITCH_IN_PROGRESS = "switch_in_progress"  # a CRM-mode switch is running
    WRONG_MODE = "wrong_mode"  # the operation is not available in the current CRM mode
    IN_USE = "in_use"  # the record is referenced and cannot be deleted


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION: 422,
    ErrorCode.INVALID_PHONE: 422,
    ErrorCode.INVALID_EMAIL: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.ALREADY_CONVERTED: 409,
    ErrorCode.READ_ONLY: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.SWITCH_IN_PROGRESS: 409,
    ErrorCode.WRONG_MODE: 409,
    ErrorCode.IN_USE: 409,
}


class KontorError(Exception):
    """A failure the caller can understand and fix; never a bug.

    ``field`` names the input field at fault, so clients can show the message next to it.
    """

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def __repr__(self) -> str:
        return f"KontorError({self.code!s}, {self.message!r}, field={self.field!r})"


def not_found(model_name: str, pk: object) -> KontorError:
    return KontorError(ErrorCode.NOT_FOUND, f"{model_name} {pk} not found")


def validation(message: str, field: str | None = None) -> KontorError:
    return KontorError(ErrorCode.VALIDATION, message, field=field)
