"""The reporter's pages never see who is asking.

This middleware runs first, before anything else of Django or of havenwatch can read
the request. On the anonymous pages (``/report/``) it removes from the request the
client's address, every header that could point at a person or a device (user agent,
referrer, forwarding headers, client hints) and every cookie but the CSRF token; so no
view, form, log record or error report downstream can store what it never saw. On the
way out it forbids caching and referrers to other sites, and drops any cookie but the CSRF token.

The ASGI server sees the address before Django does: its access log is filtered by
:class:`AnonymousAccessLogFilter` (see ``settings.LOGGING``).
"""

from __future__ import annotations

import logging

from django.conf import settings

ANONYMOUS_PREFIX = "/report/"
KEPT_HEADERS = frozenset({
    "HTTP_HOST", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING", "HTTP_ORIGIN", "HTTP_CONTENT_TYPE",
    "HTTP_CONTENT_LENGTH", "HTTP_X_CSRFTOKEN", "HTTP_X_FORWARDED_PROTO", "HTTP_HX_REQUEST",
})
NOBODY = "0.0.0.0"


def is_anonymous_path(path: str) -> bool:
    return path == ANONYMOUS_PREFIX.rstrip("/") or path.startswith(ANONYMOUS_PREFIX)


def scrub(meta: dict) -> None:
    for key in [key for key in meta if key.startswith("HTTP_") and key not in KEPT_HEADERS]:
        del meta[key]
    meta["REMOTE_ADDR"] = NOBODY
    meta.pop("REMOTE_HOST", None)
    meta.pop("REMOTE_PORT", None)


class AnonymousPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_anonymous_path(request.path_info):
            return self.get_response(request)
        csrf = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
        scrub(request.META)
        request.META["HTTP_COOKIE"] = f"{settings.CSRF_COOKIE_NAME}={csrf}" if csrf else ""
        request.COOKIES = {settings.CSRF_COOKIE_NAME: csrf} if csrf else {}
        if hasattr(request, "scope"):  # ASGI: the scope carries the client too
            request.scope["client"] = (NOBODY, 0)
        response = self.get_response(request)
        for name in list(response.cookies):
            if name != settings.CSRF_COOKIE_NAME:
                del response.cookies[name]
        if settings.CSRF_COOKIE_NAME in response.cookies:
            # A session-only cookie: it ends with the browser and carries nothing but the token.
            morsel = response.cookies[settings.CSRF_COOKIE_NAME]
            morsel["max-age"] = ""
            morsel["expires"] = ""
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        # Not "no-referrer": under it a browser sends "Origin: null" with the page's own
        # forms, which CSRF protection must refuse. "same-origin" gives other sites nothing,
        # and the Referer our own pages send back is dropped above before anything reads it.
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response


class AnonymousAccessLogFilter(logging.Filter):
    """Remove the client's address from access-log records of the anonymous pages
    (uvicorn's ``uvicorn.access`` passes ``(client, method, path, version, status)``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) \
                and is_anonymous_path(args[2].split("?")[0]):
            record.args = ("-", *args[1:])
        return True
