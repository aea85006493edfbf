"""Every API endpoint × every role × own / foreign organisation (see tests/matrix.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from havenwatch.api import api
from havenwatch.core.choices import Role
from havenwatch.core.models import Webhook
from havenwatch.core.permissions import ROLE_ORGANISATION_KINDS
from tests import matrix

ENTRIES = matrix.entries()
FOREIGN_NAMES = ("Terminal B", "Terminal Operator B", "Port Authority B")


@pytest.fixture(scope="module")
def mworld(django_db_setup, django_db_blocker):
    """Built once for the module; each cell's request is rolled back, so every cell starts from it."""
    with django_db_blocker.unblock():
        with transaction.atomic():
            world = matrix.MatrixWorld()
            yield world
            transaction.set_rollback(True)


def run_cell(client, entry, world, ctx, side, **headers):
    body = entry.body(world, ctx, side) if entry.body else None
    with transaction.atomic():
        response = matrix.call(client, entry, world.objects_for(ctx, side), body, **headers)
        transaction.set_rollback(True)
    return response


def problems_with(entry, role, side, expected: set[int], response, world) -> list[str]:
    if response.status_code not in expected:
        return [matrix.describe(role, side, entry, sorted(expected), response)]
    problems = []
    if response.status_code >= 400 and response["Content-Type"] != "application/problem+json":
        problems.append(f"{role} {side} {entry.label}: error is {response['Content-Type']}, not problem+json")
    if response.status_code in matrix.SUCCESS and entry.leak and role != matrix.ADMIN and response.content:
        leaked = entry.leak(response.json(), world)
        if leaked:
            problems.append(f"{role} {side} {entry.label}: shows another organisation's rows {leaked}")
    if side == "foreign" and response.status_code >= 400:
        text = response.content.decode()
        problems += [f"{role} {entry.label}: the refusal names {name!r}" for name in FOREIGN_NAMES if name in text]
    return problems


# --- the matrix covers the API and every role ----------------------------------------


def _api_operations() -> set[tuple[str, str]]:
    """Every operation the API serves: from the routers, and from the published OpenAPI schema."""
    operations = set()
    root = "/api/v1/"
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    operations.add((method.upper(), matrix.normalise(f"{root}{prefix}/{path}")))
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method in methods:
            operations.add((method.upper(), matrix.normalise(path)))
    return operations


def test_every_api_operation_has_a_matrix_entry():
    covered = {(e.method, e.template()) for e in ENTRIES}
    missing = sorted(_api_operations() - covered)
    assert not missing, "API operations with no permission-matrix entry (add them to tests/matrix.py):\n" + "\n".join(
        f"  {m} {p}" for m, p in missing
    )


def test_every_matrix_entry_is_a_real_operation():
    stale = sorted({(e.method, e.template()) for e in ENTRIES} - _api_operations())
    assert not stale, f"matrix entries for operations the API does not have: {stale}"


def test_matrix_has_every_role_acting_from_an_organisation_it_may_belong_to(mworld):
    assert set(matrix.ROLE_HOME) == {r.value for r in Role}
    for role, ctx in mworld.roles.items():
        assert ctx.org.kind in ROLE_ORGANISATION_KINDS[role], role


# --- the cells -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.label)
def test_session_user_gets_exactly_what_their_role_allows(mworld, entry):
    failures = []
    for role, ctx in sorted(mworld.roles.items()):
        for side in entry.sides:
            response = run_cell(ctx.session, entry, mworld, ctx, side)
            failures += problems_with(entry, role, side, {entry.expected(role, side)}, response, mworld)
    assert not failures, "\n" + "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.label)
def test_token_gets_no_more_than_its_role_and_never_foreign_rows(mworld, entry):
    client = Client(enforce_csrf_checks=True)  # machines send no CSRF token
    failures = []
    for role, ctx in sorted(mworld.roles.items()):
        if ctx.token is None:
            continue
        for side in entry.sides:
            response = run_cell(client, entry, mworld, ctx, side, HTTP_AUTHORIZATION=f"Bearer {ctx.token}")
            failures += problems_with(entry, role, side, entry.expected_for_token(role, side), response, mworld)
    assert not failures, "\n" + "\n".join(failures)


@pytest.mark.django_db
def test_anonymous_revoked_and_expired_callers_get_401_everywhere_but_health(mworld):
    client = Client(enforce_csrf_checks=True)
    ctx = mworld.roles[Role.PORT_SECURITY_OFFICER]
    callers = {
        "anonymous": {},
        "revoked token": {"HTTP_AUTHORIZATION": f"Bearer {mworld.revoked_token}"},
        "expired token": {"HTTP_AUTHORIZATION": f"Bearer {mworld.expired_token}"},
        "made-up token": {"HTTP_AUTHORIZATION": "Bearer hw_00000000_not-a-real-token"},
    }
    failures = []
    for entry in ENTRIES:
        for who, headers in callers.items():
            response = run_cell(client, entry, mworld, ctx, "own", **headers)
            expected = 200 if entry.public else 401
            if response.status_code != expected:
                failures.append(matrix.describe(who, "own", entry, expected, response))
            elif expected == 401 and response["Content-Type"] != "application/problem+json":
                failures.append(f"{who} {entry.label}: 401 is not problem+json")
    assert not failures, "\n" + "\n".join(failures)


@pytest.mark.django_db
def test_session_post_without_csrf_token_is_refused_and_changes_nothing(mworld):
    ctx = mworld.roles[Role.PORT_SECURITY_OFFICER]
    client = Client(enforce_csrf_checks=True)
    client.cookies = ctx.session.cookies  # the same signed-in session, now with CSRF enforced
    before = Webhook.objects.count()
    body = '{"url": "http://127.0.0.1:9/hook"}'

    refused = client.post("/api/v1/webhooks", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert "CSRF" in refused.json()["detail"]
    assert Webhook.objects.count() == before

    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    accepted = client.post("/api/v1/webhooks", body, content_type="application/json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 201, accepted.content
    assert Webhook.objects.count() == before + 1


@pytest.mark.django_db
def test_session_reads_need_no_csrf_token(mworld):
    ctx = mworld.roles[Role.PORT_SECURITY_OFFICER]
    client = Client(enforce_csrf_checks=True)
    client.cookies = ctx.session.cookies
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["role"] == Role.PORT_SECURITY_OFFICER


@pytest.mark.django_db
def test_session_acts_through_the_chosen_membership(mworld):
    """A person with two roles acts through the one chosen in the session, not the sum of both."""
    from havenwatch.core.middleware import SESSION_MEMBERSHIP
    from tests.factories import MembershipFactory

    ctx = mworld.roles[Role.DRIVER]
    second = MembershipFactory(user=ctx.user, organisation=mworld.authority, role=Role.PORT_SECURITY_OFFICER)
    client = Client()
    client.force_login(ctx.user)
    session = client.session
    session[SESSION_MEMBERSHIP] = ctx.membership.pk
    session.save()
    assert client.get("/api/v1/me").json()["role"] == Role.DRIVER
    assert client.post("/api/v1/audit/verify").status_code == 403
    session[SESSION_MEMBERSHIP] = second.pk
    session.save()
    assert client.get("/api/v1/me").json()["role"] == Role.PORT_SECURITY_OFFICER
    assert client.post("/api/v1/audit/verify").status_code == 200
