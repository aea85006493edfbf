"""The chain of release rights: each rule by name, then random sequences against the invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import AuditRecord, Organisation, OutboxEvent
from havenwatch.core.selectors import event_visible_to_organisation
from havenwatch.release.choices import ReleaseStatus, RightStatus
from havenwatch.release.models import (
    CommercialRelease,
    Container,
    CustomsHold,
    DriverAssignment,
    ReleaseRight,
)
from havenwatch.release.selectors import holder, lights, release_list
from havenwatch.release.services.assignments import assignment_create
from havenwatch.release.services.holds import discharge_confirm, hold_place, hold_release
from havenwatch.release.services.pickups import pickup_decide
from havenwatch.release.services.releases import (
    release_block,
    release_issue,
    release_reissue,
    release_revoke,
    release_unblock,
)
from havenwatch.release.services.rights import right_accept, right_decline, right_revoke, right_transfer
from tests.factories import OrganisationFactory, principal

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


class Chain:
    """A line, a consignee (forwarder kind), a forwarder and a haulier, each with an acting principal."""

    def __init__(self, world) -> None:
        self.world = world
        self.line_org = OrganisationFactory(name="Oceanic Lines", kind=OrganisationKind.SHIPPING_LINE)
        self.line = principal(Role.SHIPPING_AGENT, self.line_org)
        self.orgs = {
            "consignee": OrganisationFactory(name="Consignee NV", kind=OrganisationKind.FORWARDER),
            "forwarder": OrganisationFactory(name="Kempen Forwarding", kind=OrganisationKind.FORWARDER),
            "haulier": OrganisationFactory(name="Flanders Haulage", kind=OrganisationKind.TRANSPORT_COMPANY),
        }
        self.acting = {
            "consignee": principal(Role.FORWARDER, self.orgs["consignee"]),
            "forwarder": principal(Role.FORWARDER, self.orgs["forwarder"]),
            "haulier": principal(Role.HAULIER_PLANNER, self.orgs["haulier"]),
        }

    def issue(self, number="CSQU3054383"):
        return release_issue(actor=self.line, container_number=number, terminal=self.world.facility,
                             bill_of_lading="OCLU1", first_party=self.orgs["consignee"], valid_from=T0 - DAY,
                             valid_until=T0 + 10 * DAY)

    def right_of(self, release, party, status=None):
        qs = ReleaseRight.objects.filter(release=release, holder=self.orgs[party])
        if status:
            qs = qs.filter(status=status)
        return qs.order_by("-pk").first()


@pytest.fixture
def chain(world):
    return Chain(world)


def test_issuing_offers_the_right_to_the_first_party(chain):
    release = chain.issue()
    right = chain.right_of(release, "consignee")
    assert right.status == RightStatus.OFFERED and right.offered_by == chain.line_org
    assert holder(release) is None
    assert OutboxEvent.objects.filter(type="release.right.offered", organisation_id=chain.orgs["consignee"].pk).exists()


def test_the_chain_passes_from_consignee_to_forwarder_to_haulier(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"),
                           to=chain.orgs["forwarder"])
    assert holder(release).holder == chain.orgs["consignee"]  # an offer alone changes no holder
    right_accept(actor=chain.acting["forwarder"], right=offer)
    assert holder(release).holder == chain.orgs["forwarder"]
    assert chain.right_of(release, "consignee").status == RightStatus.PASSED
    offer = right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])
    right_accept(actor=chain.acting["haulier"], right=offer)
    assert holder(release).holder == chain.orgs["haulier"]
    assert release in release_list(principal=chain.acting["haulier"])
    assert release not in release_list(principal=principal(Role.FORWARDER, OrganisationFactory(
        name="Another Forwarder", kind=OrganisationKind.FORWARDER)))  # a forwarder never sees another's rights


def test_a_party_passes_on_only_what_it_holds(chain):
    release = chain.issue()
    offered = chain.right_of(release, "consignee")
    with pytest.raises(ServiceError, match="You can pass on only a right you hold"):
        right_transfer(actor=chain.acting["consignee"], right=offered, to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["consignee"], right=offered)
    with pytest.raises(ServiceError, match="Only the party concerned"):
        right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])


def test_declining_needs_a_reason_and_leaves_the_sender_holding(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    with pytest.raises(ServiceError, match="Say why you decline"):
        right_decline(actor=chain.acting["forwarder"], right=offer, reason=" ")
    right_decline(actor=chain.acting["forwarder"], right=offer, reason="not our customer")
    assert holder(release).holder == chain.orgs["consignee"]
    assert AuditRecord.objects.filter(code="release.right.declined").exists()


def test_sender_takes_a_right_back_while_not_accepted_downstream(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    onward = right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])
    right_revoke(actor=chain.acting["consignee"], right=offer, reason="wrong forwarder")
    assert holder(release).holder == chain.orgs["consignee"]
    onward.refresh_from_db()
    assert onward.status == RightStatus.REVOKED  # the open offer below falls with it


def test_a_right_accepted_downstream_can_no_longer_be_taken_back(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    onward = right_transfer(actor=chain.acting["forwarder"], right=holder(release), to=chain.orgs["haulier"])
    right_accept(actor=chain.acting["haulier"], right=onward)
    with pytest.raises(ServiceError, match="can no longer be taken back; its status is: Passed on"):
        right_revoke(actor=chain.acting["consignee"], right=chain.right_of(release, "forwarder"), reason="late")


def test_revoking_the_release_brings_the_chain_down_and_tells_everyone(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    release_revoke(actor=chain.line, release=release, reason="cargo sold")
    assert holder(release) is None
    assert not ReleaseRight.objects.filter(release=release).exclude(status__in=["revoked", "declined"]).exists()
    told = set(OutboxEvent.objects.filter(type="release.right.revoked").values_list("organisation_id", flat=True))
    assert told == {chain.orgs["consignee"].pk, chain.orgs["forwarder"].pk}
    with pytest.raises(ServiceError, match="is no longer live"):
        right_transfer(actor=chain.acting["forwarder"], right=chain.right_of(release, "forwarder"),
                       to=chain.orgs["haulier"])


def test_withdraw_and_reissue_restores_the_chain(chain):
    release = chain.issue()
    right_accept(actor=chain.acting["consignee"], right=chain.right_of(release, "consignee"))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    successor = release_reissue(actor=chain.line, release=release, valid_from=T0, valid_until=T0 + 3 * DAY,
                                reason="new vessel rotation")
    assert holder(successor).holder == chain.orgs["forwarder"]
    assert holder(successor).parent.holder == chain.orgs["consignee"]


# --- random sequences ----------------------------------------------------------------------

PARTIES = ["consignee", "forwarder", "haulier"]
SLOT = timedelta(hours=4)


class ChainMachine(RuleBasedStateMachine):
    """Random acts by random parties, allowed or not, over a release's whole life: issue,
    accept, decline, pass on, take back, block, unblock, revoke, issue again, customs holds,
    the discharge, driver assignments and pickups at the gate. After each act the
    invariants hold; a pickup is checked against an oracle of the rules."""

    def __init__(self) -> None:
        super().__init__()
        from havenwatch.core.models import Jurisdiction
        from tests.access.factories import CredentialFactory, PersonFactory
        from tests.conftest import PortWorld

        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        world = PortWorld()
        self.world = world
        self.chain = Chain(world)
        haulier = self.chain.orgs["haulier"]
        self.badges = {
            "driver": CredentialFactory(person=PersonFactory(employer=haulier), port=world.port, issued_by=haulier),
            "colleague": CredentialFactory(person=PersonFactory(employer=haulier), port=world.port, issued_by=haulier),
        }
        customs_org = OrganisationFactory(name="Customs", kind=OrganisationKind.CUSTOMS)
        Jurisdiction.objects.create(organisation=customs_org, port=world.port)
        self.customs = principal(Role.AUTHORITY_INVESTIGATOR, customs_org)
        self.terminal = world.pfso()
        self.gate = principal(Role.GATE_GUARD, world.operator)
        self.numbers = iter(["CSQU3054383", "MSKU9070323", "TGHU1234567", "OOLU1234567", "MSCU1234566"])
        self.release = self.chain.issue(next(self.numbers))
        self.granted: dict[int, int] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _try(self, fn, **kwargs):
        before = AuditRecord.objects.count()
        try:
            with transaction.atomic():
                result = fn(**kwargs)
        except ServiceError:
            assert AuditRecord.objects.count() == before  # a refusal writes nothing
            return None
        assert AuditRecord.objects.count() > before  # every act is audited
        return result

    def _refresh(self):
        self.release.refresh_from_db()

    # --- the chain ---------------------------------------------------------------------

    @rule(party=st.sampled_from(PARTIES))
    def accept(self, party):
        right = ReleaseRight.objects.filter(release=self.release, status=RightStatus.OFFERED).first()
        if right is not None:
            self._try(right_accept, actor=self.chain.acting[party], right=right)

    @rule(party=st.sampled_from(PARTIES))
    def decline(self, party):
        right = ReleaseRight.objects.filter(release=self.release, status=RightStatus.OFFERED).first()
        if right is not None:
            self._try(right_decline, actor=self.chain.acting[party], right=right, reason="no")

    @rule(party=st.sampled_from(PARTIES), to=st.sampled_from(PARTIES))
    def transfer(self, party, to):
        right = holder(self.release)
        if right is not None:
            self._try(right_transfer, actor=self.chain.acting[party], right=right, to=self.chain.orgs[to])

    @rule(party=st.sampled_from(PARTIES), pick=st.integers(0, 5))
    def take_back(self, party, pick):
        rights = list(ReleaseRight.objects.filter(release=self.release).order_by("pk"))
        if rights:
            self._try(right_revoke, actor=self.chain.acting[party], right=rights[pick % len(rights)], reason="back")

    # --- the line ---------------------------------------------------------------------

    @rule()
    def block(self):
        self._try(release_block, actor=self.chain.line, release=self.release, reason="freight unpaid")
        self._refresh()

    @rule()
    def unblock(self):
        self._try(release_unblock, actor=self.chain.line, release=self.release, reason="paid")
        self._refresh()

    @rule()
    def revoke_release(self):
        standing = set(ReleaseRight.objects.filter(release=self.release, status__in=["offered", "held", "passed"])
                       .values_list("holder_id", flat=True))
        if self._try(release_revoke, actor=self.chain.line, release=self.release, reason="sold") is not None:
            # Revocation reaches everyone downstream: each standing party hears of it.
            revoked = OutboxEvent.objects.filter(type="release.revoked").order_by("-sequence").first()
            for party in standing:
                assert event_visible_to_organisation(revoked, Organisation.objects.get(pk=party))
        self._refresh()

    @precondition(lambda self: self.release.status not in ("active", "blocked"))
    @rule()
    def issue_again(self):
        number = next(self.numbers, None)
        if number is not None:
            self.release = self.chain.issue(number)

    # --- customs, terminal, haulier, gate -----------------------------------------------

    @rule(hold=st.booleans())
    def customs(self, hold):
        container = self.release.container
        if hold:
            self._try(hold_place, actor=self.customs, container=container, reason="scan")
        else:
            open_hold = CustomsHold.objects.filter(container=container, released_at__isnull=True).first()
            if open_hold is not None:
                self._try(hold_release, actor=self.customs, hold=open_hold, reason="scanned")

    @rule()
    def discharge(self):
        self._try(discharge_confirm, actor=self.terminal, container=self.release.container)

    @rule(party=st.sampled_from(PARTIES), badge=st.sampled_from(["driver", "colleague"]))
    def assign(self, party, badge):
        now = clock.now()
        self._try(assignment_create, actor=self.chain.acting[party], release=self.release,
                  credential_number=self.badges[badge].number, plate="1ABC234", slot_start=now - SLOT,
                  slot_end=now + SLOT)

    @rule(badge=st.sampled_from(["driver", "colleague"]), plate=st.sampled_from(["1ABC234", "9ZZZ999"]))
    def pickup(self, badge, plate):
        self._refresh()
        container = Container.objects.get(pk=self.release.container_id)  # fresh: its discharge, its holds
        # The oracle: what the rules say before the gate decides.
        light = lights(container)
        assignment = DriverAssignment.objects.filter(release=self.release, status="active").first()
        held = holder(self.release)
        expected = (self.release.status == ReleaseStatus.ACTIVE and light.all_green and assignment is not None
                    and held is not None and held.holder_id == assignment.haulier_id
                    and assignment.credential_id == self.badges[badge].pk and plate == "1ABC234")
        attempt = self._try(pickup_decide, actor=self.gate, terminal=self.world.facility,
                            container_number=container.number, credential_number=self.badges[badge].number,
                            plate=plate)
        assert attempt is not None  # a refusal at the gate is an act too: stored and audited
        assert attempt.granted == expected, (attempt.reasons, light, self.release.status)
        if attempt.granted:
            self.granted[self.release.pk] = self.granted.get(self.release.pk, 0) + 1
        self._refresh()

    # --- the way to the gate: random acts rarely walk it all, so this takes its next step

    def _next_step(self):
        offer = ReleaseRight.objects.filter(release=self.release, status=RightStatus.OFFERED).first()
        held = holder(self.release)
        haulier = self.chain.orgs["haulier"]
        party_of = {org.pk: name for name, org in self.chain.orgs.items()}
        if offer is not None:
            self._try(right_accept, actor=self.chain.acting[party_of[offer.holder_id]], right=offer)
        elif held is not None and held.holder_id != haulier.pk:
            self._try(right_transfer, actor=self.chain.acting[party_of[held.holder_id]], right=held, to=haulier)
        elif held is not None and not DriverAssignment.objects.filter(release=self.release, status="active").exists():
            self.assign("haulier", "driver")
        elif self.release.container.discharged_at is None:
            self.discharge()
            self.release.container.refresh_from_db()

    @rule()
    def step_towards_the_gate(self):
        self._next_step()

    @rule()
    def another_step_towards_the_gate(self):
        self._next_step()

    @rule()
    def a_third_step_towards_the_gate(self):
        self._next_step()

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def one_holder_at_most(self):
        assert ReleaseRight.objects.filter(release=self.release, status=RightStatus.HELD).count() <= 1

    @invariant()
    def one_open_offer_at_most_and_only_from_the_holder(self):
        offers = list(ReleaseRight.objects.filter(release=self.release, status=RightStatus.OFFERED))
        assert len(offers) <= 1
        current = holder(self.release)
        for offer in offers:
            assert offer.parent_id is None or (current is not None and offer.parent_id == current.pk)

    @invariant()
    def a_revoked_release_leaves_no_right_or_driver_standing(self):
        if self.release.status == ReleaseStatus.REVOKED:
            assert not ReleaseRight.objects.filter(release=self.release,
                                                   status__in=["offered", "held", "passed"]).exists()

    @invariant()
    def the_chain_is_a_path(self):
        # Every passed or held right descends from the first through passed rights.
        for right in ReleaseRight.objects.filter(release=self.release, status__in=["held", "passed"]):
            node = right
            while node.parent_id is not None:
                node = node.parent
                assert node.status == RightStatus.PASSED

    @invariant()
    def an_active_assignment_is_the_holding_hauliers_on_a_live_release(self):
        for assignment in DriverAssignment.objects.filter(status="active").select_related("release"):
            assert assignment.release.status in ("active", "blocked")
            assert DriverAssignment.objects.filter(release=assignment.release, status="active").count() == 1
            assert holder(assignment.release).holder_id == assignment.haulier_id

    @invariant()
    def a_container_leaves_once(self):
        assert all(count == 1 for count in self.granted.values())
        for release_id in self.granted:
            assert CommercialRelease.objects.get(pk=release_id).status == ReleaseStatus.PICKED_UP


@pytest.mark.django_db
def test_random_sequences_of_acts_keep_the_chains_invariants():
    with clock.frozen(T0):
        ChainMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=35, deadline=None,
                                                  suppress_health_check=[HealthCheck.too_slow])
        ChainMachine.TestCase().runTest()
