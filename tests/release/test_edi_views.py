"""The EDIFACT import, as a page (upload or paste) and as the API's ``POST /release/coreor``."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.models import AuditRecord
from havenwatch.release.choices import ReleaseStatus
from havenwatch.release.models import CommercialRelease
from tests.factories import principal
from tests.matrix import MatrixWorld
from tests.release.test_edifact import make_chain, sample, with_counts
from tests.release.test_rights import T0

API = "/api/v1/release/coreor"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def chain(world):
    return make_chain(world)


def signed_in(client, who):
    client.force_login(who.user)
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def line_client(client, chain):
    return signed_in(client, chain.line)


# --- the page --------------------------------------------------------------------------


def test_the_page_explains_what_is_read_to_the_shipping_line(line_client):
    response = line_client.get(reverse("release:coreor_import"))
    assert response.status_code == 200
    body = text(response)
    assert "EDIFACT import" in body and 'enctype="multipart/form-data"' in body
    assert "LOC+11+BEANR:139:6+1742:ISPS:ZZZ" in body and "NAD+FW+BE0123456789:EORI:ZZZ" in body
    assert "Nothing was imported" not in body


def test_roles_without_the_issue_permission_get_403(client, chain):
    for who in (chain.acting["forwarder"], chain.acting["haulier"], chain.world.pso()):
        response = signed_in(client, who).post(reverse("release:coreor_import"), {"text": sample("two_messages.edi")})
        assert response.status_code == 403
        assert client.get(reverse("release:coreor_import")).status_code == 403
    assert not CommercialRelease.objects.exists()


def test_uploading_a_file_issues_the_releases_and_shows_them(line_client, chain):
    upload = SimpleUploadedFile("INT0001.edi", sample("two_messages.edi").encode("latin-1"),
                                content_type="application/edifact")
    response = line_client.post(reverse("release:coreor_import"), {"file": upload})
    assert response.status_code == 302 and response["Location"] == reverse("release:coreor_import")
    assert CommercialRelease.objects.filter(shipping_line=chain.line_org).count() == 4
    assert AuditRecord.objects.filter(code="release.coreor.imported").count() == 2
    shown = line_client.get(response["Location"])
    body = text(shown)
    assert "Interchange INT0001 imported: 4 issued, 0 updated, 0 revoked." in body
    assert "Interchange INT0001 imported" in body and "2 messages read." in body
    for number in ("CSQU3054383", "MSKU9070323", "MSCU1234566", "TGHU1234567"):
        assert number in body
    assert "2026-05-21 00:00:00 CEST" in body  # valid until the end of 20 May, in the terminal's time zone
    again = text(line_client.get(reverse("release:coreor_import")))
    assert "INT0001 imported" not in again  # the result is shown once


def test_pasting_a_replacement_then_a_cancellation(line_client, chain):
    line_client.post(reverse("release:coreor_import"), {"text": sample("two_messages.edi")})
    response = line_client.post(reverse("release:coreor_import"), {"text": sample("replacement.edi")}, follow=True)
    assert "0 issued, 1 updated, 0 revoked" in text(response)
    response = line_client.post(reverse("release:coreor_import"), {"text": sample("cancellation.edi")}, follow=True)
    assert "0 issued, 0 updated, 1 revoked" in text(response) and "Revoked" in text(response)
    assert CommercialRelease.objects.get(container__number="MSKU9070323").status == ReleaseStatus.REVOKED


def test_a_refused_interchange_lists_each_problem_with_its_segment_and_writes_nothing(line_client):
    bad = sample("two_messages.edi").replace("MSCU1234566", "MSCU1234560").replace("UNT+15+1", "UNT+14+1")
    response = line_client.post(reverse("release:coreor_import"), {"text": bad})
    assert response.status_code == 400
    body = text(response)
    assert "Nothing was imported" in body and "The interchange has 2 problems." in body
    assert "The interchange INT0001 is refused (2 problems); nothing was imported." in body
    assert "MSCU1234560 has a wrong check digit: the last digit should be 6." in body
    assert "UNT counts 14 segments; the message has 15 (UNH and UNT included)." in body
    assert '<td class="num">25</td>' in body and '<td class="num">16</td>' in body
    assert not CommercialRelease.objects.exists()
    assert AuditRecord.objects.filter(code="release.coreor.refused").count() == 1


def test_the_form_wants_a_file_or_text_not_both(line_client):
    response = line_client.post(reverse("release:coreor_import"), {"text": "  "})
    assert response.status_code == 400 and "Upload a COREOR file or paste the interchange." in text(response)
    upload = SimpleUploadedFile("a.edi", b"UNB", content_type="text/plain")
    response = line_client.post(reverse("release:coreor_import"), {"text": "UNB", "file": upload})
    assert response.status_code == 400 and "not both" in text(response)
    assert not AuditRecord.objects.filter(code__startswith="release.coreor").exists()


def test_a_binary_upload_is_not_an_edifact_interchange(line_client):
    upload = SimpleUploadedFile("photo.edi", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", content_type="image/png")
    response = line_client.post(reverse("release:coreor_import"), {"file": upload})
    assert response.status_code == 400
    assert "This is not an EDIFACT interchange: it holds binary data (NUL bytes)." in text(response)


# --- the API ---------------------------------------------------------------------------


@pytest.fixture
def line_token(chain):
    return MatrixWorld.make_token(chain.line, "line EDI gateway")


def post(body, token=None, content_type="application/edifact", client=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return (client or Client()).generic("POST", API, body, content_type=content_type, **headers)


def test_the_api_imports_an_interchange_and_answers_201_with_a_summary(line_token, chain):
    response = post(sample("two_messages.edi").encode("latin-1"), line_token, content_type="application/EDIFACT")
    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in ("interchange", "messages", "issued", "updated", "unchanged", "revoked")} == {
        "interchange": "INT0001", "messages": 2, "issued": 4, "updated": 0, "unchanged": 0, "revoked": 0}
    ids = set(CommercialRelease.objects.values_list("pk", flat=True))
    assert {item["id"] for item in data["releases"]} == ids
    assert {item["act"] for item in data["releases"]} == {"issued"}
    response = post(sample("cancellation.edi"), line_token, content_type="text/plain; charset=iso-8859-1")
    assert response.status_code == 201 and response.json()["revoked"] == 1


def test_the_api_refuses_a_bad_interchange_with_every_error(line_token):
    bad = with_counts(sample("two_messages.edi").replace("BE0987654321", "NL0000000001"))
    response = post(bad, line_token)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "coreor_refused"
    assert problem["errors"] == [{
        "message_reference": "2", "segment": 24, "tag": "NAD", "code": "unknown_party",
        "reason": "No active organisation on the platform has the EORI number NL0000000001.",
        "message": "Segment 24 (NAD): No active organisation on the platform has the EORI number NL0000000001."}]
    assert not CommercialRelease.objects.exists()


def test_the_api_wants_the_raw_interchange(line_token):
    response = post('{"interchange": "UNB"}', line_token, content_type="application/json")
    assert response.status_code == 415 and response["Content-Type"] == PROBLEM
    assert "Content-Type application/edifact or text/plain" in response.json()["detail"]


def test_the_api_refuses_an_interchange_over_5_mb_with_413(line_token):
    response = post(b"UNB+UNOC:3+" + b"X" * (5 * 1024 * 1024), line_token)
    assert response.status_code == 413 and response.json()["errors"][0]["code"] == "too_large"
    assert AuditRecord.objects.filter(code="release.coreor.refused").exists()


def test_the_api_refuses_roles_without_the_issue_permission(chain):
    forwarder = MatrixWorld.make_token(chain.acting["forwarder"], "forwarder")
    response = post(sample("two_messages.edi"), forwarder)
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert post(sample("two_messages.edi")).status_code == 401
    planner = principal(Role.HAULIER_PLANNER, chain.orgs["haulier"])
    assert post(sample("two_messages.edi"), MatrixWorld.make_token(planner, "planner")).status_code == 403
    assert not CommercialRelease.objects.exists()
    assert not AuditRecord.objects.filter(code__startswith="release.coreor").exists()
