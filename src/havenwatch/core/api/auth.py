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

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return request.principal
