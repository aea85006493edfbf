"""The anonymous pages see nobody: the request is scrubbed before anything reads it."""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.test import RequestFactory

from havenwatch.reporting.middleware import AnonymousAccessLogFilter, AnonymousPagesMiddleware

SEEN = {}


def _view(request):
    SEEN.clear()
    SEEN.update(meta=dict(request.META), cookies=dict(request.COOKIES))
    response = HttpResponse("ok")
    response.set_cookie("sessionid", "abc")
    response.set_cookie("havenwatch_language", "nl")
    response.set_cookie("csrftoken", "t" * 32)
    return response


def _request(path):
    return RequestFactory().get(
        path, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Probe/1.0", HTTP_REFERER="https://x.example/",
        HTTP_X_FORWARDED_FOR="198.51.100.1", HTTP_FORWARDED="for=198.51.100.1", HTTP_X_REAL_IP="198.51.100.1",
        HTTP_SEC_CH_UA_PLATFORM='"Android"', HTTP_ACCEPT_LANGUAGE="nl-BE",
        HTTP_COOKIE="sessionid=s; csrftoken=" + "c" * 32 + "; havenwatch_language=fr")


def test_a_reporter_request_loses_address_headers_and_cookies_before_the_view():
    response = AnonymousPagesMiddleware(_view)(_request("/report/port-a/new/"))
    meta, cookies = SEEN["meta"], SEEN["cookies"]
    assert meta["REMOTE_ADDR"] == "0.0.0.0"
    for header in ("HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP",
                   "HTTP_SEC_CH_UA_PLATFORM"):
        assert header not in meta
    assert meta["HTTP_ACCEPT_LANGUAGE"] == "nl-BE"
    assert cookies == {"csrftoken": "c" * 32}
    assert set(response.cookies) == {"csrftoken"}
    assert response.cookies["csrftoken"]["max-age"] == ""
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"


def test_other_pages_are_left_alone():
    AnonymousPagesMiddleware(_view)(_request("/reporting/"))
    assert SEEN["meta"]["REMOTE_ADDR"] == "203.0.113.9"


def test_the_access_log_drops_the_address_of_the_anonymous_pages_only():
    log_filter = AnonymousAccessLogFilter()

    def record(path):
        item = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                                 ("203.0.113.9:5123", "POST", path, "1.1", 200), None)
        log_filter.filter(item)
        return item.getMessage()

    assert "203.0.113.9" not in record("/report/port-a/new/?lang=nl")
    assert "203.0.113.9" in record("/api/v1/health")
