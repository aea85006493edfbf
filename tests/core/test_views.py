"""The core's pages: who may open them, what they show, and that forms change state only through services."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
import pytest
from django.urls import reverse

from havenwatch.core import clock, crypto
from havenwatch.core.choices import DeliveryStatus, OrganisationKind, Role
from havenwatch.core.models import (
    ApiToken,
    AuditRecord,
    Facility,
    Membership,
    Notification,
    Organisation,
    OutboxEvent,
    SecurityLevelAcknowledgement,
    SecurityLevelChange,
    User,
    Webhook,
    WebhookDelivery,
)
from havenwatch.core.services import auth as auth_services
from havenwatch.core.services.security_levels import security_level_set
from havenwatch.core.services.tokens import token_create
from havenwatch.core.services.webhooks import webhook_create
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, principal

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def signed_in(client, who):
    """Log the principal's user in (force_login skips the second factor, which page tests do not need)."""
    client.force_login(who.user)
    return client


def audited(code: str, **filters) -> bool:
    return AuditRecord.objects.filter(code=code, **filters).exists()


def text(response) -> str:
    return response.content.decode()


# --- signing in -----------------------------------------------------------------------------


def test_login_page_renders_for_anonymous_with_security_headers(client, db):
    response = client.get(reverse("core:login"))
    assert response.status_code == 200
    assert "Sign in" in text(response)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"


ANONYMOUS_PAGES = [
    ("core:dashboard", []), ("core:events", []), ("core:security_levels", []), ("core:audit", []),
    ("core:organisations", []), ("core:organisation_create", []), ("core:organisation_detail", [1]),
    ("core:ports", []), ("core:port_detail", [1]), ("core:facilities", []), ("core:facility_create", []),
    ("core:facility_detail", [1]), ("core:users", []), ("core:user_create", []), ("core:user_detail", [1]),
    ("core:tokens", []), ("core:token_create", []), ("core:webhooks", []), ("core:webhook_create", []),
    ("core:webhook_deliveries", [1]), ("core:notifications", []),
]


@pytest.mark.parametrize(("name", "args"), ANONYMOUS_PAGES)
def test_every_page_sends_anonymous_visitors_to_sign_in(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("core:login"))


def test_wrong_password_is_refused_with_the_services_message(client, world):
    who = principal(Role.AUDITOR, world.authority)
    response = client.post(reverse("core:login"), {"username": who.user.username, "password": "wrong-password-1"})
    assert response.status_code == 200
    assert "Wrong user name or password." in text(response)
    assert "_auth_user_id" not in client.session
    assert audited("core.login.failed")


def test_account_locks_after_five_failed_sign_ins(client, world):
    who = principal(Role.AUDITOR, world.authority)
    for _ in range(5):
        client.post(reverse("core:login"), {"username": who.user.username, "password": "wrong-password-1"})
    response = client.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
    assert "This account is locked after too many failed sign-ins" in text(response)
    assert "_auth_user_id" not in client.session
    assert audited("core.login.locked")


def test_auditor_signs_in_with_password_only(client, world):
    who = principal(Role.AUDITOR, world.authority)
    response = client.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("core:dashboard")
    assert client.session["_auth_user_id"] == str(who.user.pk)
    assert audited("core.login.succeeded")


def test_sign_in_ignores_a_next_address_on_another_host(client, world):
    who = principal(Role.AUDITOR, world.authority)
    response = client.post(reverse("core:login"),
                           {"username": who.user.username, "password": PASSWORD, "next": "https://evil.example/"})
    assert response.url == reverse("core:dashboard")


def _pso_with_totp(world):
    who = world.pso()
    auth_services.totp_set_for_demo(user=who.user, secret=TOTP_SECRET)
    return who


def test_pso_is_not_signed_in_before_the_second_factor(client, world):
    who = _pso_with_totp(world)
    response = client.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("core:login_otp")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("core:dashboard")).status_code == 302
    assert "Enter your code" in text(client.get(reverse("core:login_otp")))


def test_correct_totp_code_signs_the_pso_in(client, world):
    who = _pso_with_totp(world)
    moment = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
    with clock.frozen(moment):
        client.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
        response = client.post(reverse("core:login_otp"), {"code": pyotp.TOTP(TOTP_SECRET).at(moment)})
    assert response.status_code == 302 and response.url == reverse("core:dashboard")
    assert client.session["_auth_user_id"] == str(who.user.pk)
    record = AuditRecord.objects.filter(code="core.login.succeeded").latest("sequence")
    assert record.data["second_factor"] is True


def test_replayed_totp_code_is_refused(client, world):
    from django.test import Client

    who = _pso_with_totp(world)
    moment = datetime(2026, 3, 2, 9, 0, 10, tzinfo=UTC)
    code = pyotp.TOTP(TOTP_SECRET).at(moment)
    with clock.frozen(moment):
        client.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
        client.post(reverse("core:login_otp"), {"code": code})
        other = Client()
        other.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
        response = other.post(reverse("core:login_otp"), {"code": code})
    assert response.status_code == 200
    assert "That code is not right, or it was used already" in text(response)
    assert "_auth_user_id" not in other.session


def test_wrong_totp_codes_lock_the_account_like_wrong_passwords(client, world):
    who = _pso_with_totp(world)
    client.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
    for _ in range(5):
        response = client.post(reverse("core:login_otp"), {"code": "000000"})
    assert "This account is locked" in text(response)
    who.user.refresh_from_db()
    assert who.user.locked_until is not None
    assert "_auth_user_id" not in client.session


def test_pso_without_second_factor_enrols_with_a_qr_code_then_is_signed_in(client, world):
    who = world.pso()
    response = client.post(reverse("core:login"), {"username": who.user.username, "password": PASSWORD})
    assert response.url == reverse("core:totp_enrol")
    page = client.get(reverse("core:totp_enrol"))
    assert "<svg" in text(page) and "Set up your second factor" in text(page)
    assert "_auth_user_id" not in client.session
    again = client.get(reverse("core:totp_enrol"))  # a reload keeps the secret the phone scanned
    who.user.refresh_from_db()
    secret = crypto.unseal(who.user.totp_secret_sealed)
    assert " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)) in text(again)
    response = client.post(reverse("core:totp_enrol"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    who.user.refresh_from_db()
    assert who.user.has_totp
    assert client.session["_auth_user_id"] == str(who.user.pk)
    assert audited("core.totp.enrolled")


def test_second_factor_page_without_a_password_step_goes_back_to_sign_in(client, db):
    response = client.get(reverse("core:login_otp"))
    assert response.status_code == 302 and response.url == reverse("core:login")


def test_sign_out_needs_a_post(client, world):
    signed_in(client, world.pfso())
    assert client.get(reverse("core:logout")).status_code == 405
    response = client.post(reverse("core:logout"))
    assert response.url == reverse("core:login")
    assert "_auth_user_id" not in client.session


# --- the shell ------------------------------------------------------------------------------


def test_shell_shows_level_badge_organisation_language_and_menu(client, world):
    pso = world.pso()
    security_level_set(actor=pso, port=world.port, level=2, reason="credible threat reported")
    response = signed_in(client, pso).get(reverse("core:dashboard"))
    body = text(response)
    assert 'class="level-badge sl2"' in body and "Port A" in body
    assert "Port Authority A · Port security officer" in body
    assert 'action="/i18n/setlang/"' in body and "Nederlands" in body and "Français" in body
    for name in ("core:security_levels", "core:audit", "core:tokens", "core:webhooks"):
        assert f'href="{reverse(name)}"' in body


def test_menu_hides_pages_the_role_may_not_open(client, world):
    body = text(signed_in(client, principal(Role.DRIVER, world.company)).get(reverse("core:dashboard")))
    assert f'href="{reverse("core:audit")}"' not in body
    assert f'href="{reverse("core:tokens")}"' not in body


def test_facility_guard_sees_the_level_of_their_facility(client, world):
    guard = principal(Role.GATE_GUARD, world.operator, facility=world.facility)
    security_level_set(actor=world.pfso(), port=world.port, facility=world.facility, level=3,
                       reason="bomb threat at the gate")
    body = text(signed_in(client, guard).get(reverse("core:dashboard")))
    assert 'class="level-badge sl3"' in body and "Terminal A" in body


def test_user_switches_to_another_of_their_roles(client, world):
    pfso = world.pfso()
    other = MembershipFactory(user=pfso.user, organisation=world.company, role=Role.COMPANY_ACCESS_MANAGER)
    signed_in(client, pfso)
    response = client.post(reverse("core:switch_organisation"), {"membership": other.pk})
    assert response.status_code == 302
    assert client.session["havenwatch_membership"] == other.pk
    assert "Haulier A · Company access manager" in text(client.get(reverse("core:dashboard")))


def test_user_cannot_switch_to_someone_elses_membership(client, world):
    pfso = world.pfso()
    foreign = world.foreign_pfso()
    signed_in(client, pfso)
    client.post(reverse("core:switch_organisation"), {"membership": Membership.objects.get(user=foreign.user).pk})
    assert "havenwatch_membership" not in client.session


PAGES_FOR_PSO = ["core:dashboard", "core:events", "core:security_levels", "core:audit", "core:organisations",
                 "core:ports", "core:facilities", "core:users", "core:tokens", "core:webhooks",
                 "core:notifications", "core:token_create", "core:webhook_create", "core:user_create",
                 "core:facility_create"]


def test_pages_carry_csp_and_no_inline_script_style_or_handlers(client, world):
    signed_in(client, world.pso())
    for name in PAGES_FOR_PSO:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        body = text(response)
        scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body)
        assert scripts == [], (name, scripts)
        assert not re.search(r"\sstyle=", body), name
        assert not re.search(r"\son[a-z]+=", body), name


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_shows_levels_pending_acknowledgement_events_and_notifications(client, world):
    pfso = world.pfso()
    security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    Notification.objects.create(user=pfso.user, organisation=world.operator, kind="test",
                                title="Drill tomorrow", created_at=clock.now())
    body = text(signed_in(client, pfso).get(reverse("core:dashboard")))
    assert "Security levels now" in body and "Terminal A" in body
    assert "credible threat reported" in body and "Acknowledge" in body
    assert "Security level changed" in body
    assert "Drill tomorrow" in body


# --- security levels ---------------------------------------------------------------------------


def test_pso_raises_the_port_level_with_a_reason(client, world):
    pso = world.pso()
    response = signed_in(client, pso).post(reverse("core:security_level_change"), {
        "target": f"port:{world.port.pk}", "level": 2, "reason": "credible threat reported"})
    assert response.status_code == 302
    world.port.refresh_from_db()
    assert world.port.security_level == 2
    change = SecurityLevelChange.objects.get()
    assert change.set_by == pso.user and change.reason == "credible threat reported"
    assert audited("core.security_level.changed")
    page = text(client.get(reverse("core:security_levels")))
    assert "credible threat reported" in page and "0 of 1" in page and "Pending:" in page


def test_setting_the_same_level_shows_the_services_message_and_changes_nothing(client, world):
    before = AuditRecord.objects.count()
    response = signed_in(client, world.pso()).post(reverse("core:security_level_change"), {
        "target": f"port:{world.port.pk}", "level": 1, "reason": "nothing really"})
    assert response.status_code == 400
    assert "Port A is at security level 1 already." in text(response)
    assert SecurityLevelChange.objects.count() == 0 and AuditRecord.objects.count() == before


def test_facility_cannot_be_set_below_its_port(client, world):
    security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    response = signed_in(client, world.pfso()).post(reverse("core:security_level_change"), {
        "target": f"facility:{world.facility.pk}", "level": 1, "reason": "all calm here"})
    assert "A facility cannot be below its port&#x27;s level" in text(response)
    world.facility.refresh_from_db()
    assert world.facility.security_level == 2


def test_pso_cannot_choose_a_port_outside_their_jurisdiction(client, world):
    response = signed_in(client, world.pso()).post(reverse("core:security_level_change"), {
        "target": f"port:{world.foreign_port.pk}", "level": 2, "reason": "credible threat reported"})
    assert response.status_code == 400
    world.foreign_port.refresh_from_db()
    assert world.foreign_port.security_level == 1


def test_facility_user_acknowledges_port_level_raise(client, world):
    pfso = world.pfso()
    security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    ack = SecurityLevelAcknowledgement.objects.get(facility=world.facility)
    signed_in(client, pfso)
    assert "credible threat reported" in text(client.get(reverse("core:security_levels")))
    response = client.post(reverse("core:security_level_acknowledge", args=[ack.pk]))
    assert response.status_code == 302
    ack.refresh_from_db()
    assert ack.acknowledged_at is not None and ack.acknowledged_by == pfso.user
    assert audited("core.security_level.acknowledged")
    again = client.post(reverse("core:security_level_acknowledge", args=[ack.pk]), follow=True)
    assert "Terminal A acknowledged this change already." in text(again)


def test_acknowledging_another_facilitys_change_is_not_found(client, world):
    foreign_pso = principal(Role.PORT_SECURITY_OFFICER, world.foreign_authority)
    security_level_set(actor=foreign_pso, port=world.foreign_port, level=2, reason="credible threat reported")
    ack = SecurityLevelAcknowledgement.objects.get(facility=world.foreign_facility)
    response = signed_in(client, world.pfso()).post(reverse("core:security_level_acknowledge", args=[ack.pk]))
    assert response.status_code == 404
    ack.refresh_from_db()
    assert ack.acknowledged_at is None


def test_auditor_sees_levels_but_may_not_change_them(client, world):
    signed_in(client, principal(Role.AUDITOR, world.authority))
    page = client.get(reverse("core:security_levels"))
    assert page.status_code == 200 and "Raise or lower a level" not in text(page)
    response = client.post(reverse("core:security_level_change"),
                           {"target": f"port:{world.port.pk}", "level": 2, "reason": "credible threat"})
    assert response.status_code == 403
    assert "Not allowed" in text(response)


def test_security_levels_page_draws_the_port_map_from_a_json_block(client, world):
    world.port.boundary = {"type": "Polygon", "coordinates": [[[4, 51], [4.1, 51], [4.1, 51.1], [4, 51]]]}
    world.port.save()
    body = text(signed_in(client, world.pso()).get(reverse("core:security_levels")))
    assert 'data-map-source="map-BEAAA"' in body
    assert '<script id="map-BEAAA" type="application/json">' in body
    assert "vendor/leaflet/leaflet.js" in body and "havenwatch/map.js" in body


# --- audit log ------------------------------------------------------------------------------------


def test_audit_log_shows_records_in_the_ports_local_time(client, world):
    with clock.frozen(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)):
        security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    body = text(signed_in(client, principal(Role.AUDITOR, world.authority)).get(reverse("core:audit")))
    assert "2026-07-01 14:00:00 CEST" in body
    assert "Security level changed" in body and "core.security_level.changed" in body
    assert "credible threat reported" in body


def test_audit_log_filters_by_event_type_prefix_and_actor(client, world):
    pso = world.pso()
    security_level_set(actor=pso, port=world.port, level=2, reason="credible threat reported")
    token_create(actor=pso, name="gate 1", permissions=["core.view_port"])
    signed_in(client, principal(Role.AUDITOR, world.authority))
    body = text(client.get(reverse("core:audit"), {"code": "core.token"}))
    assert "API token created" in body and "Security level changed" not in body
    body = text(client.get(reverse("core:audit"), {"actor": "nobody-like-this"}))
    assert "No audit records match." in body


def test_audit_log_pages_by_fifty(client, world):
    pso = world.pso()
    for i in range(52):
        token_create(actor=pso, name=f"token {i}", permissions=["core.view_port"])
    signed_in(client, pso)
    first = text(client.get(reverse("core:audit")))
    assert "Page 1 of 2" in first
    assert first.count('<td class="num">') == 50
    second = text(client.get(reverse("core:audit"), {"page": 2}))
    assert second.count('<td class="num">') == 2


def test_auditor_verifies_the_chain_and_the_verification_is_audited(client, world):
    security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    signed_in(client, principal(Role.AUDITOR, world.authority))
    response = client.post(reverse("core:audit_verify"), follow=True)
    body = text(response)
    assert "Chain intact" in body and "records checked" in body
    assert audited("core.audit.verified", data__ok=True)


def test_broken_chain_is_named_with_its_first_broken_record(client, world, monkeypatch):
    from havenwatch.core import audit

    monkeypatch.setattr(audit, "verify_chain",
                        lambda progress=None: audit.VerifyResult(False, 2, 3, "record #3 was altered"))
    signed_in(client, principal(Role.AUDITOR, world.authority))
    body = text(client.post(reverse("core:audit_verify"), follow=True))
    assert "Chain BROKEN at #3" in body and "record #3 was altered" in body
    assert audited("core.audit.verified", data__ok=False)


def test_api_audit_verify_uses_the_same_service(client, world):
    signed_in(client, principal(Role.AUDITOR, world.authority))
    response = client.post("/api/v1/audit/verify")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert audited("core.audit.verified")


def test_facility_officer_may_read_but_not_verify_the_audit_log(client, world):
    signed_in(client, world.pfso())
    assert client.get(reverse("core:audit")).status_code == 200
    assert client.post(reverse("core:audit_verify")).status_code == 403
    assert not audited("core.audit.verified")


def test_company_access_manager_may_not_read_the_audit_log(client, world):
    signed_in(client, principal(Role.COMPANY_ACCESS_MANAGER, world.company))
    assert client.get(reverse("core:audit")).status_code == 403


# --- organisations ---------------------------------------------------------------------------------


def test_organisations_list_searches_and_filters_by_kind(client, world):
    signed_in(client, world.admin())
    body = text(client.get(reverse("core:organisations"), {"q": "Terminal"}))
    assert "Terminal Operator A" in body and "Port Authority A" not in body
    body = text(client.get(reverse("core:organisations"), {"kind": OrganisationKind.PORT_AUTHORITY}))
    assert "Port Authority A" in body and "Terminal Operator A" not in body


def test_organisation_detail_shows_facilities_ports_and_members(client, world):
    pso = world.pso()
    body = text(signed_in(client, pso).get(reverse("core:organisation_detail", args=[world.authority.pk])))
    assert "Port A" in body and pso.user.username in body
    body = text(client.get(reverse("core:organisation_detail", args=[world.operator.pk])))
    assert "Terminal A" in body


def test_foreign_organisation_is_not_found(client, world):
    response = signed_in(client, world.pfso()).get(
        reverse("core:organisation_detail", args=[world.foreign_operator.pk]))
    assert response.status_code == 404


def test_platform_admin_creates_an_organisation(client, world):
    response = signed_in(client, world.admin()).post(reverse("core:organisation_create"), {
        "name": "Scheldt Stevedores", "kind": OrganisationKind.FACILITY_OPERATOR, "country": "BE",
        "vat_number": "BE0403170701", "eori_number": ""})
    organisation = Organisation.objects.get(name="Scheldt Stevedores")
    assert response.url == reverse("core:organisation_detail", args=[organisation.pk])
    assert organisation.vat_number == "BE0403170701"
    assert audited("core.organisation.created")


def test_invalid_vat_number_shows_the_services_message_and_creates_nothing(client, world):
    response = signed_in(client, world.admin()).post(reverse("core:organisation_create"), {
        "name": "Bad VAT BV", "kind": OrganisationKind.COMPANY, "country": "BE", "vat_number": "BE0123456789"})
    assert response.status_code == 400
    assert "is not a valid VAT number" in text(response)
    assert not Organisation.objects.filter(name="Bad VAT BV").exists()


def test_pso_may_not_create_organisations(client, world):
    assert signed_in(client, world.pso()).get(reverse("core:organisation_create")).status_code == 403


# --- ports and facilities --------------------------------------------------------------------------------


def test_ports_list_and_detail_with_map_and_facilities(client, world):
    signed_in(client, world.pso())
    body = text(client.get(reverse("core:ports")))
    assert "Port A" in body and "BEAAA" in body
    body = text(client.get(reverse("core:port_detail", args=[world.port.pk])))
    assert "Terminal A" in body and 'id="port-map"' in body


def test_facilities_list_filters_by_port(client, world):
    signed_in(client, world.admin())
    body = text(client.get(reverse("core:facilities"), {"port": world.foreign_port.pk}))
    assert "Terminal B" in body and "Terminal A" not in body


def test_facility_detail_shows_level_and_history(client, world):
    security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    body = text(signed_in(client, world.pfso()).get(reverse("core:facility_detail", args=[world.facility.pk])))
    assert "BEAAA-0001" in body and "credible threat reported" in body and 'class="level big sl2"' in body


def test_foreign_facility_is_not_found(client, world):
    response = signed_in(client, world.pfso()).get(reverse("core:facility_detail", args=[world.foreign_facility.pk]))
    assert response.status_code == 404


def test_pso_creates_a_facility_in_their_port(client, world):
    response = signed_in(client, world.pso()).post(reverse("core:facility_create"), {
        "port": world.port.pk, "operator": world.operator.pk, "name": "Terminal A2", "isps_number": "BEAAA-0002",
        "geometry": '{"type": "Polygon", "coordinates": [[[4, 51], [4.01, 51], [4.01, 51.01], [4, 51]]]}'})
    facility = Facility.objects.get(isps_number="BEAAA-0002")
    assert response.url == reverse("core:facility_detail", args=[facility.pk])
    assert facility.geometry["type"] == "Polygon"
    assert audited("core.facility.created")


def test_duplicate_isps_number_shows_the_services_message(client, world):
    response = signed_in(client, world.pso()).post(reverse("core:facility_create"), {
        "port": world.port.pk, "operator": world.operator.pk, "name": "Copy", "isps_number": "BEAAA-0001"})
    assert response.status_code == 400
    assert "A facility with ISPS number BEAAA-0001 exists already." in text(response)
    assert not Facility.objects.filter(name="Copy").exists()


def test_facility_officer_may_not_create_facilities(client, world):
    assert signed_in(client, world.pfso()).get(reverse("core:facility_create")).status_code == 403


# --- users and roles --------------------------------------------------------------------------------


def test_users_page_lists_roles_of_my_organisation_only(client, world):
    pfso = world.pfso()
    foreign = world.foreign_pfso()
    body = text(signed_in(client, pfso).get(reverse("core:users")))
    assert pfso.user.username in body and foreign.user.username not in body


def test_access_manager_creates_a_user_with_a_first_role(client, world):
    manager = principal(Role.COMPANY_ACCESS_MANAGER, world.operator)
    response = signed_in(client, manager).post(reverse("core:user_create"), {
        "username": "jan.peeters", "email": "jan@example.org", "first_name": "Jan", "last_name": "Peeters",
        "password": "a-long-enough-passphrase", "organisation": world.operator.pk, "role": Role.GATE_GUARD,
        "facility": world.facility.pk})
    user = User.objects.get(username="jan.peeters")
    assert response.url == reverse("core:user_detail", args=[user.pk])
    membership = user.memberships.get()
    assert membership.role == Role.GATE_GUARD and membership.facility == world.facility
    assert audited("core.user.created") and audited("core.membership.added")


def test_taken_user_name_shows_the_services_message(client, world):
    manager = principal(Role.COMPANY_ACCESS_MANAGER, world.operator)
    response = signed_in(client, manager).post(reverse("core:user_create"), {
        "username": manager.user.username, "email": "x@example.org", "organisation": world.operator.pk,
        "role": Role.GATE_GUARD})
    assert response.status_code == 400
    assert f"The user name {manager.user.username} is taken." in text(response)
    assert User.objects.filter(username=manager.user.username).count() == 1


def test_role_that_does_not_fit_the_organisation_is_refused(client, world):
    manager = principal(Role.COMPANY_ACCESS_MANAGER, world.operator)
    response = signed_in(client, manager).post(reverse("core:user_create"), {
        "username": "new.pso", "email": "x@example.org", "organisation": world.operator.pk,
        "role": Role.PORT_SECURITY_OFFICER})
    assert "cannot be held in a Facility operator" in text(response)
    assert not User.objects.filter(username="new.pso").exists()


def test_manager_gives_an_existing_user_another_role(client, world):
    pfso = world.pfso()
    colleague = principal(Role.GATE_GUARD, world.operator)
    response = signed_in(client, pfso).post(reverse("core:membership_create", args=[colleague.user.pk]), {
        "organisation": world.operator.pk, "role": Role.CONTROL_ROOM_OPERATOR})
    assert response.status_code == 302
    assert colleague.user.memberships.filter(role=Role.CONTROL_ROOM_OPERATOR, is_active=True).exists()
    assert audited("core.membership.added")


def test_manager_withdraws_a_role(client, world):
    pfso = world.pfso()
    colleague = principal(Role.GATE_GUARD, world.operator)
    membership = Membership.objects.get(user=colleague.user)
    signed_in(client, pfso)
    assert 'data-confirm="Withdraw the role' in text(client.get(reverse("core:user_detail", args=[colleague.user.pk])))
    response = client.post(reverse("core:membership_withdraw", args=[membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.is_active is False
    assert audited("core.membership.removed")


def test_withdrawing_the_role_you_act_in_is_refused_with_the_services_message(client, world):
    pfso = world.pfso()
    membership = Membership.objects.get(user=pfso.user)
    response = signed_in(client, pfso).post(reverse("core:membership_withdraw", args=[membership.pk]), follow=True)
    assert "You cannot withdraw the role you are acting in." in text(response)
    membership.refresh_from_db()
    assert membership.is_active


def test_foreign_user_and_their_role_are_not_found(client, world):
    foreign = world.foreign_pfso()
    signed_in(client, world.pfso())
    assert client.get(reverse("core:user_detail", args=[foreign.user.pk])).status_code == 404
    membership = Membership.objects.get(user=foreign.user)
    assert client.post(reverse("core:membership_withdraw", args=[membership.pk])).status_code == 404
    membership.refresh_from_db()
    assert membership.is_active


def test_auditor_may_see_users_but_not_add_them(client, world):
    signed_in(client, principal(Role.AUDITOR, world.authority))
    assert client.get(reverse("core:users")).status_code == 200
    assert client.get(reverse("core:user_create")).status_code == 403


# --- API tokens ------------------------------------------------------------------------------------------


def test_token_is_shown_once_and_never_in_the_list(client, world):
    pfso = world.pfso()
    signed_in(client, pfso)
    response = client.post(reverse("core:token_create"), {
        "name": "Gate 3 controller", "permissions": ["core.view_facility", "core.view_events"],
        "facility": world.facility.pk})
    assert response.status_code == 200
    raw = re.search(r'value="(hw_[^"]+)"', text(response)).group(1)
    assert "It is shown only this once" in text(response)
    assert "no-store" in response.headers["Cache-Control"]
    token = ApiToken.objects.get(name="Gate 3 controller")
    assert token.facility == world.facility and token.token_hash != raw
    assert audited("core.token.created")
    listing = text(client.get(reverse("core:tokens")))
    assert "Gate 3 controller" in listing and f"hw_{token.prefix}_…" in listing and raw not in listing


def test_token_form_offers_only_grantable_permissions_the_user_holds(client, world):
    body = text(signed_in(client, world.pfso()).get(reverse("core:token_create")))
    assert 'value="core.view_facility"' in body
    assert 'value="core.manage_tokens"' not in body  # not grantable to machines
    assert 'value="core.manage_organisation"' not in body  # not held


def test_token_without_permissions_is_refused_with_the_services_message(client, world):
    response = signed_in(client, world.pfso()).post(reverse("core:token_create"), {"name": "Empty"})
    assert response.status_code == 400
    assert "Give the token at least one permission." in text(response)
    assert not ApiToken.objects.exists()


def test_token_is_revoked(client, world):
    pfso = world.pfso()
    token, _raw = token_create(actor=pfso, name="old", permissions=["core.view_port"])
    response = signed_in(client, pfso).post(reverse("core:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert audited("core.token.revoked")


def test_foreign_token_cannot_be_revoked(client, world):
    token, _raw = token_create(actor=world.foreign_pfso(), name="theirs", permissions=["core.view_port"])
    assert signed_in(client, world.pfso()).post(reverse("core:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_auditor_may_not_manage_tokens(client, world):
    assert signed_in(client, principal(Role.AUDITOR, world.authority)).get(reverse("core:tokens")).status_code == 403


# --- webhooks ---------------------------------------------------------------------------------------------


def test_webhook_secret_is_shown_once_with_the_signature_explanation(client, world):
    signed_in(client, world.pfso())
    response = client.post(reverse("core:webhook_create"), {
        "url": "https://hooks.example.org/havenwatch", "event_types": ["core.security_level.changed"],
        "description": "SOC"})
    body = text(response)
    assert re.search(r'value="whsec_[^"]+"', body)
    assert "X-Havenwatch-Signature: t=" in body and "HMAC" in body
    webhook = Webhook.objects.get()
    assert webhook.event_types == ["core.security_level.changed"]
    assert audited("core.webhook.created")
    assert "whsec_" not in text(client.get(reverse("core:webhooks")))


def test_webhook_with_unusable_url_is_refused_with_the_services_message(client, world):
    response = signed_in(client, world.pfso()).post(reverse("core:webhook_create"), {"url": "ftp://example.org/x"})
    assert response.status_code == 400
    assert "This URL cannot receive webhooks" in text(response)
    assert not Webhook.objects.exists()


def test_webhook_is_paused_enabled_and_deleted(client, world):
    pfso = world.pfso()
    webhook, _secret = webhook_create(actor=pfso, url="https://hooks.example.org/a")
    signed_in(client, pfso)
    client.post(reverse("core:webhook_toggle", args=[webhook.pk]))
    webhook.refresh_from_db()
    assert webhook.is_active is False
    client.post(reverse("core:webhook_toggle", args=[webhook.pk]))
    webhook.refresh_from_db()
    assert webhook.is_active is True
    client.post(reverse("core:webhook_delete", args=[webhook.pk]))
    assert not Webhook.objects.exists()
    assert audited("core.webhook.updated") and audited("core.webhook.deleted")


def test_webhook_delivery_log_shows_attempts_and_errors(client, world):
    pfso = world.pfso()
    webhook, _secret = webhook_create(actor=pfso, url="https://hooks.example.org/a")
    event = OutboxEvent.objects.latest("sequence")
    WebhookDelivery.objects.create(webhook=webhook, event=event, status=DeliveryStatus.FAILED, attempts=3,
                                   next_attempt_at=clock.now(), last_status_code=502, last_error="Bad gateway")
    body = text(signed_in(client, pfso).get(reverse("core:webhook_deliveries", args=[webhook.pk])))
    assert "Failed, will retry" in body and "502" in body and "Bad gateway" in body


def test_foreign_webhook_is_not_found(client, world):
    webhook, _secret = webhook_create(actor=world.foreign_pfso(), url="https://hooks.example.org/b")
    signed_in(client, world.pfso())
    assert client.get(reverse("core:webhook_deliveries", args=[webhook.pk])).status_code == 404
    assert client.post(reverse("core:webhook_delete", args=[webhook.pk])).status_code == 404
    assert Webhook.objects.filter(pk=webhook.pk).exists()


# --- live events and notifications -----------------------------------------------------------------------


def test_live_events_page_renders_latest_events_and_connects_to_the_stream(client, world):
    security_level_set(actor=world.pso(), port=world.port, level=2, reason="credible threat reported")
    body = text(signed_in(client, world.pfso()).get(reverse("core:events")))
    last = OutboxEvent.objects.latest("sequence").sequence
    assert "Security level changed" in body and "credible threat reported" in body
    assert f'data-stream="/api/v1/stream?after={last}"' in body
    assert '<script id="event-labels" type="application/json">' in body and "havenwatch/live.js" in body


def test_live_events_page_hides_other_ports_events(client, world):
    foreign_pso = principal(Role.PORT_SECURITY_OFFICER, world.foreign_authority)
    security_level_set(actor=foreign_pso, port=world.foreign_port, level=3, reason="elsewhere entirely")
    assert "elsewhere entirely" not in text(signed_in(client, world.pfso()).get(reverse("core:events")))


def test_committee_member_may_not_follow_live_events(client, world):
    committee = principal(Role.COMMITTEE_MEMBER, OrganisationFactory(kind=OrganisationKind.COMMITTEE))
    assert signed_in(client, committee).get(reverse("core:events")).status_code == 403


def test_notifications_are_marked_read_one_by_one_and_all_at_once(client, world):
    pfso = world.pfso()
    first = Notification.objects.create(user=pfso.user, organisation=world.operator, kind="t", title="First",
                                        created_at=clock.now())
    Notification.objects.create(user=pfso.user, organisation=world.operator, kind="t", title="Second",
                                created_at=clock.now())
    signed_in(client, pfso)
    assert 'class="count"' in text(client.get(reverse("core:notifications")))
    partial = client.post(reverse("core:notification_read", args=[first.pk]), HTTP_HX_REQUEST="true")
    assert 'id="notification-' in text(partial) and "<html" not in text(partial)
    assert 'hx-swap-oob="true"' in text(partial)
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("core:notification_read_all"))
    assert not Notification.objects.filter(user=pfso.user, read_at__isnull=True).exists()


def test_someone_elses_notification_is_not_found(client, world):
    other = world.pfso()
    item = Notification.objects.create(user=other.user, organisation=world.operator, kind="t", title="Private",
                                       created_at=clock.now())
    response = signed_in(client, world.pfso()).post(reverse("core:notification_read", args=[item.pk]))
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.read_at is None


def test_user_without_any_role_sees_an_explanation(client, db):
    user = UserFactory()
    client.force_login(user)
    body = text(client.get(reverse("core:dashboard")))
    assert "You hold no active role" in body


# --- query counts: a list page costs the same for 3 rows as for 30 ------------------------------------------


@pytest.mark.parametrize("name", ["core:facilities", "core:security_levels", "core:audit", "core:tokens",
                                  "core:users", "core:events"])
def test_list_pages_do_not_query_per_row(client, world, django_assert_max_num_queries, name):
    from tests.factories import FacilityFactory

    pso = world.pso()
    for i in range(30):
        FacilityFactory(port=world.port, operator=world.operator, isps_number=f"BEAAA-{i + 100:04d}")
        token_create(actor=pso, name=f"token {i}", permissions=["core.view_port"])
        principal(Role.PORT_SECURITY_OFFICER, world.authority)
        if i % 10 == 0:
            security_level_set(actor=pso, port=world.port, level=2 + (i // 10) % 2, reason=f"change number {i}")
    signed_in(client, pso)
    with django_assert_max_num_queries(25):
        assert client.get(reverse(name)).status_code == 200


def test_manager_clears_a_colleagues_lost_second_factor_from_their_page(client, world):
    manager = world.pfso()
    colleague = principal(Role.FACILITY_SECURITY_OFFICER, world.operator).user
    auth_services.totp_set_for_demo(user=colleague, secret=TOTP_SECRET)
    signed_in(client, manager)
    page = client.get(reverse("core:user_detail", args=[colleague.pk]))
    assert "Reset second factor" in text(page)
    response = client.post(reverse("core:second_factor_reset", args=[colleague.pk]), follow=True)
    assert "is cleared" in text(response)
    colleague.refresh_from_db()
    assert not colleague.has_totp
    assert audited("core.totp.reset", subject_id=str(colleague.pk))
