"""The HTTP API at ``/api/v1``: one NinjaAPI that every app adds its router to.

Authentication: the browser session (with CSRF) for the UI, ``Authorization: Bearer``
tokens for machines. Every error is ``application/problem+json``.
"""

from __future__ import annotations

from ninja import NinjaAPI

from havenwatch.core.api.auth import BearerTokenAuth, SessionPrincipalAuth
from havenwatch.core.api.problems import install_problem_handlers

api = NinjaAPI(
    title="havenwatch API",
    version="1",
    description=(
        "Port security platform API. Authenticate machines with `Authorization: Bearer <token>` "
        "(tokens are scoped to one organisation and a set of permissions); the web UI uses its "
        "session. Lists paginate with `limit` and `offset`; errors are `application/problem+json`."
    ),
    auth=[BearerTokenAuth(), SessionPrincipalAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_problem_handlers(api)


def _add_routers() -> None:
    from havenwatch.core.api import routers as core_routers

    for prefix, router in core_routers.ROUTERS:
        api.add_router(prefix, router)
    # Other apps register theirs here.
    from havenwatch.access import api as access_api
    from havenwatch.access import api_people, api_places, api_screening, api_visits

    for access_router in (access_api.router, api_people.router, api_places.router, api_screening.router,
                          api_visits.router):
        api.add_router("/access/", access_router)
    from havenwatch.release import api as release_api
    from havenwatch.release import api_chain, api_edi, api_gate, api_trace

    for release_router in (release_api.router, api_chain.router, api_gate.router, api_edi.router, api_trace.router):
        api.add_router("/release/", release_router)
    from havenwatch.controlroom import api as controlroom_api
    from havenwatch.controlroom import api_alarms, api_events, api_incidents, api_rules

    for controlroom_router in (controlroom_api.router, api_events.router, api_alarms.router, api_rules.router,
                              api_incidents.router):
        api.add_router("/controlroom/", controlroom_router)
    from havenwatch.reporting import api as reporting_api

    api.add_router("/reporting/", reporting_api.router)


_add_routers()
