"""Every API error as RFC 9457 ``application/problem+json`` with a specific message."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from havenwatch.core.errors import ServiceError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, *, code: str, errors: list | None = None, field: str | None = None):
    body = {"type": f"https://havenwatch.invalid/problems/{code}", "title": title, "status": status,
            "detail": detail, "code": code}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status, content_type=PROBLEM)


TITLES = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          409: "Conflict", 413: "Too large", 422: "Invalid input", 429: "Too many requests", 500: "Server error"}


def _validation_errors(errors: list) -> tuple[str, list]:
    items = []
    for err in errors:
        loc = ".".join(str(part) for part in err.get("loc", []) if part not in ("body", "payload"))
        items.append({"field": loc, "message": err.get("msg", "invalid")})
    first = items[0] if items else {"field": "", "message": "invalid input"}
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    if len(items) > 1:
        detail += f" (and {len(items) - 1} more)"
    return detail, items


def install_problem_handlers(api) -> None:
    @api.exception_handler(ServiceError)
    def service_error(request, exc: ServiceError):
        return problem(exc.status, TITLES.get(exc.status, "Error"), str(exc.message), code=exc.code, field=exc.field,
                       errors=exc.errors or None)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        detail, items = _validation_errors(exc.errors)
        return problem(422, TITLES[422], detail, code="validation_failed", errors=items)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return problem(401, TITLES[401], "Sign in, or send a valid token as 'Authorization: Bearer <token>'.",
                       code="not_authenticated")

    @api.exception_handler(AuthorizationError)
    def authorization_error(request, exc):
        return problem(403, TITLES[403], str(exc) or "Not allowed.", code="permission_denied")

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        return problem(403, TITLES[403], str(exc) or "Not allowed.", code="permission_denied")

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem(404, TITLES[404], str(exc) or "No such object, or not visible to you.", code="not_found")

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return problem(exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc), code="http_error")

    @api.exception_handler(Exception)
    def server_error(request, exc):
        log.exception("unhandled API error on %s %s", request.method, request.path)
        return problem(500, TITLES[500], "Something went wrong on our side; it has been logged.",
                       code="server_error")
