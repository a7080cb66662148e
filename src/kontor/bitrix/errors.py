"""Bitrix24's error envelope and the one place Kontor's domain errors become facade errors."""

from __future__ import annotations

from kontor.core.errors import ErrorCode, KontorError


class RestError(Exception):
    """An error answered as ``{"error": code, "error_description": text}`` with an HTTP status."""

    def __init__(self, status: int, code: str, description: str, **extra: object) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.extra = extra

    def body(self) -> dict[str, object]:
        return {"error": self.code, "error_description": self.description, **self.extra}


def method_not_found() -> RestError:
    return RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def invalid_credentials() -> RestError:
    return RestError(401, "INVALID_CREDENTIALS", "Invalid request credentials")


def no_auth() -> RestError:
    return RestError(401, "NO_AUTH_FOUND", "Wrong authorization data")


def argument_error(description: str, argument: str | None = None) -> RestError:
    extra = {"argument": argument} if argument else {}
    return RestError(400, "ERROR_ARGUMENT", description, **extra)


def crm_error(description: str) -> RestError:
    """CRM entity errors: Bitrix24's CCrmRestProxyBase throws them with an empty code and status 400."""
    return RestError(400, "", description)


def not_found() -> RestError:
    return crm_error("Not found")


def access_denied() -> RestError:
    return crm_error("Access denied.")


def from_kontor(exc: KontorError) -> RestError:
    """Every domain error is a 400 with an empty code, as Bitrix24's CRM methods answer."""
    if exc.code == ErrorCode.NOT_FOUND:
        return not_found()
    if exc.code == ErrorCode.PERMISSION_DENIED:
        return access_denied()
    return crm_error(exc.message)


def translate(exc: KontorError, names: dict[str, str]) -> RestError:
    """A service's error re-worded with Bitrix24's field names: ``responsible_id: no active user 9``
    becomes ``RESPONSIBLE_ID: no active user 9`` (``names``: native name → Bitrix24 name)."""
    if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.PERMISSION_DENIED) or not exc.field:
        return from_kontor(exc)
    message = exc.message
    for native in sorted(names, key=len, reverse=True):
        if message.startswith(native) and not message[len(native):len(native) + 1].isalnum() \
                and message[len(native):len(native) + 1] != "_":
            message = names[native] + message[len(native):]
            break
    return crm_error(message)
