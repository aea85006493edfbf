"""Errors a service raises when it refuses. Each carries a specific, translatable message.

The API turns them into ``application/problem+json``; views turn them into form errors.
Raising one inside ``transaction.atomic`` rolls everything back: nothing half-written.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request that the rules refuse. ``status`` is the HTTP status the API answers with.

    ``errors`` lists the items of a refused batch (a bulk import, a file), each a dict with
    at least ``message`` (and, by convention, ``index``/``field``/``code``/``segment``): the
    API returns them as the problem's ``errors``, a page as a list under the form.
    """

    status = 400
    code = "invalid"

    def __init__(self, message, *, code: str | None = None, field: str | None = None,
                 errors: list[dict] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code:
            self.code = code
        self.field = field
        self.errors = errors or []


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"


class PermissionRefused(ServiceError):
    status = 403
    code = "permission_denied"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
