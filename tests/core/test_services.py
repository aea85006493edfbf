"""Every rule of the core's services, with the message a person sees when it refuses.

Each state change writes its audit record (and its domain event where others should
hear of it); each refusal changes nothing at all.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from django.core.management import call_command

from havenwatch.core import audit, clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import (
    ApiToken,
    AuditRecord,
    Facility,
    Membership,
    Organisation,
    OutboxEvent,
    Port,
    SecurityLevelAcknowledgement,
    SecurityLevelChange,
    User,
)
from havenwatch.core.services import auth, organisations, places, tokens, users
from havenwatch.core.services.security_levels import security_level_acknowledge, security_level_set
from tests.factories import FacilityFactory, UserFactory, principal

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MODELS = [Organisation, Port, Facility, User, Membership, ApiToken, SecurityLevelChange, SecurityLevelAcknowledgement,
          AuditRecord, OutboxEvent]


def snapshot():
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture
def unchanged():
    """``with unchanged(): <refused call>``: asserts that nothing was written."""
    from contextlib import contextmanager

    @contextmanager
    def check():
        before = snapshot()
        yield
        assert snapshot() == before

    return check


def audited(code: str) -> AuditRecord:
    return AuditRecord.objects.filter(code=code).order_by("-sequence").first()


def published(code: str) -> OutboxEvent | None:
    return OutboxEvent.objects.filter(type=code).order_by("-sequence").first()


# --- organisations -----------------------------------------------------------------


@pytest.mark.django_db
def test_organisation_with_a_valid_belgian_vat_number_is_created_and_audited(world):
    org = organisations.organisation_create(actor=world.admin(), name="Haven Logistics", kind="company",
                                            country="be", vat_number="BE 0404.616.494", eori_number="BE0404616494")
    assert (org.country, org.vat_number, org.eori_number, org.slug) == ("BE", "BE0404616494", "BE0404616494",
                                                                        "haven-logistics")
    record = audited("core.organisation.created")
    assert record.subject_id == str(org.pk) and record.data["vat_number"] == "BE0404616494"
    assert published("core.organisation.created").organisation_id == org.pk


@pytest.mark.django_db
@pytest.mark.parametrize("field, value, message", [
    ("vat_number", "BE0404616495", "BE0404616495 is not a valid VAT number: its check digits do not match."),
    ("eori_number", "BE0404616495", "BE0404616495 is not a valid EORI number: its VAT part fails the check."),
    ("eori_number", "1234", "1234 is not an EORI number: two letters of a country and up to 15 letters or digits."),
    ("country", "Belgium", "Country must be a two-letter ISO 3166 code such as BE."),
    ("kind", "pirates", "Unknown kind of organisation: pirates."),
])
def test_organisation_with_a_wrong_identifier_is_refused_naming_it(world, unchanged, field, value, message):
    fields = {"name": "Haven Logistics", "kind": "company", "country": "BE", field: value}
    admin = world.admin()
    with unchanged(), pytest.raises(ValidationFailed) as refused:
        organisations.organisation_create(actor=admin, **fields)
    assert str(refused.value) == message
    assert refused.value.field == field


@pytest.mark.django_db
def test_duplicate_short_name_or_vat_number_is_a_conflict(world, unchanged):
    admin = world.admin()
    organisations.organisation_create(actor=admin, name="Haven Logistics", kind="company", country="BE",
                                      vat_number="BE0404616494")
    with unchanged(), pytest.raises(Conflict, match="short name haven-logistics exists already"):
        organisations.organisation_create(actor=admin, name="Haven Logistics", kind="company", country="BE")
    with unchanged(), pytest.raises(Conflict, match="VAT number BE0404616494 exists already"):
        organisations.organisation_create(actor=admin, name="Other", kind="company", country="BE",
                                          vat_number="0404616494")


@pytest.mark.django_db
def test_only_a_platform_administrator_creates_organisations(world, unchanged):
    pso = world.pso()
    with unchanged(), pytest.raises(PermissionRefused, match="Your role does not allow this: Create and edit"):
        organisations.organisation_create(actor=pso, name="X", kind="company", country="BE")


# --- ports and facilities -----------------------------------------------------------


@pytest.mark.django_db
def test_port_needs_a_un_locode_and_a_port_authority(world, unchanged):
    admin = world.admin()
    port = places.port_create(actor=admin, name="Antwerp", unlocode="be anr", authority=world.authority)
    assert port.unlocode == "BEANR"
    assert audited("core.port.created").data == {"name": "Antwerp", "unlocode": "BEANR",
                                                 "authority": world.authority.slug}
    with unchanged(), pytest.raises(ValidationFailed, match="BE-AN is not a UN/LOCODE"):
        places.port_create(actor=admin, name="X", unlocode="BE-AN", authority=world.authority)
    with unchanged(), pytest.raises(ValidationFailed, match="Haulier A is not a port authority"):
        places.port_create(actor=admin, name="X", unlocode="BEXYZ", authority=world.company)
    with unchanged(), pytest.raises(Conflict, match="UN/LOCODE BEANR exists already"):
        places.port_create(actor=admin, name="X", unlocode="BEANR", authority=world.authority)


@pytest.mark.django_db
def test_facility_rules_isps_number_operator_kind_and_jurisdiction(world, unchanged):
    pso = world.pso()
    facility = places.facility_create(actor=pso, port=world.port, operator=world.operator, name="Quay 2",
                                      isps_number="beaaa-0002")
    assert facility.isps_number == "BEAAA-0002"
    assert audited("core.facility.created").data["isps_number"] == "BEAAA-0002"
    assert published("core.facility.created").facility_id == facility.pk
    with unchanged(), pytest.raises(ValidationFailed, match="BEAAA0003 is not an ISPS port facility number"):
        places.facility_create(actor=pso, port=world.port, operator=world.operator, name="Q", isps_number="BEAAA0003")
    with unchanged(), pytest.raises(ValidationFailed, match="Haulier A cannot operate a port facility: it is a Transport"):
        places.facility_create(actor=pso, port=world.port, operator=world.company, name="Q", isps_number="BEAAA-0003")
    with unchanged(), pytest.raises(PermissionRefused, match="no jurisdiction over Port B"):
        places.facility_create(actor=pso, port=world.foreign_port, operator=world.operator, name="Q",
                               isps_number="BEBBB-0003")
    with unchanged(), pytest.raises(Conflict, match="ISPS number BEAAA-0002 exists already"):
        places.facility_create(actor=pso, port=world.port, operator=world.operator, name="Q", isps_number="BEAAA-0002")


# --- users and roles ---------------------------------------------------------------------

STRONG = "a long and unguessable passphrase 42"


@pytest.mark.django_db
def test_user_is_created_with_a_first_role_and_both_acts_are_audited(world):
    user = users.user_create(actor=world.pso(), username="Inspector.One", email="one@example.org", password=STRONG,
                             organisation=world.authority, role=Role.AUDITOR)
    assert user.username == "inspector.one" and user.check_password(STRONG)
    assert Membership.objects.get(user=user).role == Role.AUDITOR
    assert audited("core.user.created").data["email"].startswith("sha256:")  # personal data: digest only
    assert audited("core.membership.added").data["role"] == Role.AUDITOR


@pytest.mark.django_db
@pytest.mark.parametrize("actor, org, role, error, message", [
    ("pso", "authority", Role.DRIVER, ValidationFailed, "The role Driver cannot be held in a Port authority."),
    ("pso", "operator", Role.GATE_GUARD, PermissionRefused, "You can only give roles in your own organisation."),
    ("pso", "authority", Role.PLATFORM_ADMIN, PermissionRefused, "Only a platform administrator can make another."),
    ("pfso", "operator", "captain", ValidationFailed, "Unknown role: captain."),
])
def test_role_that_may_not_be_given_is_refused(world, unchanged, actor, org, role, error, message):
    actor = getattr(world, actor)()
    with unchanged(), pytest.raises(error) as refused:
        users.user_create(actor=actor, username="someone", email="s@example.org", password=STRONG,
                          organisation=getattr(world, org), role=role)
    assert str(refused.value) == message


@pytest.mark.django_db
def test_platform_administrator_may_make_another(world):
    user = users.user_create(actor=world.admin(), username="admin2", email="a2@example.org", password=STRONG,
                             organisation=world.platform, role=Role.PLATFORM_ADMIN)
    assert user.memberships.get().role == Role.PLATFORM_ADMIN


@pytest.mark.django_db
@pytest.mark.parametrize("password, message", [
    ("short", "This password is too short"),
    ("password12345", "This password is too common"),
    ("381902749201834", "This password is entirely numeric"),
])
def test_weak_password_is_refused(world, unchanged, password, message):
    pso = world.pso()
    with unchanged(), pytest.raises(ValidationFailed, match=message) as refused:
        users.user_create(actor=pso, username="someone", email="s@example.org", password=password,
                          organisation=world.authority, role=Role.AUDITOR)
    assert refused.value.field == "password"


@pytest.mark.django_db
def test_role_held_already_is_a_conflict_and_own_acting_role_cannot_be_withdrawn(world, unchanged):
    pfso = world.pfso()
    membership = Membership.objects.get(user=pfso.user)
    with unchanged(), pytest.raises(Conflict, match="already holds this role"):
        users.membership_add(actor=pfso, user=pfso.user, organisation=world.operator,
                             role=Role.FACILITY_SECURITY_OFFICER)
    with unchanged(), pytest.raises(ValidationFailed, match="cannot withdraw the role you are acting in"):
        users.membership_remove(actor=pfso, membership=membership)


# --- security levels ------------------------------------------------------------------------


@pytest.fixture
def second_facility(world):
    return FacilityFactory(name="Terminal A2", isps_number="BEAAA-0002", port=world.port, operator=world.operator)


@pytest.mark.django_db
def test_pso_raising_the_port_level_raises_every_facility_and_asks_each_to_acknowledge(world, second_facility):
    with clock.frozen(T0):
        change = security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    world.port.refresh_from_db()
    assert world.port.security_level == 2
    assert set(Facility.objects.filter(port=world.port).values_list("security_level", flat=True)) == {2}
    assert Facility.objects.get(pk=world.foreign_facility.pk).security_level == 1
    acks = SecurityLevelAcknowledgement.objects.filter(change=change)
    assert sorted(acks.values_list("facility_id", flat=True)) == sorted([world.facility.pk, second_facility.pk])
    assert not acks.filter(acknowledged_at__isnull=False).exists()
    record = audited("core.security_level.changed")
    assert record.data["level"] == 2 and record.data["previous_level"] == 1
    assert record.data["facilities_to_acknowledge"] == 2
    event = published("core.security_level.changed")
    assert (event.port_id, event.audience, event.priority) == (world.port.pk, "port", 1)
    assert change.set_at == T0


@pytest.mark.django_db
def test_lowering_the_port_keeps_a_facility_raised_on_its_own(world, second_facility):
    pso, pfso = world.pso(), world.pfso()
    security_level_set(actor=pfso, port=world.port, facility=world.facility, level=3, reason="ship with a threat")
    security_level_set(actor=pso, port=world.port, level=2, reason="credible threat reported")
    security_level_set(actor=pso, port=world.port, level=1, reason="threat has passed")
    levels = dict(Facility.objects.filter(port=world.port).values_list("pk", "security_level"))
    assert levels == {world.facility.pk: 3, second_facility.pk: 1}


@pytest.mark.django_db
def test_security_level_refusals_name_the_rule(world, unchanged):
    pso, pfso, foreign_pfso = world.pso(), world.pfso(), world.foreign_pfso()
    room_operator = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
    security_level_set(actor=pso, port=world.port, level=2, reason="credible threat reported")
    cases = [
        (pfso, {"facility": world.facility, "level": 1}, ValidationFailed,
         "A facility cannot be below its port's level (Port A is at level 2)."),
        (foreign_pfso, {"facility": world.facility, "level": 3}, PermissionRefused,
         "Your organisation may not do this to Terminal A (BEAAA-0001): Raise or lower security levels."),
        (pfso, {"level": 3}, PermissionRefused,
         "Only the port's authorities can set the level of Port A (BEAAA)."),
        (pso, {"level": 3, "reason": "why"}, ValidationFailed, "Say why the level changes (at least a few words)."),
        (pso, {"level": 4}, ValidationFailed, "Choose security level 1, 2 or 3."),
        (pso, {"level": 2}, Conflict, "Port A is at security level 2 already."),
        (room_operator, {"level": 3}, PermissionRefused,
         "Your role does not allow this: Raise or lower security levels."),
    ]
    for actor, kwargs, error, message in cases:
        kwargs = {"reason": "a good reason to change", **kwargs}
        with unchanged(), pytest.raises(error) as refused:
            security_level_set(actor=actor, port=world.port, **kwargs)
        assert str(refused.value) == message


@pytest.mark.django_db
def test_facility_acknowledges_once_and_a_foreign_officer_cannot(world, unchanged):
    change = security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    ack = SecurityLevelAcknowledgement.objects.get(change=change, facility=world.facility)
    pfso, foreign_pfso = world.pfso(), world.foreign_pfso()
    with unchanged(), pytest.raises(PermissionRefused):
        security_level_acknowledge(actor=foreign_pfso, acknowledgement=ack)
    with clock.frozen(T0):
        security_level_acknowledge(actor=pfso, acknowledgement=ack)
    ack.refresh_from_db()
    assert (ack.acknowledged_at, ack.acknowledged_by) == (T0, pfso.user)
    assert audited("core.security_level.acknowledged").data == {"change": change.pk, "facility": "BEAAA-0001",
                                                                "level": 2}
    assert published("core.security_level.acknowledged").facility_id == world.facility.pk
    with unchanged(), pytest.raises(Conflict, match="Terminal A acknowledged this change already."):
        security_level_acknowledge(actor=pfso, acknowledgement=ack)


# --- tokens -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_token_holds_only_permissions_its_creator_holds_and_may_give(world, unchanged):
    pfso = world.pfso()
    with unchanged(), pytest.raises(PermissionRefused, match="You cannot give a token core.verify_audit: you do not hold it."):
        tokens.token_create(actor=pfso, name="gate", permissions=["core.verify_audit"])
    with unchanged(), pytest.raises(ValidationFailed, match="core.manage_tokens cannot be given to a token."):
        tokens.token_create(actor=pfso, name="gate", permissions=["core.manage_tokens"])
    with unchanged(), pytest.raises(ValidationFailed, match="Unknown permission: core.everything."):
        tokens.token_create(actor=pfso, name="gate", permissions=["core.everything"])
    with unchanged(), pytest.raises(ValidationFailed, match="Give the token at least one permission."):
        tokens.token_create(actor=pfso, name="gate", permissions=[])
    token, _ = tokens.token_create(actor=pfso, name="gate", permissions=["core.view_facility"])
    assert token.permissions == ["core.view_facility"]
    assert audited("core.token.created").data["permissions"] == ["core.view_facility"]


@pytest.mark.django_db
def test_raw_token_is_stored_nowhere_in_the_database(world):
    token, raw = tokens.token_create(actor=world.pso(), name="gate", permissions=["core.view_port"])
    assert token.token_hash == tokens.hash_token(raw)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    everything = dump.getvalue()
    assert token.token_hash in everything  # the dump does hold the token's row
    assert raw not in everything
    assert raw.split("_", 2)[2] not in everything  # not even its secret part


@pytest.mark.django_db
def test_expired_and_revoked_tokens_do_not_authenticate(world):
    pso = world.pso()
    with clock.frozen(T0) as frozen:
        expiring, raw = tokens.token_create(actor=pso, name="short", permissions=["core.view_port"],
                                            expires_at=T0 + timedelta(hours=1))
        assert tokens.token_authenticate(raw) == expiring
        frozen.advance(hours=1)
        assert tokens.token_authenticate(raw) is None
        kept, raw2 = tokens.token_create(actor=pso, name="kept", permissions=["core.view_port"])
        assert tokens.token_authenticate(raw2) == kept
        tokens.token_revoke(actor=pso, token=kept)
        assert tokens.token_authenticate(raw2) is None
        assert audited("core.token.revoked").data == {"name": "kept", "prefix": kept.prefix}
        with pytest.raises(Conflict, match="revoked already"):
            tokens.token_revoke(actor=pso, token=kept)
        with pytest.raises(ValidationFailed, match="The expiry must be in the future."):
            tokens.token_create(actor=pso, name="past", permissions=["core.view_port"], expires_at=T0)
    assert tokens.token_authenticate(raw[:-1] + "x") is None
    assert tokens.token_authenticate("not-even-a-token") is None


# --- signing in -----------------------------------------------------------------------------------


@pytest.fixture
def person(db):
    return UserFactory(username="ada")


@pytest.mark.django_db
def test_account_locks_after_too_many_failures_even_for_the_right_password(person, settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_MINUTES = 15
    with clock.frozen(T0) as frozen:
        for attempt in (1, 2):
            with pytest.raises(auth.LoginRefused, match="Wrong user name or password."):
                auth.login_check_password(username="ada", password="wrong")
            person.refresh_from_db()
            assert person.failed_logins == attempt  # the counter survives the refusal
        with pytest.raises(auth.LoginRefused, match="Wrong user name or password."):
            auth.login_check_password(username="ada", password="wrong")
        person.refresh_from_db()
        assert person.locked_until == T0 + timedelta(minutes=15)
        assert audited("core.login.locked").data["username"] == "ada"
        with pytest.raises(auth.LoginRefused, match="This account is locked after too many failed sign-ins. "
                                                    "Try again after 08:15 UTC."):
            auth.login_check_password(username="ada", password="correct-horse-battery-staple")
        frozen.advance(minutes=15, seconds=1)
        assert auth.login_check_password(username="ada", password="correct-horse-battery-staple") == person
    assert AuditRecord.objects.filter(code="core.login.failed").count() == 2


@pytest.mark.django_db
def test_unknown_user_gets_the_same_refusal_as_a_wrong_password(db):
    with pytest.raises(auth.LoginRefused) as refused:
        auth.login_check_password(username="nobody", password="x")
    assert str(refused.value) == "Wrong user name or password."


@pytest.mark.django_db
def test_totp_code_is_accepted_once_and_a_replay_is_refused(person):
    with clock.frozen(T0) as frozen:
        secret, uri = auth.totp_provisioning(person)
        assert uri.startswith("otpauth://totp/havenwatch:ada?")
        code = pyotp.TOTP(secret).at(T0)
        auth.totp_confirm(user=person, code=code)
        person.refresh_from_db()
        assert person.has_totp
        assert audited("core.totp.enrolled").data == {"username": "ada"}
        assert not auth.totp_check(user=person, code=code)  # the same code again: a replay
        frozen.advance(seconds=30)
        assert auth.totp_check(user=person, code=pyotp.TOTP(secret).at(frozen.value))
        assert not auth.totp_check(user=person, code="000000" if pyotp.TOTP(secret).at(frozen.value) != "000000"
                                   else "111111")
        assert not auth.totp_check(user=person, code="12 34")
        with pytest.raises(ValidationFailed, match="That code is not right"):
            auth.totp_confirm(user=person, code=pyotp.TOTP(secret).at(frozen.value))


@pytest.mark.django_db
def test_every_service_act_keeps_the_chain_verifiable(world):
    pso = world.pso()
    security_level_set(actor=pso, port=world.port, level=3, reason="credible threat reported")
    tokens.token_create(actor=pso, name="gate", permissions=["core.view_port"])
    users.user_create(actor=pso, username="new", email="n@example.org", password=STRONG,
                      organisation=world.authority, role=Role.AUDITOR)
    result = audit.verify_chain()
    assert result.ok and result.checked == AuditRecord.objects.count()
    assert OrganisationKind.PORT_AUTHORITY == world.authority.kind


# --- second factor reset ----------------------------------------------------------------


def _with_totp(user):
    from havenwatch.core.services.auth import totp_set_for_demo

    totp_set_for_demo(user=user, secret="JBSWY3DPEHPK3PXP")
    user.refresh_from_db()
    return user


@pytest.mark.django_db
def test_manager_resets_a_lost_second_factor_and_it_is_audited(world):
    from havenwatch.core.models import AuditRecord
    from havenwatch.core.services.auth import totp_reset

    manager = world.pfso()
    colleague = _with_totp(principal(Role.FACILITY_SECURITY_OFFICER, world.operator).user)
    totp_reset(actor=manager, user=colleague)
    colleague.refresh_from_db()
    assert not colleague.has_totp and colleague.totp_secret_sealed is None
    assert AuditRecord.objects.filter(code="core.totp.reset", subject_id=str(colleague.pk)).exists()


@pytest.mark.django_db
def test_second_factor_of_another_organisations_person_cannot_be_reset(world):
    from havenwatch.core.services.auth import totp_reset

    stranger = _with_totp(world.foreign_pfso().user)
    with pytest.raises(PermissionRefused, match="does not work for your organisation"):
        totp_reset(actor=world.pfso(), user=stranger)
    stranger.refresh_from_db()
    assert stranger.has_totp


@pytest.mark.django_db
def test_nobody_resets_their_own_second_factor(world):
    from havenwatch.core.services.auth import totp_reset

    me = world.pfso()
    _with_totp(me.user)
    with pytest.raises(PermissionRefused, match="another manager"):
        totp_reset(actor=me, user=me.user)
