"""EDIFACT COREOR: reading the interchange (release/edifact.py) and importing it
(release/services/coreor.py): originals issue, replacements update, cancellations revoke,
and every kind of bad interchange is refused at its segment with nothing written."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from stdnum import iso6346

from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import PermissionRefused
from havenwatch.core.models import AuditRecord, OutboxEvent
from havenwatch.release import edifact
from havenwatch.release.choices import ReleaseStatus, RightStatus
from havenwatch.release.models import CommercialRelease, Container, ReleaseRight
from havenwatch.release.selectors import holder
from havenwatch.release.services.coreor import CoreorImportRefused, coreor_import
from havenwatch.release.services.rights import right_accept, right_transfer
from tests.factories import FacilityFactory, OrganisationFactory, principal
from tests.release.test_rights import T0, Chain

DATA = Path(__file__).parent / "data" / "coreor"
BRUSSELS = ZoneInfo("Europe/Brussels")
LINE_EORI, CONSIGNEE_EORI, FORWARDER_EORI = "BE0417497106", "BE0123456789", "BE0987654321"
NUMBERS = ["CSQU3054383", "MSKU9070323", "MSCU1234566", "TGHU1234567"]


def sample(name: str) -> str:
    return (DATA / name).read_text(encoding="latin-1")


def with_counts(text: str) -> str:
    """The interchange with its UNT segment counts made right again after an edit."""
    lines = [line for line in text.splitlines() if line]
    start = None
    for index, line in enumerate(lines):
        if line.startswith("UNH+"):
            start = index
        elif line.startswith("UNT+") and start is not None:
            reference = line.split("+")[2]
            lines[index] = f"UNT+{index - start + 1}+{reference}"
            start = None
    return "\n".join(lines) + "\n"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


def make_chain(world) -> Chain:
    """The test chain, its line and first parties known by their EORI numbers."""
    chain = Chain(world)
    chain.line_org.eori_number = LINE_EORI
    chain.line_org.save()
    for key, eori in (("consignee", CONSIGNEE_EORI), ("forwarder", FORWARDER_EORI)):
        chain.orgs[key].eori_number = eori
        chain.orgs[key].save()
    return chain


@pytest.fixture
def chain(world):
    return make_chain(world)


def refused(chain, data) -> list[dict]:
    with pytest.raises(CoreorImportRefused) as caught:
        coreor_import(actor=chain.line, data=data)
    return caught.value.errors


def assert_nothing_written():
    assert not CommercialRelease.objects.exists()
    assert not Container.objects.exists()
    assert not ReleaseRight.objects.exists()
    assert not AuditRecord.objects.filter(code__in=["release.issued", "release.coreor.imported"]).exists()


# --- reading ---------------------------------------------------------------------------


def test_the_sample_interchange_reads_as_two_release_orders():
    first, second = edifact.parse(sample("two_messages.edi"))
    assert (first.interchange, first.reference, first.document_number, first.function) == (
        "INT0001", "1", "REL0001", edifact.ORIGINAL)
    assert first.terminal.isps_number == "BEAAA-0001" and first.terminal.position == 9
    assert (first.release_party.qualifier, first.release_party.eori) == ("CN", CONSIGNEE_EORI)
    assert first.carrier.eori == LINE_EORI
    assert [c.number for c in first.containers] == NUMBERS[:2]
    assert [c.position for c in first.containers] == [12, 13]
    # the forwarder goes before the consignee; a carrier code is no EORI number and is not checked
    assert (second.release_party.qualifier, second.release_party.eori) == ("FW", FORWARDER_EORI)
    assert second.carrier is None and second.terminal.isps_number == "BEAAA-0001"


def test_a_container_group_has_its_own_dates_and_bill_of_lading():
    first, second = edifact.parse(sample("two_messages.edi"))
    plain, own = first.containers
    assert plain.bill_of_lading == own.bill_of_lading == "OCLU2026000123"
    assert plain.valid_until.value == datetime(2026, 5, 21, 0, 0)  # 20260520:102 is valid to the end of that day
    assert own.valid_until.value == datetime(2026, 5, 25, 18, 0) and own.valid_until.position == 14
    assert [c.bill_of_lading for c in second.containers] == ["OCLU2026000456", "OCLU2026000789"]


def test_a_cancellation_needs_only_its_containers():
    (order,) = edifact.parse(sample("cancellation.edi"))
    assert order.function == edifact.CANCELLATION and order.terminal is None and order.release_party is None
    assert [c.number for c in order.containers] == ["MSKU9070323"]


def test_the_separators_of_una_escapes_and_groups_are_honoured():
    text = sample("two_messages.edi").replace("CONSIGNEE NV", "O?'BRIEN?+CO")
    custom = "UNA|*.? ~" + text.split("\n", 1)[1].replace("'", "~").replace("+", "*").replace(":", "|")
    custom = custom.replace("O?~BRIEN?*CO", "O?'BRIEN+CO")  # the escaped characters are literal again
    orders = edifact.parse(custom)
    assert [c.number for order in orders for c in order.containers] == NUMBERS
    grouped = (sample("two_messages.edi").replace("UNH+1+", "UNG+COREOR+OCL+HW+260504:0800+1+UN+D:00B'\nUNH+1+", 1)
               .replace("UNZ+2+INT0001", "UNE+2+1'\nUNZ+1+INT0001"))
    assert len(edifact.parse(grouped)) == 2  # UNZ counts the group


def test_bytes_are_decoded_as_the_syntax_identifier_says():
    utf8 = sample("two_messages.edi").replace("UNOC", "UNOW").replace("CONSIGNEE NV", "CONSIGNÉE NV")
    assert len(edifact.parse(utf8.encode("utf-8"))) == 2
    latin = sample("two_messages.edi").replace("CONSIGNEE NV", "CONSIGNÉE NV").encode("latin-1")
    assert len(edifact.parse(latin)) == 2


# --- importing -------------------------------------------------------------------------


def test_a_two_message_interchange_issues_a_release_per_container(chain, world):
    outcome = coreor_import(actor=chain.line, data=sample("two_messages.edi").encode("latin-1"))
    assert (outcome.interchange, outcome.messages, outcome.count("issued")) == ("INT0001", 2, 4)
    releases = {r.container.number: r for r in CommercialRelease.objects.select_related("container", "first_party")}
    assert sorted(releases) == sorted(NUMBERS)
    first = releases["CSQU3054383"]
    assert first.shipping_line == chain.line_org and first.container.terminal == world.facility
    assert first.first_party == chain.orgs["consignee"] and first.bill_of_lading == "OCLU2026000123"
    assert first.valid_from == datetime(2026, 5, 4, 0, 0, tzinfo=BRUSSELS)
    assert first.valid_until == datetime(2026, 5, 21, 0, 0, tzinfo=BRUSSELS)
    assert releases["MSKU9070323"].valid_until == datetime(2026, 5, 25, 18, 0, tzinfo=BRUSSELS)
    assert releases["TGHU1234567"].first_party == chain.orgs["forwarder"]
    assert releases["TGHU1234567"].valid_from == datetime(2026, 5, 4, 12, 0, tzinfo=BRUSSELS)
    assert ReleaseRight.objects.filter(status=RightStatus.OFFERED).count() == 4  # each chain starts
    records = AuditRecord.objects.filter(code="release.coreor.imported").order_by("sequence")
    assert [(r.data["message"], r.data["function"], r.data["containers"]) for r in records] == [
        ("1", "original", NUMBERS[:2]), ("2", "original", NUMBERS[2:])]
    assert records[0].data["releases"] == [releases[n].pk for n in NUMBERS[:2]]
    assert AuditRecord.objects.filter(code="release.issued").count() == 4


def test_a_replacement_updates_the_live_release_and_counts_an_identical_one_as_unchanged(chain):
    coreor_import(actor=chain.line, data=sample("two_messages.edi"))
    outcome = coreor_import(actor=chain.line, data=sample("replacement.edi"))
    assert (outcome.count("updated"), outcome.count("unchanged")) == (1, 1)
    changed = CommercialRelease.objects.get(container__number="CSQU3054383")
    assert changed.bill_of_lading == "OCLU2026000124" and changed.version == 2
    assert changed.valid_until == datetime(2026, 5, 28, 0, 0, tzinfo=BRUSSELS)
    assert CommercialRelease.objects.get(container__number="MSKU9070323").version == 1
    assert AuditRecord.objects.filter(code="release.updated").count() == 1
    assert AuditRecord.objects.filter(code="release.coreor.imported", data__function="replacement").exists()


def test_a_cancellation_revokes_the_release_and_the_rights_behind_it(chain):
    coreor_import(actor=chain.line, data=sample("two_messages.edi"))
    release = CommercialRelease.objects.get(container__number="MSKU9070323")
    right_accept(actor=chain.acting["consignee"], right=ReleaseRight.objects.get(release=release))
    offer = right_transfer(actor=chain.acting["consignee"], right=holder(release), to=chain.orgs["forwarder"])
    right_accept(actor=chain.acting["forwarder"], right=offer)
    outcome = coreor_import(actor=chain.line, data=sample("cancellation.edi"))
    assert outcome.count("revoked") == 1
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED and release.status_reason == "Cancelled by COREOR REL0003"
    assert holder(release) is None
    assert set(ReleaseRight.objects.filter(release=release).values_list("status", flat=True)) == {RightStatus.REVOKED}
    assert OutboxEvent.objects.filter(type="release.right.revoked", organisation_id=chain.orgs["forwarder"].pk).exists()
    assert CommercialRelease.objects.filter(status=ReleaseStatus.ACTIVE).count() == 3  # the others stand


def test_one_interchange_may_cancel_a_release_and_issue_it_again(chain):
    coreor_import(actor=chain.line, data=sample("two_messages.edi"))
    cancel = sample("cancellation.edi").splitlines()[2:8]  # its UNH ... UNT
    original = [line for line in sample("two_messages.edi").splitlines()[2:17]  # the first original, MSKU only
                if not line.startswith("EQD+CN+CSQU")]
    text = with_counts("\n".join([
        "UNB+UNOC:3+OCEANICLINES:ZZZ+HAVENWATCH:ZZZ+260504:1500+INT0004'",
        *[line.replace("UNH+1+", "UNH+7+").replace("UNT+6+1'", "UNT+6+7'") for line in cancel],
        *original, "UNZ+2+INT0004'"]))
    outcome = coreor_import(actor=chain.line, data=text)
    assert (outcome.count("revoked"), outcome.count("issued")) == (1, 1)
    assert [release.status for release in CommercialRelease.objects.filter(container__number="MSKU9070323")
            .order_by("pk")] == [ReleaseStatus.REVOKED, ReleaseStatus.ACTIVE]


def test_a_replacement_without_a_live_release_of_the_line_is_refused(chain):
    errors = refused(chain, sample("replacement.edi"))
    assert [(e["segment"], e["tag"], e["code"]) for e in errors] == [
        (11, "EQD", "no_live_release"), (12, "EQD", "no_live_release")]
    assert "Container CSQU3054383 has no live release issued by your line" in errors[0]["reason"]


BAD = {
    # name: (edit of the sample, the problems as (segment, tag, code), words of the first reason)
    "wrong check digit": (lambda t: t.replace("MSCU1234566", "MSCU1234560"), [(25, "EQD", "container_number")],
                          "MSCU1234560 has a wrong check digit: the last digit should be 6"),
    "UNT count": (lambda t: t.replace("UNT+15+1", "UNT+14+1"), [(16, "UNT", "segment_count")],
                  "UNT counts 14 segments; the message has 15"),
    "missing UNT": (lambda t: t.replace("UNT+15+1'\n", ""), [(2, "UNH", "missing_unt")],
                    "This message has no UNT trailer: another UNH begins at segment 16"),
    "not COREOR": (lambda t: t.replace("COREOR:D:95B", "COPARN:D:95B"), [(17, "UNH", "message_type")],
                   "Message type COPARN is not COREOR"),
    "other directory": (lambda t: t.replace("COREOR:D:95B", "COREOR:D:01B"), [(17, "UNH", "message_version")],
                        "send directory D.95B or D.00B"),
    "message function": (lambda t: t.replace("BGM+129+REL0002+9", "BGM+129+REL0002+4"),
                         [(18, "BGM", "message_function")], "Message function 4 is not supported"),
    "document code": (lambda t: t.replace("BGM+129+REL0002+9", "BGM+12+REL0002+9"), [(18, "BGM", "document_code")],
                      "COREOR uses BGM+129"),
    "equipment qualifier": (lambda t: t.replace("EQD+CN+MSCU1234566", "EQD+TE+MSCU1234566"),
                            [(25, "EQD", "equipment_qualifier")], "only containers (EQD+CN)"),
    "party code list": (lambda t: t.replace("NAD+FW+BE0987654321:EORI:ZZZ", "NAD+FW+BE0987654321:160:ZZZ"),
                        [(24, "NAD", "party_code")], "identifies the party in code list 160: give its EORI number"),
    "terminal code list": (lambda t: t.replace("BEAAA-0001:ISPS:ZZZ", "ANRPSA:TCL:306"), [(21, "LOC", "terminal_code")],
                           "we know terminals by their ISPS facility number"),
    "date format": (lambda t: t.replace("DTM+36:202605221800:203", "DTM+36:2026142:304"), [(20, "DTM", "date_format")],
                    "Date format 304 is not supported: use 102 (CCYYMMDD) or 203"),
    "date unreadable": (lambda t: t.replace("DTM+36:202605221800:203", "DTM+36:202602301800:203"),
                        [(20, "DTM", "bad_date")], "202602301800 is not a date in format 203 (CCYYMMDDHHMM)"),
    "window reversed": (lambda t: t.replace("DTM+36:202605221800:203", "DTM+36:202605041000:203"),
                        [(20, "DTM", "window")],
                        "The end of validity (DTM+36, 2026-05-04 10:00) is not after its start (DTM+7 at segment 19"),
    "missing RFF+BM": (lambda t: t.replace("RFF+BM:OCLU2026000456'\n", ""), [(25, "EQD", "missing_bill_of_lading")],
                       "Container MSCU1234566 has no bill of lading: give RFF+BM"),
    "missing DTM+36": (lambda t: t.replace("DTM+36:202605221800:203'\n", ""),
                       [(24, "EQD", "missing_valid_until"), (26, "EQD", "missing_valid_until")],
                       "Container MSCU1234566 has no end of validity: give DTM+36"),
    "missing EQD": (lambda t: t.replace("EQD+CN+MSCU1234566+22G1:102:5+++5'\nRFF+BM:OCLU2026000456'\n", "")
                    .replace("EQD+CN+TGHU1234567+45G1:102:5+++5'\nRFF+BM:OCLU2026000789'\nMEA+AAE+G+KGM:21500'\n",
                             ""), [(17, "UNH", "missing_eqd")], "The message releases no container"),
    "missing terminal": (lambda t: t.replace("LOC+11+BEAAA:139:6+BEAAA-0001:ISPS:ZZZ'\n", ""),
                         [(17, "UNH", "missing_terminal")], "The message names no terminal"),
    "unknown terminal": (lambda t: t.replace("BEAAA-0001:ISPS", "BEAAA-0999:ISPS"), [(21, "LOC", "unknown_terminal")],
                         "No terminal has the ISPS facility number BEAAA-0999"),
    "unknown party": (lambda t: t.replace("BE0987654321", "NL0000000001"), [(24, "NAD", "unknown_party")],
                      "No active organisation on the platform has the EORI number NL0000000001"),
    "UNZ count": (lambda t: t.replace("UNZ+2+INT0001", "UNZ+3+INT0001"), [(32, "UNZ", "message_count")],
                  "UNZ counts 3 messages; the interchange holds 2"),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_interchange_is_refused_at_its_segment_and_nothing_is_written(chain, name):
    edit, expected, words = BAD[name]
    text = edit(sample("two_messages.edi"))
    if name not in ("UNT count", "missing UNT"):
        text = with_counts(text)
    errors = refused(chain, text)
    assert [(e["segment"], e["tag"], e["code"]) for e in errors] == expected, errors
    position, tag, _code = expected[0]
    assert words in errors[0]["reason"]
    assert errors[0]["message"].startswith(f"Segment {position} ({tag}): ")
    assert errors[0]["message_reference"] == ("1" if position < 17 else "2" if position < 32 else "")
    assert_nothing_written()
    refusal = AuditRecord.objects.get(code="release.coreor.refused")
    assert refusal.data["interchange"] == "INT0001" and refusal.data["segment"] == position
    assert words in refusal.data["reason"] and refusal.organisation_id == chain.line_org.pk


def test_segments_without_their_unh_are_refused_one_by_one(chain):
    errors = refused(chain, sample("two_messages.edi").replace("UNH+2+COREOR:D:95B:UN'\n", ""))
    assert [(e["segment"], e["code"]) for e in errors] == [
        *[(position, "outside_message") for position in range(17, 30)], (30, "missing_unh"), (31, "message_count")]
    assert errors[-2]["reason"] == "UNT without a UNH message header before it."
    assert_nothing_written()


@pytest.mark.parametrize("data, words", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not an EDIFACT interchange: it holds binary data"),
    (b"%PDF-1.7 release order", "This is not an EDIFACT interchange: it must begin with a UNB"),
    (b"", "This is not an EDIFACT interchange: it is empty"),
])
def test_what_is_not_edifact_is_refused_as_such(chain, data, words):
    (error,) = refused(chain, data)
    assert error["code"] == "not_edifact" and error["segment"] is None and words in error["reason"]
    assert AuditRecord.objects.filter(code="release.coreor.refused", data__interchange="").exists()
    assert_nothing_written()


def test_text_cut_inside_a_segment_is_refused_at_that_segment(chain):
    (error,) = refused(chain, sample("two_messages.edi").rstrip().removesuffix("'"))
    assert (error["segment"], error["code"]) == (32, "unreadable")
    assert "every segment must end with the segment terminator" in error["reason"]
    assert AuditRecord.objects.get(code="release.coreor.refused").data["interchange"] == "INT0001"


def test_text_that_breaks_its_declared_syntax_is_refused(chain):
    text = sample("two_messages.edi").replace("UNOC", "UNOA").replace("CONSIGNEE NV", "CONSIGNÉE NV")
    (error,) = refused(chain, text.encode("latin-1"))
    assert (error["segment"], error["tag"], error["code"]) == (1, "UNB", "encoding")
    assert "is not ASCII, as the syntax identifier UNOA of UNB declares" in error["reason"]
    (error,) = refused(chain, text)  # pasted text: the same rule
    assert "cannot be sent in UNOA" in error["reason"]
    (error,) = refused(chain, sample("two_messages.edi").replace("UNOC:3", "UNOD:3"))
    assert error["code"] == "unsupported_syntax" and "UNOD is not supported" in error["reason"]
    assert_nothing_written()


def test_an_interchange_is_bounded_in_bytes_and_in_containers(chain):
    (error,) = refused(chain, b"UNB+UNOC:3" + b" " * edifact.MAX_BYTES)
    assert error["code"] == "too_large" and "larger than 5 MB" in error["reason"]
    numbers = [f"TGHU{n:06d}" for n in range(edifact.MAX_CONTAINERS + 1)]
    groups = "".join(f"EQD+CN+{n}{iso6346.calc_check_digit(n)}'\n" for n in numbers)
    text = with_counts(sample("two_messages.edi").replace("EQD+CN+CSQU3054383+22G1:102:5+++5'\n", groups))
    errors = refused(chain, text)
    assert [e["code"] for e in errors] == ["too_many_containers"]
    assert errors[0]["segment"] == 12 + edifact.MAX_CONTAINERS
    assert_nothing_written()


def test_every_problem_is_listed_not_just_the_first(chain):
    text = (sample("two_messages.edi").replace("CSQU3054383", "CSQU3054380").replace("BGM+129+REL0002+9",
                                                                                     "BGM+129+REL0002+3")
            .replace("UNT+15+2", "UNT+16+2"))
    errors = refused(chain, text)
    assert [(e["message_reference"], e["segment"], e["code"]) for e in errors] == [
        ("1", 12, "container_number"), ("2", 18, "message_function"), ("2", 31, "segment_count")]
    refusal = AuditRecord.objects.get(code="release.coreor.refused")
    assert refusal.data["segment"] == 12 and "(and 2 more problems)" in refusal.data["reason"]


def test_another_lines_carrier_is_refused(chain):
    other = sample("two_messages.edi").replace("NAD+CA+BE0417497106", "NAD+CA+DK0000000001")
    (error,) = refused(chain, other)
    assert (error["segment"], error["tag"], error["code"]) == (10, "NAD", "carrier_mismatch")
    assert "The carrier (NAD+CA) is EORI DK0000000001, not your organisation Oceanic Lines" in error["reason"]
    assert_nothing_written()


def test_a_line_without_an_eori_number_cannot_name_itself_as_carrier(chain):
    chain.line_org.eori_number = ""
    chain.line_org.save()
    (error,) = refused(chain, sample("two_messages.edi"))
    assert error["code"] == "carrier_mismatch" and "has no EORI number on the platform" in error["reason"]


def test_a_service_refusal_is_placed_at_the_eqd_of_its_container(chain, world):
    elsewhere = FacilityFactory(name="Terminal A2", isps_number="BEAAA-0002", port=world.port)
    chain.issue("TGHU1234567")  # a live release already
    from havenwatch.release.services.releases import release_issue

    release_issue(actor=chain.line, container_number="MSCU1234566", terminal=elsewhere, bill_of_lading="X",
                  first_party=chain.orgs["consignee"], valid_from=T0, valid_until=datetime(2026, 6, 1, tzinfo=BRUSSELS))
    before = CommercialRelease.objects.count()
    errors = refused(chain, sample("two_messages.edi"))
    assert [(e["message_reference"], e["segment"], e["tag"], e["code"]) for e in errors] == [
        ("2", 25, "EQD", "conflict"), ("2", 27, "EQD", "conflict")]
    assert "Container MSCU1234566 is at Terminal A2, not at Terminal A" in errors[0]["reason"]
    assert "Container TGHU1234567 has a live release already" in errors[1]["reason"]
    assert CommercialRelease.objects.count() == before  # the first message's releases are undone too
    assert not AuditRecord.objects.filter(code="release.coreor.imported").exists()


def test_only_a_shipping_line_imports(chain):
    forwarder = principal(Role.FORWARDER, chain.orgs["forwarder"])
    with pytest.raises(PermissionRefused):
        coreor_import(actor=forwarder, data=sample("two_messages.edi"))
    agent_elsewhere = principal(Role.SHIPPING_AGENT, OrganisationFactory(kind=OrganisationKind.FORWARDER))
    with pytest.raises(PermissionRefused, match="Only a shipping line"):
        coreor_import(actor=agent_elsewhere, data=sample("two_messages.edi"))
    assert not AuditRecord.objects.filter(code__startswith="release.coreor").exists()
