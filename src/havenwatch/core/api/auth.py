from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from havenwatch.core.principal import principal_for_token
from havenwatch.core.services.tokens import token_authenticate


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer hw_…``: a machine acting for one organisation."""

    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        principal = principal_for_token(api_token)
        request.principal = principal
        return principal


class SessionPrincipalAuth(SessionAuth):
    """The signed-in user's session (CSRF-checked on unsafe methods)."""

    def _get_key(self, request):
        # Without a signed-in session there is nothing to forge: answer 401, not a CSRF
        # failure (a machine whose token expired must learn that it is not authenticated).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return request.principal
