"""The audit chain: any edit, deletion, insertion or reordering is found, and named."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from nacl import signing

from havenwatch.core import audit, crypto
from havenwatch.core.audit import GENESIS, LinkView, canonical_json, checkpoint_message, digest, link_hash
from havenwatch.core.models import AuditCheckpoint, AuditHead, AuditRecord
from havenwatch.core.models.audit import AppendOnlyError
from havenwatch.core.services import tokens, webhooks
from havenwatch.core.services.security_levels import security_level_set
from tests.dbtools import audit_triggers_off

# --- building chains as plain data ---------------------------------------------------

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=12)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**9), 10**9) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
record_fields = st.fixed_dictionaries({
    "occurred_at": st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1),
                                timezones=st.just(UTC)),
    "actor_id": st.none() | st.integers(1, 10**6),
    "actor_label": text,
    "organisation_id": st.none() | st.integers(1, 10**4),
    "port_id": st.none() | st.integers(1, 10**4),
    "code": st.sampled_from(["core.security_level.changed", "core.login.failed", "access.gate.decision"]),
    "subject_type": text,
    "subject_id": text,
    "data": st.dictionaries(text, json_value, max_size=4),
})
chains = st.lists(record_fields, min_size=1, max_size=8)
# Enough examples to meet every mutation kind many times, few enough for a fast suite.
CHAIN_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIELDS = [f for f in LinkView.__dataclass_fields__]


def link(sequence: int, fields: dict, previous: str) -> LinkView:
    data = json.loads(canonical_json(fields["data"]))
    data_digest = digest(data)
    meta = {k: v for k, v in fields.items() if k != "data"}
    hash_ = link_hash(sequence=sequence, data_digest=data_digest, previous_hash=previous, **meta)
    return LinkView(sequence=sequence, data=data, data_digest=data_digest, previous_hash=previous, hash=hash_,
                    **meta)


def build(records: list[dict]) -> list[LinkView]:
    links, previous = [], GENESIS
    for number, fields in enumerate(records, start=1):
        links.append(link(number, fields, previous))
        previous = links[-1].hash
    return links


def rechain(links: list[LinkView], start: int = 0) -> list[LinkView]:
    """What an attacker with the database does after an edit: recompute every hash from ``start`` on."""
    out = list(links[:start])
    previous = out[-1].hash if out else GENESIS
    for item in links[start:]:
        data_digest = digest(item.data)
        fields = {f: getattr(item, f) for f in FIELDS if f not in ("data", "data_digest", "previous_hash", "hash",
                                                                     "sequence")}
        hash_ = link_hash(sequence=item.sequence, data_digest=data_digest, previous_hash=previous, **fields)
        out.append(dataclasses.replace(item, data_digest=data_digest, previous_hash=previous, hash=hash_))
        previous = hash_
    return out


def head_of(links):
    return (links[-1].sequence, links[-1].hash) if links else (0, GENESIS)


def different_value(draw, field: str, old):
    """A value of the same kind as ``old`` that is really different (after canonical JSON)."""
    if field == "occurred_at":
        new = old + timedelta(microseconds=draw(st.integers(1, 10**12)) * draw(st.sampled_from([1, -1])))
    elif field == "sequence":
        new = draw(st.integers(1, 50))
    elif field in ("actor_id", "organisation_id", "port_id"):
        new = draw(st.none() | st.integers(1, 10**6))
    elif field == "data":
        new = json.loads(canonical_json(draw(st.dictionaries(text, json_value, max_size=4))))
    elif field in ("data_digest", "previous_hash", "hash"):
        new = draw(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
    else:
        new = draw(text)
    assume(canonical_json(new) != canonical_json(old))
    return new


# --- the pure verification ---------------------------------------------------------


@CHAIN_SETTINGS
@given(chains)
def test_untouched_chain_verifies(records):
    links = build(records)
    result = audit.verify_records(links, head=head_of(links))
    assert result.ok, result.reason
    assert result.checked == len(links)
    assert result.first_broken is None


@CHAIN_SETTINGS
@given(chains, st.data())
def test_editing_any_field_of_any_record_is_found_at_that_record(records, data):
    links = build(records)
    index = data.draw(st.integers(0, len(links) - 1), label="record")
    field = data.draw(st.sampled_from(FIELDS), label="field")
    new = different_value(data.draw, field, getattr(links[index], field))
    tampered = list(links)
    tampered[index] = dataclasses.replace(links[index], **{field: new})
    result = audit.verify_records(tampered, head=head_of(links))
    assert not result.ok
    # A record renumbered to an earlier number repeats that number: that is the first broken one.
    expected = min(new, index + 1) if field == "sequence" else index + 1
    assert result.first_broken == expected, result.reason


@CHAIN_SETTINGS
@given(chains, st.data())
def test_deleting_any_record_is_found_even_the_last(records, data):
    links = build(records)
    index = data.draw(st.integers(0, len(links) - 1), label="deleted")
    tampered = links[:index] + links[index + 1:]
    result = audit.verify_records(tampered, head=head_of(links))
    assert not result.ok
    assert result.first_broken == index + 1, result.reason


@CHAIN_SETTINGS
@given(chains, record_fields, st.data())
def test_inserting_a_forged_record_with_a_correct_hash_is_found(records, forged_fields, data):
    links = build(records)
    position = data.draw(st.integers(0, len(links)), label="position")
    # The forger numbers it to fit, or picks any number; its own hash and link are correct.
    number = data.draw(st.just(position + 1) | st.integers(1, len(links) + 2), label="number")
    previous = links[position - 1].hash if position else GENESIS
    forged = link(number, forged_fields, previous)
    tampered = links[:position] + [forged] + links[position:]
    result = audit.verify_records(tampered, head=head_of(links))
    assert not result.ok
    assert result.first_broken == min(position + 1, number), result.reason


@CHAIN_SETTINGS
@given(chains.filter(lambda r: len(r) >= 2), st.data())
def test_swapping_two_records_is_found_at_the_first(records, data):
    links = build(records)
    i = data.draw(st.integers(0, len(links) - 2), label="i")
    j = data.draw(st.integers(i + 1, len(links) - 1), label="j")
    tampered = list(links)
    tampered[i], tampered[j] = tampered[j], tampered[i]
    result = audit.verify_records(tampered, head=head_of(links))
    assert not result.ok
    assert result.first_broken == i + 1, result.reason


# --- signed checkpoints ---------------------------------------------------------------

KEY = signing.SigningKey(b"\x07" * 32)


def sign(sequence: int, hash_: str, key=KEY) -> str:
    return key.sign(checkpoint_message(sequence, hash_)).signature.hex()


@CHAIN_SETTINGS
@given(chains.filter(lambda r: len(r) >= 2), st.data())
def test_rewritten_history_differs_from_its_signed_checkpoint(records, data):
    links = build(records)
    checkpoint_at = data.draw(st.integers(1, len(links)), label="checkpoint")
    index = data.draw(st.integers(0, checkpoint_at - 1), label="edited")
    checkpoints = [(checkpoint_at, links[checkpoint_at - 1].hash, sign(checkpoint_at, links[checkpoint_at - 1].hash))]
    assert audit.verify_records(links, head=head_of(links), checkpoints=checkpoints, verify_key=KEY.verify_key).ok

    new_data = different_value(data.draw, "data", links[index].data)
    edited = list(links)
    edited[index] = dataclasses.replace(links[index], data=new_data)
    rewritten = rechain(edited, index)  # every later hash recomputed, and the head moved with them
    assert audit.verify_records(rewritten, head=head_of(rewritten)).ok  # without a checkpoint: undetectable
    result = audit.verify_records(rewritten, head=head_of(rewritten), checkpoints=checkpoints,
                                  verify_key=KEY.verify_key)
    assert not result.ok
    assert result.first_broken == checkpoint_at
    assert "signed checkpoint" in result.reason


@CHAIN_SETTINGS
@given(chains, st.data())
def test_checkpoint_with_a_bad_signature_is_found(records, data):
    links = build(records)
    at = data.draw(st.integers(1, len(links)))
    hash_ = links[at - 1].hash
    forger = signing.SigningKey(b"\x09" * 32)
    bad = data.draw(st.sampled_from(["flip", "other key", "garbage"]))
    signature = {"flip": sign(at, hash_)[:-2] + ("00" if not sign(at, hash_).endswith("00") else "11"),
                 "other key": sign(at, hash_, forger), "garbage": "not-hex"}[bad]
    result = audit.verify_records(links, head=head_of(links), checkpoints=[(at, hash_, signature)],
                                  verify_key=KEY.verify_key)
    assert not result.ok
    assert result.first_broken == at
    assert "invalid signature" in result.reason


# --- the stored chain ------------------------------------------------------------------


def make_records(world, n: int = 3) -> None:
    """``n`` appends to the chain, each a real audited act (a token created)."""
    pso = world.pso()
    start = AuditRecord.objects.count()
    for i in range(start, start + n):
        tokens.token_create(actor=pso, name=f"gate {i}", permissions=["core.view_port"])


@pytest.mark.django_db
def test_real_records_read_back_verify_and_any_tampering_of_them_is_found(world):
    make_records(world, 4)
    links = list(audit.iter_links())
    head = AuditHead.objects.get(pk=1)
    assert [x.sequence for x in links] == list(range(1, head.sequence + 1))
    assert audit.verify_records(links, head=(head.sequence, head.hash)).ok
    tampered = list(links)
    tampered[2] = dataclasses.replace(links[2], actor_label="someone else")
    assert audit.verify_records(tampered, head=(head.sequence, head.hash)).first_broken == 3
    assert audit.verify_records(links[:-1], head=(head.sequence, head.hash)).first_broken == head.sequence


@pytest.mark.django_db
def test_stored_checkpoints_are_signed_with_the_instance_key_and_verified(world):
    make_records(world, 2)
    checkpoint = audit.checkpoint_now()
    assert checkpoint.sequence == AuditHead.objects.get().sequence
    assert checkpoint.key_id == crypto.key_id()
    assert crypto.verify_signature(checkpoint_message(checkpoint.sequence, checkpoint.hash), checkpoint.signature)
    make_records(world, 1)
    result = audit.verify_chain()
    assert result.ok and result.checkpoints_checked == 1


@pytest.mark.django_db
def test_checkpoints_are_written_every_n_records(world, settings):
    settings.HAVENWATCH = {**settings.HAVENWATCH, "AUDIT_CHECKPOINT_EVERY": 3}
    make_records(world, 7)  # seven appends (plus none else): checkpoints at 3 and 6
    assert list(AuditCheckpoint.objects.order_by("sequence").values_list("sequence", flat=True)) == [3, 6]
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_a_batch_append_links_like_single_appends_and_checkpoints_where_they_fall(world, settings):
    settings.HAVENWATCH = {**settings.HAVENWATCH, "AUDIT_CHECKPOINT_EVERY": 4}
    make_records(world, 2)
    pso = world.pso()
    batch = audit.record_many(actor=pso, entries=[
        {"code": "core.token.revoked", "subject": ("core.apitoken", i), "data": {"name": f"gate {i}"}}
        for i in range(7)])
    assert [r.sequence for r in batch] == list(range(3, 10))
    assert all(r.pk is not None for r in batch)
    make_records(world, 1)  # a single append after the batch links to its last record
    assert AuditRecord.objects.get(sequence=10).previous_hash == batch[-1].hash
    assert list(AuditCheckpoint.objects.order_by("sequence").values_list("sequence", flat=True)) == [4, 8]
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_a_batch_with_one_bad_entry_appends_nothing(world):
    make_records(world, 1)
    before = AuditHead.objects.get(pk=1).sequence
    with pytest.raises(ValueError):
        audit.record_many(actor=world.pso(), entries=[
            {"code": "core.token.revoked", "data": {"name": "fine"}},
            {"code": "core.token.revoked", "data": {"not_a_field": 1}}])
    assert AuditHead.objects.get(pk=1).sequence == before == AuditRecord.objects.count()


@pytest.mark.django_db
def test_audit_record_cannot_be_changed_or_removed_through_the_orm(world):
    make_records(world, 1)
    row = AuditRecord.objects.order_by("sequence").first()
    row.actor_label = "someone else"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=row.pk).update(actor_label="x")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=row.pk).delete()
    assert AuditRecord.objects.get(pk=row.pk).actor_label != "someone else"


@pytest.mark.django_db
@pytest.mark.parametrize("sql", [
    "UPDATE core_auditrecord SET actor_label = 'someone else' WHERE sequence = 1",
    "DELETE FROM core_auditrecord WHERE sequence = 1",
])
def test_database_refuses_raw_update_and_delete_of_audit_records(world, sql):
    make_records(world, 1)
    before = list(AuditRecord.objects.values_list("sequence", "actor_label"))
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert list(AuditRecord.objects.values_list("sequence", "actor_label")) == before


@pytest.mark.django_db
def test_audit_verify_command_passes_an_intact_chain(world, capsys):
    make_records(world, 3)
    call_command("audit", "verify", "--quiet")  # returns: exit status 0
    assert "audit chain intact" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("tamper, broken", [
    ("UPDATE core_auditrecord SET actor_label = 'someone else' WHERE sequence = 2", 2),
    ("UPDATE core_auditrecord SET data = '{\"name\": \"x\"}' WHERE sequence = 3", 3),
    ("DELETE FROM core_auditrecord WHERE sequence = 2", 2),
    ("DELETE FROM core_auditrecord WHERE sequence = 4", 4),  # the last one: the head disagrees
])
def test_audit_verify_command_fails_and_names_the_first_broken_record(world, tamper, broken):
    make_records(world, 4)
    assert AuditHead.objects.get().sequence == 4
    with audit_triggers_off(), connection.cursor() as cursor:
        cursor.execute(tamper)
    with pytest.raises(CommandError) as refused:
        call_command("audit", "verify", "--quiet")
    assert refused.value.returncode == 1
    assert f"BROKEN at record #{broken}" in str(refused.value)


@pytest.mark.django_db
def test_audit_verify_command_finds_records_rewritten_behind_a_signed_checkpoint(world):
    make_records(world, 3)
    audit.checkpoint_now()
    # The attacker edits record 2 and recomputes every later hash and the head.
    links = list(audit.iter_links())
    edited = list(links)
    edited[1] = dataclasses.replace(links[1], actor_label="someone else")
    rewritten = rechain(edited, 1)
    with audit_triggers_off(), connection.cursor() as cursor:
        for item in rewritten[1:]:
            cursor.execute("UPDATE core_auditrecord SET actor_label = %s, data_digest = %s, previous_hash = %s, "
                           "hash = %s WHERE sequence = %s",
                           [item.actor_label, item.data_digest, item.previous_hash, item.hash, item.sequence])
        AuditHead.objects.filter(pk=1).update(hash=rewritten[-1].hash)
    with pytest.raises(CommandError, match="BROKEN at record #3: record #3 differs from its signed checkpoint"):
        call_command("audit", "verify", "--quiet")


@pytest.mark.django_db
def test_token_and_webhook_secrets_appear_in_the_audit_log_only_as_digests(world):
    pso = world.pso()
    _, raw = tokens.token_create(actor=pso, name="gate", permissions=["core.view_port"])
    _, secret = webhooks.webhook_create(actor=pso, url="http://127.0.0.1:9/hook")
    security_level_set(actor=pso, port=world.port, level=2, reason="secrets test run")
    everything = json.dumps([r.data for r in AuditRecord.objects.all()])
    assert raw not in everything
    assert secret not in everything
    token_record = AuditRecord.objects.get(code="core.token.created")
    assert token_record.data["token"] == "sha256:" + digest(raw)
    webhook_record = AuditRecord.objects.get(code="core.webhook.created")
    assert webhook_record.data["secret"] == "sha256:" + digest(secret)
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_undeclared_audit_fields_are_refused_so_nothing_slips_into_the_log(world):
    with pytest.raises(ValueError, match="does not carry"):
        audit.record(actor=world.pso(), code="core.token.revoked", data={"name": "x", "password": "hunter2"})
    assert not AuditRecord.objects.filter(code="core.token.revoked").exists()
