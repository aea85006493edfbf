"""The audit chain: append, checkpoint, verify.

Services call :func:`record` inside their transaction. Appends are serialised by a
row lock on :class:`AuditHead`, so sequence numbers have no gaps and the chain is a
single line. :func:`verify_records` is a pure function over records, so the property
tests can tamper with plain data as freely as an attacker with the database could.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext as _

from havenwatch.core import bulk, clock, crypto, event_types
from havenwatch.core.models import AuditCheckpoint, AuditHead, AuditRecord

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def link_hash(
    *,
    sequence: int,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    organisation_id: int | None,
    port_id: int | None,
    code: str,
    subject_type: str,
    subject_id: str,
    data_digest: str,
    previous_hash: str,
) -> str:
    return _hash_link(sequence, format_time(occurred_at), actor_id, actor_label, organisation_id, port_id, code,
                      subject_type, subject_id, data_digest, previous_hash)


def _hash_link(*material) -> str:
    """:func:`link_hash` over the time already formatted (a batch formats it once)."""
    return hashlib.sha256(canonical_json(list(material)).encode()).hexdigest()


def checkpoint_message(sequence: int, hash_: str) -> bytes:
    return f"havenwatch-audit-checkpoint:v1:{sequence}:{hash_}".encode()


def _subject(subject: models.Model | tuple[str, Any] | None) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        return subject[0], str(subject[1])
    return subject._meta.label_lower, str(subject.pk)


def _prepare_data(code: str, data: dict[str, Any] | None) -> dict[str, Any]:
    return _prepared(code, data)[0]


def _prepared(code: str, data: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
    """The data as stored and hashed, and its canonical text (whose SHA-256 is its digest)."""
    event_type = event_types.get(code)
    data = dict(data or {})
    unknown = set(data) - event_type.fields - event_type.digest_fields
    if unknown:
        raise ValueError(f"audit event {code!r} does not carry field(s) {sorted(unknown)}")
    prepared: dict[str, Any] = {}
    for key, value in data.items():
        if key in event_type.digest_fields:
            prepared[key] = "sha256:" + digest(value)
        else:
            prepared[key] = value
    # Round-trip through JSON so the stored value and the hashed value are the same.
    text = canonical_json(prepared)
    return json.loads(text), text


def record(
    *,
    actor,
    code: str,
    subject: models.Model | tuple[str, Any] | None = None,
    organisation_id: int | None = None,
    port_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditRecord:
    """Append one record to the chain, in the caller's transaction."""
    return record_many(actor=actor, entries=[dict(
        code=code, subject=subject, organisation_id=organisation_id, port_id=port_id, data=data)])[0]


def record_many(*, actor, entries: list[dict[str, Any]]) -> list[AuditRecord]:
    """Append many records by one actor (keyword arguments of :func:`record` each), in
    order, under one lock of the head: a bulk act audits each of its rows as a single
    act would, at a fraction of the cost. Checkpoints fall where they would one by one."""
    if not entries:
        return []
    prepared_entries = [(*_prepared(e["code"], e.get("data")), *_subject(e.get("subject"))) for e in entries]
    actor_label = actor.label[:160]
    actor_id = actor.user_id
    every = settings.HAVENWATCH["AUDIT_CHECKPOINT_EVERY"]
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().get(pk=1)
        occurred_at = clock.now()
        time_text = format_time(occurred_at)
        sequence, previous = head.sequence, head.hash
        records, checkpoints = [], []
        for entry, (prepared, text, subject_type, subject_id) in zip(entries, prepared_entries, strict=True):
            sequence += 1
            organisation_id = entry.get("organisation_id")
            if organisation_id is None:
                organisation_id = actor.organisation_id
            port_id = entry.get("port_id")
            data_digest = hashlib.sha256(text.encode()).hexdigest()  # = digest(prepared)
            new_hash = _hash_link(sequence, time_text, actor_id, actor_label, organisation_id, port_id,
                                  entry["code"], subject_type, subject_id, data_digest, previous)
            records.append(bulk.new(
                AuditRecord, sequence=sequence, occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
                organisation_id=organisation_id, port_id=port_id, code=entry["code"], subject_type=subject_type,
                subject_id=subject_id, data=prepared, data_digest=data_digest, previous_hash=previous,
                hash=new_hash,
            ))
            if every and sequence % every == 0:
                checkpoints.append((sequence, new_hash))
            previous = new_hash
        bulk.insert_keyed(AuditRecord, records, key="sequence")
        AuditHead.objects.filter(pk=1).update(sequence=sequence, hash=previous)
        for checkpoint_sequence, checkpoint_hash in checkpoints:
            _write_checkpoint(checkpoint_sequence, checkpoint_hash)
    return records


def _write_checkpoint(sequence: int, hash_: str) -> AuditCheckpoint:
    checkpoint, _ = AuditCheckpoint.objects.get_or_create(
        sequence=sequence,
        defaults={
            "hash": hash_,
            "created_at": clock.now(),
            "key_id": crypto.key_id(),
            "signature": crypto.sign(checkpoint_message(sequence, hash_)),
        },
    )
    return checkpoint


@transaction.atomic
def checkpoint_now() -> AuditCheckpoint | None:
    """Sign the current head, unless it is signed already or the chain is empty."""
    head = AuditHead.objects.select_for_update().get(pk=1)
    if head.sequence == 0:
        return None
    return _write_checkpoint(head.sequence, head.hash)


# --- verification ------------------------------------------------------------------


@dataclass(frozen=True)
class LinkView:
    """What verification needs of a record; built from a row or from test data."""

    sequence: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    organisation_id: int | None
    port_id: int | None
    code: str
    subject_type: str
    subject_id: str
    data: Any
    data_digest: str
    previous_hash: str
    hash: str

    @classmethod
    def of(cls, row: AuditRecord) -> LinkView:
        return cls(**{f: getattr(row, f) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str = ""
    checkpoints_checked: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken": self.first_broken,
            "reason": self.reason,
            "checkpoints_checked": self.checkpoints_checked,
        }


def verify_records(
    links: Iterable[LinkView],
    *,
    head: tuple[int, str] | None = None,
    checkpoints: Iterable[tuple[int, str, str]] = (),
    verify_key=None,
) -> VerifyResult:
    """Walk the chain in the order given and name the first broken sequence number.

    ``head`` is (sequence, hash) of the stored tip; ``checkpoints`` are
    (sequence, hash, signature) triples.
    """
    expected = 1
    previous = GENESIS
    hashes: dict[int, str] = {}
    checkpoints = list(checkpoints)
    wanted = {seq for seq, _, _ in checkpoints}
    checked = 0
    for link in links:
        if link.sequence != expected:
            broken = min(expected, link.sequence)
            reason = (_("record #%(n)s is missing") if link.sequence > expected
                      else _("record #%(n)s is out of order or inserted"))
            return VerifyResult(False, checked, broken, reason % {"n": broken})
        if digest(link.data) != link.data_digest:
            return VerifyResult(False, checked, link.sequence, _("record #%(n)s: data was altered") % {"n": link.sequence})
        if link.previous_hash != previous:
            return VerifyResult(False, checked, link.sequence,
                                _("record #%(n)s does not follow #%(previous)s")
                                % {"n": link.sequence, "previous": link.sequence - 1})
        recomputed = link_hash(
            sequence=link.sequence, occurred_at=link.occurred_at, actor_id=link.actor_id,
            actor_label=link.actor_label, organisation_id=link.organisation_id, port_id=link.port_id,
            code=link.code, subject_type=link.subject_type, subject_id=link.subject_id,
            data_digest=link.data_digest, previous_hash=link.previous_hash,
        )
        if recomputed != link.hash:
            return VerifyResult(False, checked, link.sequence, _("record #%(n)s was altered") % {"n": link.sequence})
        if link.sequence in wanted:
            hashes[link.sequence] = link.hash
        previous = link.hash
        expected += 1
        checked += 1
    last = expected - 1
    if head is not None:
        head_seq, head_hash = head
        if head_seq > last:
            return VerifyResult(False, checked, last + 1, _("records #%(first)s to #%(last)s were removed")
                                % {"first": last + 1, "last": head_seq})
        if head_seq < last:
            return VerifyResult(False, checked, head_seq + 1, _("record #%(n)s was appended outside the chain")
                                % {"n": head_seq + 1})
        if head_seq and head_hash != previous:
            return VerifyResult(False, checked, last, _("record #%(n)s does not match the chain head") % {"n": last})
    for seq, hash_, signature in sorted(checkpoints):
        if seq > last:
            return VerifyResult(False, checked, last + 1, _("signed checkpoint #%(n)s is beyond the chain's end") % {"n": seq})
        if hashes.get(seq) != hash_:
            return VerifyResult(False, checked, seq, _("record #%(n)s differs from its signed checkpoint") % {"n": seq})
        if not crypto.verify_signature(checkpoint_message(seq, hash_), signature, verify_key):
            return VerifyResult(False, checked, seq, _("checkpoint #%(n)s has an invalid signature") % {"n": seq})
    return VerifyResult(True, checked, None, "", len(checkpoints))


def iter_links(batch: int = 2000) -> Iterator[LinkView]:
    fields = list(LinkView.__dataclass_fields__)
    last = 0
    while True:
        rows = list(AuditRecord.objects.order_by("sequence").filter(sequence__gt=last).values(*fields)[:batch])
        if not rows:
            return
        for row in rows:
            yield LinkView(**row)
        last = rows[-1]["sequence"]


def verify_chain(progress=None) -> VerifyResult:
    """Verify the whole stored chain, its head and its signed checkpoints."""
    head = AuditHead.objects.get(pk=1)
    checkpoints = list(AuditCheckpoint.objects.order_by("sequence").values_list("sequence", "hash", "signature"))

    def links() -> Iterator[LinkView]:
        for link in iter_links():
            if progress is not None:
                progress(link.sequence, head.sequence)
            yield link

    return verify_records(links(), head=(head.sequence, head.hash), checkpoints=checkpoints)
