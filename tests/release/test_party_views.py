"""The forwarders' and hauliers' pages: the rights inbox, passing on, taking back, and the
haulier's driver assignment."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from havenwatch.release.choices import AssignmentStatus, RightStatus
from havenwatch.release.models import DriverAssignment, ReleaseRight
from havenwatch.release.selectors import holder, release_view
from havenwatch.release.services.releases import release_issue
from havenwatch.release.services.rights import right_accept, right_transfer
from tests.access.test_visit_views import signed_in, text
from tests.factories import OrganisationFactory, principal
from tests.release.test_pickups import Pickup
from tests.release.test_rights import DAY, T0, Chain
from tests.release.test_terminal_views import assert_csp_clean

OTHER = "MSCU1234566"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def chain(world):
    """The consignee holds the right and offers it to the forwarder."""
    chain = Chain(world)
    chain.release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(chain.release, "consignee"))
    chain.offer = right_transfer(actor=chain.acting["consignee"], right=holder(chain.release),
                                 to=chain.orgs["forwarder"])
    return chain


def audited(code: str) -> int:
    return AuditRecord.objects.filter(code=code).count()


def test_forwarders_inbox_shows_the_offer_to_it_and_not_another_forwarders(client, world, chain):
    rival = OrganisationFactory(name="Rival Forwarding", kind=OrganisationKind.FORWARDER)
    release_issue(actor=chain.line, container_number=OTHER, terminal=world.facility, bill_of_lading="OCLU2",
                  first_party=rival, valid_from=T0 - DAY, valid_until=T0 + 10 * DAY)
    page = text(signed_in(client, chain.acting["forwarder"]).get(reverse("release:inbox")))
    offered = page.partition('id="offered"')[2].partition('id="held"')[0]
    assert "CSQU3054383" in offered and "Consignee NV" in offered and "Accept" in offered
    assert OTHER not in page and "Rival Forwarding" not in page
    assert "Your organisation holds no right to collect a container now." in page


def test_the_sender_sees_its_open_offer_under_passed_on(client, chain):
    page = text(signed_in(client, chain.acting["consignee"]).get(reverse("release:inbox")))
    passed = page.partition('id="passed"')[2]
    assert "CSQU3054383" in passed and "Kempen Forwarding" in passed and "Take back" in passed


def test_accepting_makes_the_forwarder_the_holder(client, chain):
    signed_in(client, chain.acting["forwarder"])
    response = client.post(reverse("release:right_accept", args=[chain.offer.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("release:inbox")
    assert holder(chain.release).holder == chain.orgs["forwarder"]
    assert audited("release.right.accepted") == 2  # the consignee's acceptance, then the forwarder's
    held = text(client.get(reverse("release:inbox"))).partition('id="held"')[2].partition('id="passed"')[0]
    assert "CSQU3054383" in held and "Pass on" in held
    assert "Assign a driver" not in held  # a forwarder does not assign drivers


def test_declining_needs_a_reason_and_leaves_the_sender_holding(client, chain):
    signed_in(client, chain.acting["forwarder"])
    url = reverse("release:right_decline", args=[chain.offer.pk])
    before = audited("release.right.declined")
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 400
    assert "Say why you decline: the sender reads it." in text(refused)
    chain.offer.refresh_from_db()
    assert chain.offer.status == RightStatus.OFFERED and audited("release.right.declined") == before
    assert client.post(url, {"reason": "not our customer"}).status_code == 302
    chain.offer.refresh_from_db()
    assert chain.offer.status == RightStatus.DECLINED and chain.offer.reason == "not our customer"
    assert holder(chain.release).holder == chain.orgs["consignee"]
    assert audited("release.right.declined") == before + 1


def test_the_forwarder_passes_the_right_on_to_the_haulier(client, chain):
    right_accept(actor=chain.acting["forwarder"], right=chain.offer)
    held = holder(chain.release)
    signed_in(client, chain.acting["forwarder"])
    url = reverse("release:right_transfer", args=[held.pk])
    form = text(client.get(url))
    assert "The receiver must accept before it holds the right" in form
    assert "Flanders Haulage" in form
    assert f'value="{chain.orgs["forwarder"].pk}"' not in form  # not to itself
    assert f'value="{chain.line_org.pk}"' not in form  # only forwarders and hauliers
    assert client.post(url, {"to": ""}).status_code == 400
    response = client.post(url, {"to": chain.orgs["haulier"].pk})
    assert response.status_code == 302
    offer = ReleaseRight.objects.get(release=chain.release, holder=chain.orgs["haulier"])
    assert offer.status == RightStatus.OFFERED and offer.offered_by == chain.orgs["forwarder"]
    assert AuditRecord.objects.filter(code="release.right.offered", organisation_id=chain.orgs["haulier"].pk).exists()


def test_passing_on_a_right_one_does_not_hold_gives_the_services_message(client, chain):
    signed_in(client, chain.acting["forwarder"])
    response = client.post(reverse("release:right_transfer", args=[chain.offer.pk]), {"to": chain.orgs["haulier"].pk})
    assert response.status_code == 400
    assert "You can pass on only a right you hold" in text(response)
    assert not ReleaseRight.objects.filter(holder=chain.orgs["haulier"]).exists()


def test_the_sender_takes_back_an_open_offer_with_a_reason(client, chain):
    signed_in(client, chain.acting["consignee"])
    url = reverse("release:right_revoke", args=[chain.offer.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Say why you take the right back" in text(refused)
    chain.offer.refresh_from_db()
    assert chain.offer.status == RightStatus.OFFERED
    assert client.post(url, {"reason": "wrong forwarder"}).status_code == 302
    chain.offer.refresh_from_db()
    assert chain.offer.status == RightStatus.REVOKED
    assert AuditRecord.objects.filter(code="release.right.revoked").exists()


def test_another_partys_right_is_not_found(client, chain):
    rival = principal(Role.FORWARDER, OrganisationFactory(name="Rival Forwarding", kind=OrganisationKind.FORWARDER))
    signed_in(client, rival)
    assert client.post(reverse("release:right_accept", args=[chain.offer.pk])).status_code == 404
    assert client.get(reverse("release:right_transfer", args=[chain.offer.pk])).status_code == 404
    chain.offer.refresh_from_db()
    assert chain.offer.status == RightStatus.OFFERED


def test_the_inbox_is_for_the_parties_only(client, world):
    signed_in(client, principal(Role.GATE_GUARD, world.operator))
    assert client.get(reverse("release:inbox")).status_code == 403


# --- the haulier's driver assignment --------------------------------------------------------


@pytest.fixture
def p(world):
    return Pickup(world)


def local(moment, world) -> str:
    return moment.astimezone(ZoneInfo(world.port.time_zone)).strftime("%Y-%m-%dT%H:%M")


def assign_data(p, **overrides):
    data = {"credential": p.badge.number, "plate": "1-ABC-234", "slot_start": local(T0 - timedelta(hours=1), p.world),
            "slot_end": local(T0 + timedelta(hours=3), p.world)}
    data.update(overrides)
    return data


def test_the_haulier_assigns_a_driver_by_badge(client, p):
    signed_in(client, p.acting["haulier"])
    url = reverse("release:assign", args=[p.release.pk])
    form = text(client.get(url))
    assert "Assign a driver to CSQU3054383" in form and "No driver assigned yet." in form
    response = client.post(url, assign_data(p))
    assert response.status_code == 302
    assignment = DriverAssignment.objects.get()
    assert assignment.credential == p.badge and assignment.plate == "BE:1ABC234"
    assert assignment.slot_start == T0 - timedelta(hours=1) and assignment.haulier == p.orgs["haulier"]
    assert audited("release.assignment.created") == 1
    held = text(client.get(reverse("release:inbox"))).partition('id="held"')[2]
    assert "Dirk Mertens" in held and "BE:1ABC234" in held and "Assign another driver" in held


def test_an_unknown_badge_is_refused_with_the_services_message_and_nothing_written(client, p):
    signed_in(client, p.acting["haulier"])
    response = client.post(reverse("release:assign", args=[p.release.pk]), assign_data(p, credential="NOBODY-0001"))
    assert response.status_code == 400
    assert "No credential NOBODY-0001." in text(response)
    assert not DriverAssignment.objects.exists() and audited("release.assignment.created") == 0


def test_a_new_assignment_replaces_the_current_one(client, p):
    first = p.assign()
    signed_in(client, p.acting["haulier"])
    page = text(client.get(reverse("release:assign", args=[p.release.pk])))
    assert "A new assignment replaces this one." in page and "Dirk Mertens" in page
    assert client.post(reverse("release:assign", args=[p.release.pk]), assign_data(p)).status_code == 302
    first.refresh_from_db()
    assert first.status == AssignmentStatus.CANCELLED
    assert DriverAssignment.objects.filter(status=AssignmentStatus.ACTIVE).count() == 1


def test_the_haulier_cancels_its_assignment_with_a_reason(client, p):
    assignment = p.assign()
    signed_in(client, p.acting["haulier"])
    url = reverse("release:assignment_cancel", args=[assignment.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "Say why the assignment is cancelled." in text(refused)
    assert client.post(url, {"reason": "driver ill"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED and assignment.cancelled_reason == "driver ill"
    assert audited("release.assignment.cancelled") == 1


def test_only_haulier_planners_assign_and_only_on_releases_they_see(client, p):
    signed_in(client, p.acting["forwarder"])
    assert client.get(reverse("release:assign", args=[p.release.pk])).status_code == 403
    stranger = principal(Role.HAULIER_PLANNER, OrganisationFactory(name="Other Haulage",
                                                                   kind=OrganisationKind.TRANSPORT_COMPANY))
    signed_in(client, stranger)
    assert client.get(reverse("release:assign", args=[p.release.pk])).status_code == 404
    assignment = p.assign()
    assert client.post(reverse("release:assignment_cancel", args=[assignment.pk]),
                       {"reason": "mine now"}).status_code == 404
    assert not DriverAssignment.objects.filter(status=AssignmentStatus.CANCELLED).exists()


# --- the actions on the release's page ---------------------------------------------------------


def actions_for(who, release) -> str:
    request = RequestFactory().get(f"/release/releases/{release.pk}/")
    request.principal = who
    request.user = who.user
    return render_to_string("release/parties/_release_actions.html",
                            {"release": release, "view": release_view(who, release), "request": request})


def test_the_release_page_offers_each_party_its_own_actions(p):
    assignment = p.assign()
    haulier = actions_for(p.acting["haulier"], p.release)
    assert reverse("release:right_transfer", args=[holder(p.release).pk]) in haulier
    assert reverse("release:assign", args=[p.release.pk]) in haulier
    assert reverse("release:assignment_cancel", args=[assignment.pk]) in haulier
    assert actions_for(p.acting["forwarder"], p.release).strip() == ""  # it never held this one
    assert actions_for(p.gate, p.release).strip() == ""


def test_the_sender_can_take_back_its_offer_from_the_release_page(chain):
    page = actions_for(chain.acting["consignee"], chain.release)
    assert reverse("release:right_revoke", args=[chain.offer.pk]) in page
    offered = actions_for(chain.acting["forwarder"], chain.release)
    assert reverse("release:right_accept", args=[chain.offer.pk]) in offered


def test_the_inbox_takes_a_fixed_number_of_queries(client, p, world):
    p.assign()
    signed_in(client, p.acting["haulier"])
    client.get(reverse("release:inbox"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("release:inbox"))
    for number in ("TGHU8881380", "CAIU7086501"):
        release = release_issue(actor=p.line, container_number=number, terminal=world.facility,
                                bill_of_lading="OCLU9", first_party=p.orgs["haulier"], valid_from=T0 - DAY,
                                valid_until=T0 + 10 * DAY)
        right_accept(actor=p.acting["haulier"], right=ReleaseRight.objects.get(release=release))
    with CaptureQueriesContext(connection) as three:
        page = text(client.get(reverse("release:inbox")))
    assert "TGHU8881380" in page and "CAIU7086501" in page
    assert len(three) == len(one)


def test_the_party_pages_carry_no_inline_script_style_or_handlers(client, p):
    p.assign()
    signed_in(client, p.acting["haulier"])
    for url in (reverse("release:inbox"), reverse("release:assign", args=[p.release.pk]),
                reverse("release:right_transfer", args=[holder(p.release).pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_csp_clean(text(response), url)
