"""The HTTP API as a client sees it: problems, pagination, filters, tokens shown once, the live stream."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.test import AsyncClient, Client

from havenwatch.core import events
from havenwatch.core.choices import Role
from havenwatch.core.models import ApiToken, AuditRecord, Organisation, OutboxEvent, Webhook
from havenwatch.core.services.security_levels import security_level_set
from tests.factories import FacilityFactory, OrganisationFactory
from tests.matrix import MatrixWorld

PROBLEM = "application/problem+json"


def session_for(principal) -> Client:
    from havenwatch.core.middleware import SESSION_MEMBERSHIP
    from havenwatch.core.models import Membership

    client = Client()
    client.force_login(principal.user)
    session = client.session
    session[SESSION_MEMBERSHIP] = Membership.objects.get(user=principal.user, organisation=principal.organisation).pk
    session.save()
    return client


@pytest.fixture
def pso_client(world):
    return session_for(world.pso())


def counts():
    return (Webhook.objects.count(), ApiToken.objects.count(), AuditRecord.objects.count(), OutboxEvent.objects.count())


@pytest.mark.django_db
def test_malformed_json_is_a_400_problem_and_writes_nothing(pso_client):
    before = counts()
    response = pso_client.post("/api/v1/webhooks", '{"url": "http://127.0.0.1:9/x"', content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "Cannot parse request body"
    assert counts() == before


@pytest.mark.django_db
def test_wrong_types_are_a_422_naming_each_field(pso_client):
    before = counts()
    response = pso_client.post("/api/v1/tokens", json.dumps({"name": 5, "permissions": "core.view_port"}),
                               content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["detail"] == "name: Input should be a valid string (and 1 more)"
    assert [e["field"] for e in body["errors"]] == ["name", "permissions"]
    assert counts() == before


@pytest.mark.django_db
def test_service_refusal_is_a_problem_naming_the_field(pso_client):
    response = pso_client.post("/api/v1/webhooks", json.dumps({"url": "ftp://127.0.0.1/x"}),
                               content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "This URL cannot receive webhooks: the URL must start with https://."
    assert body["field"] == "url" and body["code"] == "validation_failed"


@pytest.mark.django_db
def test_text_that_cannot_be_stored_is_refused_not_a_server_error(pso_client):
    before = counts()
    response = pso_client.post("/api/v1/webhooks", '{"url": "http://127.0.0.1:9/x", "description": "\\ud800"}',
                               content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "description"
    too_long = pso_client.post("/api/v1/webhooks", json.dumps({"url": "http://127.0.0.1:9/x", "description": "x" * 201}),
                               content_type="application/json")
    assert too_long.status_code == 422
    assert counts() == before


@pytest.mark.django_db
def test_unknown_id_is_a_404_problem(pso_client):
    response = pso_client.get("/api/v1/facilities/999999")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "No facility with id 999999 is visible to you."


@pytest.mark.django_db
def test_foreign_organisations_row_is_a_404_exactly_like_a_missing_one(world, pso_client):
    foreign = pso_client.get(f"/api/v1/facilities/{world.foreign_facility.pk}")
    assert foreign.status_code == 404
    assert foreign.json()["detail"] == f"No facility with id {world.foreign_facility.pk} is visible to you."
    assert "Terminal B" not in foreign.content.decode()
    foreign_org = pso_client.patch(f"/api/v1/organisations/{world.foreign_operator.pk}", json.dumps({"name": "x"}),
                                   content_type="application/json")
    assert foreign_org.status_code == 404
    assert Organisation.objects.get(pk=world.foreign_operator.pk).name == "Terminal Operator B"


@pytest.mark.django_db
def test_lists_paginate_with_limit_offset_and_count(world):
    admin = session_for(world.admin())
    for i in range(7):
        OrganisationFactory(name=f"Paged {i}", slug=f"paged-{i}")
    first = admin.get("/api/v1/organisations/?q=paged&limit=3").json()
    assert first["count"] == 7
    assert [o["name"] for o in first["items"]] == ["Paged 0", "Paged 1", "Paged 2"]
    last = admin.get("/api/v1/organisations/?q=paged&limit=3&offset=6").json()
    assert [o["name"] for o in last["items"]] == ["Paged 6"]
    assert admin.get("/api/v1/organisations/?q=paged").json()["count"] == 7  # default page holds all seven
    assert admin.get("/api/v1/organisations/?limit=501").status_code == 422
    assert admin.get("/api/v1/organisations/?limit=0").status_code == 422
    assert admin.get("/api/v1/organisations/?offset=-1").status_code == 422


@pytest.mark.django_db
def test_list_filters_narrow_the_results(world, pso_client):
    FacilityFactory(name="Cruise Terminal", isps_number="BEAAA-0007", port=world.port, operator=world.operator)
    names = [f["name"] for f in pso_client.get("/api/v1/facilities?q=cruise").json()["items"]]
    assert names == ["Cruise Terminal"]
    by_port = pso_client.get(f"/api/v1/facilities?port_id={world.port.pk}").json()
    assert {f["isps_number"] for f in by_port["items"]} == {"BEAAA-0001", "BEAAA-0007"}
    admin = session_for(world.admin())
    kinds = {o["kind"] for o in admin.get("/api/v1/organisations/?kind=port_authority&limit=500").json()["items"]}
    assert kinds == {"port_authority"}
    security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    audit = pso_client.get("/api/v1/audit?code=core.security_level").json()
    assert audit["count"] == 1 and audit["items"][0]["code"] == "core.security_level.changed"


@pytest.mark.django_db
def test_token_is_shown_once_on_creation_and_never_again(world, pso_client):
    created = pso_client.post("/api/v1/tokens", json.dumps({"name": "gate 1", "permissions": ["core.view_port"]}),
                              content_type="application/json")
    assert created.status_code == 201
    raw = created.json()["token"]
    assert raw.startswith("hw_")
    listed = pso_client.get("/api/v1/tokens")
    assert raw not in listed.content.decode()
    assert all("token" not in item for item in listed.json()["items"])
    assert [t["name"] for t in listed.json()["items"]] == ["gate 1"]
    # and it works, as a machine
    me = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert me["token"] == created.json()["prefix"] and me["permissions"] == ["core.view_port"]


@pytest.mark.django_db
def test_openapi_schema_and_docs_load():
    schema = Client().get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/security-levels/changes" in paths and "/api/v1/tokens" in paths
    docs = Client().get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"openapi.json" in docs.content


@pytest.mark.django_db
def test_health_needs_no_sign_in():
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


# --- the live stream --------------------------------------------------------------------


def frames(response) -> list[dict]:
    async def read():
        return b"".join([chunk async for chunk in response.streaming_content])

    body = asyncio.run(read()) if response.is_async else b"".join(response.streaming_content)
    out = []
    for block in body.decode().split("\n\n"):
        data = [line[6:] for line in block.splitlines() if line.startswith("data: ")]
        if data:
            out.append(json.loads(data[0]))
    return out


@pytest.mark.django_db(transaction=True)
def test_stream_shows_only_events_the_principal_may_see(world):
    own_event = security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    foreign_pso_org = world.foreign_authority
    from tests.factories import principal

    security_level_set(actor=principal(Role.PORT_SECURITY_OFFICER, foreign_pso_org), port=world.foreign_port,
                       level=3, reason="another port's business")
    events.publish(type="core.port.updated", port_id=world.port.pk, audience="platform", payload={})
    token = MatrixWorld.make_token(world.pfso(), "stream")

    async def get():
        return await AsyncClient().get("/api/v1/stream?once=1&after=0", headers={"Authorization": f"Bearer {token}"})

    response = asyncio.run(get())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    seen = frames(response)
    # Its port's level change and its own organisation's token; not port B's change, not the platform's event.
    assert [e["type"] for e in seen] == ["core.security_level.changed", "core.token.created"]
    assert seen[0]["port_id"] == world.port.pk
    assert seen[1]["organisation_id"] == world.operator.pk
    assert [e["sequence"] for e in seen] == sorted(e["sequence"] for e in seen)
    assert seen[0]["payload"]["change_id"] == own_event.pk


@pytest.mark.django_db(transaction=True)
def test_stream_refuses_anonymous_with_401():
    async def get():
        return await AsyncClient().get("/api/v1/stream?once=1&after=0")

    response = asyncio.run(get())
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    "until=1207-05-07T22:27:36%2B17:08",  # an offset PostgreSQL refuses: converted to UTC first
    "since=2026-03-02T08:00:00",  # no offset: taken as UTC
])
def test_audit_time_filters_accept_any_iso_offset(world, pso_client, query):
    response = pso_client.get(f"/api/v1/audit?{query}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_audit_time_filter_out_of_the_calendar_is_a_422(pso_client):
    response = pso_client.get("/api/v1/audit?since=0001-01-01T00:00:00%2B17:00")
    assert response.status_code == 422
    assert response.json()["detail"] == "since: the date-time is out of range."


@pytest.mark.django_db
def test_nul_character_in_a_search_is_refused_clearly_and_changes_nothing(client, world):
    """PostgreSQL cannot compare text with NUL: refuse it up front, on every path."""
    from django.test import Client

    client.force_login(world.pso().user)
    response = client.get("/api/v1/ports", {"q": "Ant\x00werp"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "NUL" in response.json()["detail"] and "'q'" in response.json()["detail"]
    page = client.get("/audit/", {"actor": "x\x00"})
    assert page.status_code == 400
    anonymous = Client().post("/api/v1/organisations/", data='{"name": "A\\u0000B"}', content_type="application/json")
    assert anonymous.status_code == 400 and "request body" in anonymous.json()["detail"]


def test_a_body_over_the_upload_limit_is_a_413_problem_and_changes_nothing(pso_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    before = counts()
    body = json.dumps({"url": "http://127.0.0.1:9/x", "description": "x" * 2000})
    response = pso_client.post("/api/v1/webhooks", body, content_type="application/json")
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "too_large" and "larger than" in response.json()["detail"]
    assert counts() == before
