"""The visit pre-notification pages: announcing, the approver's list and decision, and who may see what."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from havenwatch.access.choices import CredentialKind, ScreeningResult, VisitStatus
from havenwatch.access.models import Credential, Visit, Visitor
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from tests.access.factories import (
    AnnouncerFactory,
    PersonFactory,
    PortBanFactory,
    VisitFactory,
    VisitorFactory,
    ZoneFactory,
)
from tests.factories import OrganisationFactory, principal


def signed_in(client, who):
    client.force_login(who.user)
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def agent_org(world):
    org = OrganisationFactory(name="Agency A", kind=OrganisationKind.SHIPPING_LINE)
    AnnouncerFactory(organisation=org, facility=world.facility)
    return org


@pytest.fixture
def agent(agent_org):
    return principal(Role.SHIPPING_AGENT, agent_org)


@pytest.fixture
def zone(world):
    return ZoneFactory(facility=world.facility, code="QUAY", name="Quay 1")


def local(moment, world) -> str:
    return moment.astimezone(ZoneInfo(world.port.time_zone)).strftime("%Y-%m-%dT%H:%M")


def announce_data(world, zone, **overrides):
    start = (clock.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    data = {
        "facility": world.facility.pk, "zones": [zone.pk],
        "window_start": local(start, world), "window_end": local(start + timedelta(hours=8), world),
        "ship_call": "", "eta": "", "etd": "", "reason": "crew change", "plate": "",
        "visitors-TOTAL_FORMS": "5", "visitors-INITIAL_FORMS": "0",
        "visitors-MIN_NUM_FORMS": "0", "visitors-MAX_NUM_FORMS": "5",
        "visitors-0-first_name": "Ana", "visitors-0-last_name": "Silva", "visitors-0-date_of_birth": "1985-06-01",
        "visitors-0-nationality": "PT", "visitors-0-id_document_ref": "PT-P1234567",
        "visitors-1-first_name": "Rui", "visitors-1-last_name": "Costa", "visitors-1-date_of_birth": "1990-02-03",
        "visitors-1-nationality": "PT", "visitors-1-id_document_ref": "PT-P7654321",
    }
    data.update(overrides)
    return data


def test_announce_then_approve_through_the_pages(client, world, agent, zone):
    signed_in(client, agent)
    chooser = client.get(reverse("access:visit_announce"))
    assert chooser.status_code == 200 and "Terminal A" in text(chooser)
    # Choosing changes nothing: a GET form that leads to the announcement with ?facility=.
    chooser_form = text(chooser).partition('<form method="get" class="form"')[2].partition("</form>")[0]
    assert 'name="facility"' in chooser_form and "csrfmiddlewaretoken" not in chooser_form
    assert "Terminal B" not in text(chooser)
    form_page = client.get(reverse("access:visit_announce"), {"facility": world.facility.pk})
    assert form_page.status_code == 200 and "Quay 1" in text(form_page)

    response = client.post(reverse("access:visit_announce"), announce_data(world, zone))
    visit = Visit.objects.get()
    assert response.status_code == 302 and response.url == reverse("access:visit_detail", args=[visit.pk])
    assert visit.announcer_id == agent.organisation_id and list(visit.zones.all()) == [zone]
    assert Visitor.objects.filter(visit=visit, screening=ScreeningResult.CLEAR).count() == 2
    assert AuditRecord.objects.filter(code="access.visit.announced").exists()
    detail = client.get(response.url)
    assert "Ana" in text(detail) and "no hit" in text(detail)

    pfso = world.pfso()
    client.force_login(pfso.user)
    listing = client.get(reverse("access:visits"))
    assert listing.status_code == 200
    body = text(listing)
    assert "To approve" in body and reverse("access:visit_detail", args=[visit.pk]) in body

    response = client.post(reverse("access:visit_approve", args=[visit.pk]))
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.APPROVED
    numbers = list(Credential.objects.filter(visit=visit, kind=CredentialKind.VISITOR_QR)
                   .values_list("number", flat=True))
    assert len(numbers) == 2
    detail = text(client.get(reverse("access:visit_detail", args=[visit.pk])))
    assert all(number in detail for number in numbers) and "<svg" in detail


def test_announce_refusal_shows_the_service_message_and_changes_nothing(client, world, agent, zone):
    signed_in(client, agent)
    response = client.post(reverse("access:visit_announce"), announce_data(world, zone, reason=""))
    assert response.status_code == 400
    assert "Say why the visitors come" in text(response)
    assert not Visit.objects.exists()


def test_pfso_of_another_facility_gets_404(client, world):
    visit = VisitFactory(facility=world.facility)
    VisitorFactory(visit=visit)
    signed_in(client, world.foreign_pfso())
    assert client.get(reverse("access:visit_detail", args=[visit.pk])).status_code == 404
    assert client.post(reverse("access:visit_approve", args=[visit.pk])).status_code == 404
    assert client.post(reverse("access:visit_reject", args=[visit.pk]), {"reason": "no"}).status_code == 404
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ANNOUNCED


def test_reject_without_reason_shows_the_message_and_changes_nothing(client, world):
    visit = VisitFactory(facility=world.facility)
    VisitorFactory(visit=visit)
    signed_in(client, world.pfso())
    response = client.post(reverse("access:visit_reject", args=[visit.pk]), {"reason": "  "})
    assert response.status_code == 400
    assert "Say why the visit is rejected" in text(response)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ANNOUNCED and visit.rejection_reason == ""
    assert not AuditRecord.objects.filter(code="access.visit.rejected").exists()

    response = client.post(reverse("access:visit_reject", args=[visit.pk]), {"reason": "no berth"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REJECTED and visit.rejection_reason == "no berth"


def test_banned_visitor_shows_hit_and_approval_is_refused(client, world):
    banned = PersonFactory(employer=None)
    PortBanFactory(person=banned)
    visit = VisitFactory(facility=world.facility)
    VisitorFactory(visit=visit, person=banned, screening=ScreeningResult.HIT)
    signed_in(client, world.pfso())
    detail = text(client.get(reverse("access:visit_detail", args=[visit.pk])))
    assert '<span class="tag danger">hit</span>' in detail
    assert "Corr. Antwerpen" not in detail  # never the ban's details
    response = client.post(reverse("access:visit_approve", args=[visit.pk]))
    assert response.status_code == 400
    assert "is banned from the port: the visit cannot be approved." in text(response)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ANNOUNCED
    assert not Credential.objects.filter(visit=visit).exists()


def test_announcer_cancels(client, world, agent):
    visit = VisitFactory(facility=world.facility, announcer=agent.organisation)
    VisitorFactory(visit=visit)
    signed_in(client, agent)
    assert "Cancel the visit" in text(client.get(reverse("access:visit_detail", args=[visit.pk])))
    assert client.post(reverse("access:visit_cancel", args=[visit.pk])).status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED


@pytest.mark.parametrize("name", ["access:visits", "access:visit_announce", "access:visit_detail"])
def test_anonymous_is_sent_to_sign_in(client, db, name):
    args = [1] if name == "access:visit_detail" else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


def test_driver_may_not_announce(client, world):
    signed_in(client, principal(Role.DRIVER, world.company))
    assert client.get(reverse("access:visit_announce")).status_code == 403
    assert client.post(reverse("access:visit_announce"), {"facility": world.facility.pk}).status_code == 403
