"""What every page view shares: sign-in and permission checks, visible-or-404, paging."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme

PAGE_SIZE = 50


def page(permission: str | None = None):
    """A signed-in page; with ``permission``, a 403 page for principals without it."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if permission is not None and not request.principal.has_perm(permission):
                raise PermissionDenied(permission)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def visible_or_404(queryset, pk):
    """The row if the principal's selector yields it; 404 whether it exists elsewhere or not."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def safe_next(request, candidate: str | None) -> str | None:
    """``candidate`` when it is an address of this site (never another host or scheme, so a
    crafted link cannot send someone elsewhere after a form); else ``None``."""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return None
