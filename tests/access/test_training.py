"""Training: employers record courses; an authorisation can require one; the gate checks it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from havenwatch.access.choices import Reason
from havenwatch.access.models import Authorisation, TrainingRecord
from havenwatch.access.services.rights import authorisation_grant
from havenwatch.access.services.screening import training_record
from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.errors import PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord
from tests.access.factories import (
    AccessPointFactory,
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    TrainingRecordFactory,
    ZoneFactory,
)
from tests.access.test_decisions import NOON, Gate, refused_for
from tests.factories import principal

TODAY = NOON.date()
COURSE = "ISPS security awareness"


@pytest.fixture
def g(world):
    """A badge holder authorised for a zone, at noon on a Wednesday (as in test_decisions)."""
    with clock.frozen(NOON):
        zone = ZoneFactory(facility=world.facility)
        person = PersonFactory(employer=world.company)
        card = CredentialFactory(person=person, port=world.port, issued_by=world.company)
        FacilityEnrolmentFactory(credential=card, facility=world.facility)
        yield Gate(world, zone, AccessPointFactory(zone=zone), person, card,
                   AuthorisationFactory(person=person, zone=zone))


@pytest.fixture
def manager(world):
    return principal(Role.COMPANY_ACCESS_MANAGER, world.company)


def test_manager_records_a_course_of_an_employee_and_it_is_audited(g, manager):
    record = training_record(actor=manager, person=g.person, course="  ISPS   security awareness ",
                             completed_on=TODAY - timedelta(days=10), valid_until=TODAY + timedelta(days=700))
    assert record.course == COURSE and record.recorded_by == g.world.company
    audit = AuditRecord.objects.get(code="access.training.recorded")
    assert audit.data == {"course": COURSE, "completed_on": (TODAY - timedelta(days=10)).isoformat(),
                          "valid_until": (TODAY + timedelta(days=700)).isoformat()}


@pytest.mark.parametrize(("change", "message"), [
    ({"course": " "}, "Name the course."),
    ({"course": "x" * 81}, "at most 80 characters"),
    ({"completed_on": TODAY + timedelta(days=1)}, "cannot be completed in the future"),
    ({"valid_until": TODAY - timedelta(days=30)}, "cannot end before it was completed"),
])
def test_bad_training_records_are_refused_and_nothing_is_stored(g, manager, change, message):
    fields = {"course": COURSE, "completed_on": TODAY - timedelta(days=10), "valid_until": None, **change}
    with pytest.raises(ValidationFailed, match=message):
        training_record(actor=manager, person=g.person, **fields)
    assert not TrainingRecord.objects.exists()


def test_training_of_another_employers_person_is_refused(g, world):
    other = principal(Role.COMPANY_ACCESS_MANAGER, world.operator)
    with pytest.raises(PermissionRefused, match="your own employees only"):
        training_record(actor=other, person=g.person, course=COURSE, completed_on=TODAY)
    assert not TrainingRecord.objects.exists()


def test_gate_refuses_when_the_required_training_is_missing(g):
    g.authorisation.required_training = COURSE
    g.authorisation.save()
    refused_for(g.decide(), Reason.TRAINING_REQUIRED)


def test_gate_lets_in_with_the_required_training_whatever_its_case(g):
    g.authorisation.required_training = COURSE
    g.authorisation.save()
    TrainingRecordFactory(person=g.person, course="isps Security Awareness", completed_on=TODAY - timedelta(days=3))
    assert g.decide().granted


def test_gate_refuses_an_expired_training(g):
    g.authorisation.required_training = COURSE
    g.authorisation.save()
    TrainingRecordFactory(person=g.person, course=COURSE, completed_on=date(2024, 1, 1),
                          valid_until=TODAY - timedelta(days=1))
    refused_for(g.decide(), Reason.TRAINING_REQUIRED)


def test_training_check_adds_no_query(g):
    with CaptureQueriesContext(connection) as plain:
        g.decide()
    g.authorisation.required_training = COURSE
    g.authorisation.save()
    TrainingRecordFactory(person=g.person, course=COURSE, completed_on=TODAY - timedelta(days=3))
    with CaptureQueriesContext(connection) as trained:
        assert g.decide().granted
    assert len(trained.captured_queries) == len(plain.captured_queries)


def test_pfso_grants_an_authorisation_that_requires_a_course(g, world):
    authorisation = authorisation_grant(
        actor=world.pfso(), zone=g.zone, organisation=world.company, valid_from=NOON, purpose="lashing",
        valid_until=NOON + timedelta(days=30), required_training=f" {COURSE} ")
    assert Authorisation.objects.get(pk=authorisation.pk).required_training == COURSE
    audit = AuditRecord.objects.filter(code="access.authorisation.granted").last()
    assert audit.data["conditions"]["required_training"] == COURSE


def test_manager_records_a_course_on_the_person_page(client, g, manager):
    client.force_login(manager.user)
    url = reverse("access:person_training", args=[g.person.pk])
    response = client.post(url, {"training-course": "", "training-completed_on": "2026-06-01"})
    assert response.status_code == 400 and "Name the course." in response.content.decode()
    assert not TrainingRecord.objects.exists()
    response = client.post(url, {"training-course": COURSE, "training-completed_on": "2026-06-01",
                                 "training-valid_until": "2028-06-01"})
    assert response.status_code == 302
    page = client.get(reverse("access:person_detail", args=[g.person.pk])).content.decode()
    assert COURSE in page and "2028-06-01" in page


def test_guard_cannot_record_training(client, g, world):
    client.force_login(principal(Role.GATE_GUARD, world.operator).user)
    response = client.post(reverse("access:person_training", args=[g.person.pk]),
                           {"training-course": COURSE, "training-completed_on": "2026-06-01"})
    assert response.status_code == 403 and not TrainingRecord.objects.exists()


def test_training_over_the_api(client, g, manager):
    client.force_login(manager.user)
    response = client.post("/api/v1/access/training-records", json.dumps(
        {"person_id": g.person.pk, "course": COURSE, "completed_on": "2026-06-01"}), content_type="application/json")
    assert response.status_code == 201, response.content
    listed = client.get("/api/v1/access/training-records", {"person_id": g.person.pk}).json()["items"]
    assert [item["course"] for item in listed] == [COURSE]
