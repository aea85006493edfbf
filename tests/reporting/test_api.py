"""Anonymous reporting over the API: what a recipient lists and triages, what everybody
else does not see, anonymised statistics, and never a word of a report's content."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from havenwatch.reporting.choices import EntryKind, ReportStatus
from havenwatch.reporting.models import Entry, Report
from tests.core.test_api import session_for
from tests.factories import OrganisationFactory, principal
from tests.matrix import MatrixWorld
from tests.reporting.factories import submit

pytestmark = pytest.mark.django_db
API = "/api/v1/reporting"
PROBLEM = "application/problem+json"
WHAT = "Two men loading bags from a container at night."
REPORT_FIELDS = {"id", "channel", "number", "reference", "port", "category", "status", "routed_to", "labels",
                 "submitted_at", "reporter_active_at", "recipient_read_at", "closed_at", "purge_after",
                 "forwarded_from"}


def at(month: int, day: int = 1) -> datetime:
    return datetime(2025, month, day, 10, 0, tzinfo=UTC)


def sent(channel, when: datetime, **fields) -> Report:
    with clock.frozen(when):
        return submit(channel, **fields).report


def patch(client, report, body, **headers):
    return client.patch(f"{API}/reports/{report.pk}", json.dumps(body), content_type="application/json", **headers)


def bearer(who) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {MatrixWorld.make_token(who, 'reporting committee pull')}"}


# --- reports: only for their recipients, metadata only ----------------------------------------------------------


def test_a_recipient_lists_the_reports_of_their_channel_as_metadata_only(rw):
    first = sent(rw.channel, at(1), where="Quay 869")
    second = sent(rw.channel, at(2), category="theft")
    sent(rw.foreign_channel, at(2))

    response = session_for(rw.alice.principal).get(f"{API}/reports")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [second.pk, first.pk]  # the newest first
    item = body["items"][1]
    assert set(item) == REPORT_FIELDS
    assert item["reference"] == f"port-a-drug-free-{first.number}"
    assert (item["channel"], item["port"], item["category"], item["status"]) == (
        "port-a-drug-free", "BEAAA", "drugs", ReportStatus.NEW)
    assert WHAT not in response.content.decode() and "Quay 869" not in response.content.decode()


def test_reports_filter_by_channel_status_category_label_and_time(rw):
    january = sent(rw.channel, at(1), category="drugs")
    february = sent(rw.channel, at(2), category="theft")
    march = sent(rw.channel, at(3), category="theft")
    Report.objects.filter(pk=march.pk).update(status=ReportStatus.CLOSED)
    client = session_for(rw.alice.principal)
    assert patch(client, february, {"labels": ["cocaine"]}).status_code == 200

    def ids(query: str) -> list[int]:
        response = client.get(f"{API}/reports?{query}")
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    assert ids("channel=port-a-drug-free") == [march.pk, february.pk, january.pk]
    assert ids("channel=port-b-tips") == []
    assert ids("status=closed") == [march.pk]
    assert ids("category=theft") == [march.pk, february.pk]
    assert ids("label=cocaine") == [february.pk]
    assert ids("since=2025-02-01T00:00:00Z") == [march.pk, february.pk]
    assert ids("since=2025-02-01T00:00:00Z&until=2025-03-01T00:00:00Z") == [february.pk]
    assert client.get(f"{API}/reports?status=lost").status_code == 422


def test_reports_are_paginated(rw):
    reports = [sent(rw.channel, at(month)) for month in (1, 2, 3)]
    response = session_for(rw.alice.principal).get(f"{API}/reports?limit=2&offset=1")
    assert response.json() == {"count": 3, "items": response.json()["items"]}
    assert [item["id"] for item in response.json()["items"]] == [reports[1].pk, reports[0].pk]


def test_listing_reports_takes_the_same_queries_for_two_or_six(rw):
    client = session_for(rw.alice.principal)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{API}/reports?limit=500").status_code == 200
        return len(captured)

    for month in (1, 2):
        report = sent(rw.channel, at(month))
    patch(client, report, {"labels": ["repeat"]})
    few = queries()
    for month in (3, 4, 5, 6):
        sent(rw.channel, at(month))
    assert queries() == few


def test_a_recipient_reads_one_report_and_a_recipient_of_another_channel_gets_404(rw):
    report = sent(rw.channel, at(1))
    own = session_for(rw.bob.principal).get(f"{API}/reports/{report.pk}")
    assert own.status_code == 200 and own.json()["id"] == report.pk
    other = session_for(rw.carol.principal).get(f"{API}/reports/{report.pk}")
    assert other.status_code == 404 and other["Content-Type"] == PROBLEM


def test_an_officer_of_the_owner_who_is_no_recipient_sees_no_reports(rw):
    report = sent(rw.channel, at(1))
    client = session_for(rw.officer)
    assert client.get(f"{API}/reports").json() == {"count": 0, "items": []}
    assert client.get(f"{API}/reports/{report.pk}").status_code == 404
    assert patch(client, report, {"status": "closed"}).status_code == 404


def test_a_platform_administrator_is_no_recipient_and_reads_no_report(rw):
    """Reports are sealed to their recipients: administering the platform gives no way into them."""
    report = sent(rw.channel, at(1))
    client = session_for(rw.world.admin())
    assert client.get(f"{API}/reports?limit=500").json() == {"count": 0, "items": []}
    assert client.get(f"{API}/reports/{report.pk}").status_code == 404
    assert patch(client, report, {"status": "closed"}).status_code == 404
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW


# --- triage ---------------------------------------------------------------------------------------------------------


def test_triage_changes_status_category_routing_and_labels_and_writes_the_log_and_audit(rw):
    report = sent(rw.channel, at(1))
    police = OrganisationFactory(name="Federal Police", kind=OrganisationKind.POLICE)
    before = AuditRecord.objects.filter(code="reporting.report.triaged").count()
    with clock.frozen(at(4)):
        response = patch(session_for(rw.alice.principal), report, {
            "status": "closed", "category": "theft", "routed_to_id": police.pk, "labels": ["repeat", "cocaine"]})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["category"], body["labels"]) == ("closed", "theft", ["cocaine", "repeat"])
    assert body["routed_to"] == {"id": police.pk, "name": "Federal Police"}
    assert body["closed_at"] is not None and body["purge_after"] is not None
    assert set(Entry.objects.filter(report=report).values_list("kind", flat=True)) >= {
        EntryKind.STATUS, EntryKind.CATEGORY, EntryKind.ROUTED, EntryKind.LABELS}
    record = AuditRecord.objects.filter(code="reporting.report.triaged").latest("sequence")
    assert AuditRecord.objects.filter(code="reporting.report.triaged").count() == before + 1
    assert record.actor_label == rw.alice.principal.label
    assert record.data["changes"]["status"] == "closed"


def test_only_the_fields_sent_change_and_null_clears_the_routing(rw):
    report = sent(rw.channel, at(1))
    police = OrganisationFactory(name="Federal Police", kind=OrganisationKind.POLICE)
    client = session_for(rw.alice.principal)
    patch(client, report, {"routed_to_id": police.pk, "labels": ["repeat"]})

    assert patch(client, report, {"category": "intrusion"}).json()["routed_to"] == {"id": police.pk,
                                                                                    "name": "Federal Police"}
    cleared = patch(client, report, {"routed_to_id": None})
    assert cleared.status_code == 200
    assert cleared.json()["routed_to"] is None
    assert cleared.json()["labels"] == ["repeat"] and cleared.json()["category"] == "intrusion"


def test_an_unknown_field_is_refused_and_nothing_changes(rw):
    report = sent(rw.channel, at(1))
    entries, records = Entry.objects.count(), AuditRecord.objects.count()
    response = patch(session_for(rw.alice.principal), report, {"status": "closed", "answers": {"what": "edited"}})

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "answers"
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW
    assert (Entry.objects.count(), AuditRecord.objects.count()) == (entries, records)


@pytest.mark.parametrize("body, field", [
    ({"status": "archived"}, "status"),
    ({"category": "smuggling"}, "category"),
    ({"routed_to_id": 0}, "routed_to_id"),
    ({"labels": ["x" * 41]}, "labels.0"),
])
def test_bad_values_are_a_422_naming_the_field_and_change_nothing(rw, body, field):
    report = sent(rw.channel, at(1))
    entries = Entry.objects.count()
    response = patch(session_for(rw.alice.principal), report, body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem.get("field") == field or problem["errors"][0]["field"] == field
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW and Entry.objects.count() == entries


def test_a_report_is_routed_only_to_an_authority(rw):
    report = sent(rw.channel, at(1))
    haulier = OrganisationFactory(name="Haulier Z", kind=OrganisationKind.TRANSPORT_COMPANY)
    response = patch(session_for(rw.alice.principal), report, {"routed_to_id": haulier.pk})
    assert response.status_code == 422
    assert response.json()["field"] == "routed_to"
    report.refresh_from_db()
    assert report.routed_to_id is None


# --- tokens ---------------------------------------------------------------------------------------------------------


def test_a_token_gets_statistics_and_channels_but_never_reports(rw):
    report = sent(rw.channel, at(1))
    client = Client(enforce_csrf_checks=True)
    headers = bearer(rw.alice.principal)  # even a token made by a recipient is no recipient

    assert client.get(f"{API}/statistics", **headers).status_code == 200
    assert client.get(f"{API}/statistics", **headers).json()["total"] is None  # 1: fewer than 3, hidden
    assert [c["slug"] for c in client.get(f"{API}/channels", **headers).json()["items"]] == ["port-a-drug-free"]
    assert client.get(f"{API}/reports", **headers).json() == {"count": 0, "items": []}
    assert client.get(f"{API}/reports/{report.pk}", **headers).status_code == 404
    assert patch(client, report, {"status": "closed"}, **headers).status_code == 404


# --- statistics -----------------------------------------------------------------------------------------------------


def test_statistics_hide_counts_below_the_threshold(rw):
    for day in (3, 4, 5):
        sent(rw.channel, at(1, day), category="drugs")
    sent(rw.channel, at(2), category="theft")
    sent(rw.foreign_channel, at(1), category="drugs")

    body = session_for(rw.officer).get(f"{API}/statistics?year=2025").json()

    assert body["threshold"] == 3 and body["total"] == 4
    assert body["by_category"] == [{"key": "Drugs", "count": 3}, {"key": "Theft", "count": None}]
    assert body["by_month"] == [{"key": "2025-01", "count": 3}, {"key": "2025-02", "count": None}]
    assert [row["count"] for row in body["rows"]] == [3, None]
    assert set(body["rows"][0]) == {"month", "channel", "category", "port", "count"}


def test_statistics_filter_by_year_and_channel(rw):
    for day in (1, 2, 3):
        sent(rw.channel, at(1, day))
    client = session_for(rw.officer)
    assert client.get(f"{API}/statistics?year=2024").json()["total"] == 0
    assert client.get(f"{API}/statistics?channel=port-a-drug-free").json()["total"] == 3
    assert client.get(f"{API}/statistics?channel=port-b-tips").json()["total"] == 0  # public, but not theirs
    missing = client.get(f"{API}/statistics?channel=no-such-channel")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    assert client.get(f"{API}/statistics?year=1999").status_code == 422


def test_statistics_need_their_permission(rw):
    guard = principal(Role.GATE_GUARD, rw.world.operator)
    response = session_for(guard).get(f"{API}/statistics")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM


# --- channels -------------------------------------------------------------------------------------------------------


def test_channels_of_the_organisation_with_their_settings(rw):
    client = session_for(rw.officer)
    body = client.get(f"{API}/channels").json()

    assert [item["slug"] for item in body["items"]] == ["port-a-drug-free"]
    channel = body["items"][0]
    assert channel["owner"] == {"id": rw.world.authority.pk, "name": "Port Authority A"}
    assert (channel["public"], channel["active"], channel["ports"], channel["recipients"]) == (
        True, True, ["BEAAA"], 2)
    assert channel["categories"][0] == {"code": "drugs", "label": "Drugs", "active": True}
    assert client.get(f"{API}/channels?active=false").json()["count"] == 0
    assert client.get(f"{API}/channels?public=true").json()["count"] == 1
    assert client.get(f"{API}/channels/{rw.channel.pk}").json()["slug"] == "port-a-drug-free"
    assert client.get(f"{API}/channels/{rw.foreign_channel.pk}").status_code == 404


def test_the_openapi_schema_builds_with_the_reporting_operations():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert {"/api/v1/reporting/reports/{report_id}", "/api/v1/reporting/statistics"} <= set(schema["paths"])
    assert set(schema["paths"]["/api/v1/reporting/reports/{report_id}"]) == {"get", "patch"}
    triage_in = schema["components"]["schemas"]["ReportingTriageIn"]
    assert triage_in.get("additionalProperties") is False
