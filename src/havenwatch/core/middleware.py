"""Per-request principal, and the security headers Django does not set itself."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.functional import SimpleLazyObject

from havenwatch.core.principal import ANONYMOUS, Principal, principal_for_membership

SESSION_MEMBERSHIP = "havenwatch_membership"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


def principal_for_request(request) -> Principal:
    """The principal a signed-in user acts as: their chosen membership, or their first active one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    memberships = user.memberships.filter(is_active=True, organisation__is_active=True).select_related(
        "organisation", "user", "facility"
    ).order_by("pk")
    wanted = request.session.get(SESSION_MEMBERSHIP)
    chosen = None
    if wanted is not None:
        chosen = next((m for m in memberships if m.pk == wanted), None)
    if chosen is None:
        chosen = next(iter(memberships), None)
    if chosen is None:
        return Principal(user=user)
    request.membership = chosen
    return principal_for_membership(chosen)


class PrincipalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.principal = SimpleLazyObject(lambda: principal_for_request(request))
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            # The interactive API docs ship inline boot code; they still load nothing remote.
            response.headers.setdefault(
                "Content-Security-Policy",
                CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
                    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
                ),
            )
        else:
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class RejectNulCharactersMiddleware:
    """Refuse a request whose parameters or JSON body contain a NUL character.

    PostgreSQL cannot store or even compare text containing NUL, so such input would
    fail deep in a query; Django's forms refuse it, but query strings and API bodies
    reach lookups directly. One check here covers every page and endpoint.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            where = self._nul_in(request)
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
            detail = f"The request body is larger than {size}; send fewer rows at a time."
            if request.path.startswith("/api/"):
                from havenwatch.core.api.problems import problem

                return problem(413, "Request too large", detail, code="too_large")
            from django.http import HttpResponse

            return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
        if where:
            detail = f"The {where} contains a NUL character (\\u0000), which text here may not contain."
            if request.path.startswith("/api/"):
                from havenwatch.core.api.problems import problem

                return problem(400, "Bad request", detail, code="nul_character")
            from django.http import HttpResponseBadRequest

            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _nul_in(request) -> str:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return f"query parameter {key.replace(chr(0), '')!r}"
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method in {"POST", "PUT", "PATCH"} and content_type.startswith("application/json"):
            body = request.body
            if b"\\u0000" in body or b"\x00" in body:
                return "request body"
        return ""
