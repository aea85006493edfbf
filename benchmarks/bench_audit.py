"""The audit chain: appending through ``audit.record()`` vs raw INSERTs, and ``verify_chain()``.

Append: N records through ``havenwatch.core.audit.record()``, each in its own
transaction opened the way services open theirs (``transaction.atomic()`` around the
call), against the baseline of inserting the same rows (same columns, same values,
hashes computed beforehand) with the database driver directly (``sqlite3``; ``psycopg``
on PostgreSQL), one transaction per row too, into a twin of the audit table (same
columns, constraints, indexes and triggers) in the same database. The two run in
alternating chunks (record first, then raw first, …) so drift falls on both. The ratio
is what the chain costs on top of storing the row: one more statement to read the
head and one to move it (under its row lock), the ORM, the canonical JSON and the two
SHA-256 per record, and a signed checkpoint every AUDIT_CHECKPOINT_EVERY records.

Verify: ``verify_chain()`` over the whole stored chain (the seeded records plus those
appended here), against a plain driver read of the same rows in sequence order: the
ratio is what recomputing and checking every link costs on top of reading it.
"""

from __future__ import annotations

import json
import time

from harness import Context, Result, median

CODE = "core.audit.verified"
COLUMNS = ("sequence", "occurred_at", "actor_id", "actor_label", "organisation_id", "port_id", "code",
           "subject_type", "subject_id", "data", "data_digest", "previous_hash", "hash")
TWIN = "bench_auditrecord_twin"


def _data(i: int) -> dict:
    return {"ok": True, "checked": i, "first_broken": None, "reason": f"benchmark record {i}"}


def _precomputed_rows(n: int, actor) -> list[tuple]:
    """The rows record() would store for n appends, as the driver gets them, hashes included."""
    from django.db import connection

    from havenwatch.core import audit, clock

    rows = []
    previous = audit.GENESIS
    for i in range(n):
        prepared = audit._prepare_data(CODE, _data(i))
        occurred_at = clock.now()
        data_digest = audit.digest(prepared)
        h = audit.link_hash(
            sequence=i + 1, occurred_at=occurred_at, actor_id=actor.user_id, actor_label=actor.label,
            organisation_id=actor.organisation_id, port_id=None, code=CODE, subject_type="", subject_id="",
            data_digest=data_digest, previous_hash=previous,
        )
        rows.append((
            i + 1, connection.ops.adapt_datetimefield_value(occurred_at), actor.user_id, actor.label,
            actor.organisation_id, None, CODE, "", "", json.dumps(prepared), data_digest, previous, h,
        ))
        previous = h
    return rows


class _Raw:
    """The driver-level baseline: a twin table and one transaction per INSERT."""

    def __init__(self) -> None:
        from django.db import connection

        self.vendor = connection.vendor
        settings = connection.settings_dict
        if self.vendor == "sqlite":
            import sqlite3

            self.conn = sqlite3.connect(settings["NAME"], timeout=20, isolation_level=None)
            # What Django's connection runs at connect (settings.DATABASES OPTIONS).
            init = settings.get("OPTIONS", {}).get("init_command", "")
            for pragma in filter(None, (p.strip() for p in init.split(";"))):
                self.conn.execute(pragma)
            schema = [sql for (sql,) in self.conn.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'core_auditrecord' AND sql IS NOT NULL "
                "ORDER BY type = 'table' DESC")]
            for sql in schema:  # table, then its indexes and append-only triggers, renamed
                self.conn.execute(sql.replace("core_auditrecord", TWIN))
            self.begin = "BEGIN IMMEDIATE" if settings.get("OPTIONS", {}).get("transaction_mode") else "BEGIN"
            marks = ", ".join("?" for _ in COLUMNS)
        elif self.vendor == "postgresql":
            import psycopg

            self.conn = psycopg.connect(
                dbname=settings["NAME"], user=settings["USER"] or None, password=settings["PASSWORD"] or None,
                host=settings["HOST"] or None, port=settings["PORT"] or None, autocommit=True,
            )
            self.conn.execute(f"CREATE TABLE {TWIN} (LIKE core_auditrecord INCLUDING ALL)")
            self.begin = "BEGIN"
            marks = ", ".join("%s" for _ in COLUMNS)
        else:
            raise RuntimeError(f"no raw baseline for {self.vendor}")
        self.insert = f"INSERT INTO {TWIN} ({', '.join(COLUMNS)}) VALUES ({marks})"
        self.select = f"SELECT {', '.join(COLUMNS)} FROM core_auditrecord ORDER BY sequence"

    def append(self, rows: list[tuple]) -> None:
        execute = self.conn.execute
        for row in rows:
            execute(self.begin)
            execute(self.insert, row)
            execute("COMMIT")

    def read_chain(self) -> int:
        return len(self.conn.execute(self.select).fetchall())

    def close(self) -> None:
        try:
            self.conn.execute(f"DROP TABLE IF EXISTS {TWIN}")
        finally:
            self.conn.close()


def run(ctx: Context) -> list[Result]:
    from django.db import transaction

    from havenwatch.core import audit
    from havenwatch.core.models import AuditRecord
    from havenwatch.core.principal import system_principal

    n = ctx.pick(2_000, 300)
    chunks = 10
    size = n // chunks
    actor = system_principal()
    raw_rows = _precomputed_rows(chunks * size, actor)
    ctx.log(f"appending {chunks * size:,} records each way, in {chunks} alternating chunks")

    def through_record(start: int) -> None:
        for i in range(start, start + size):
            with transaction.atomic():
                audit.record(actor=actor, code=CODE, data=_data(i))

    raw = _Raw()
    try:
        t_record = t_raw = 0.0
        for c in range(chunks):
            lo = c * size
            order = ["record", "raw"] if c % 2 == 0 else ["raw", "record"]
            for way in order:
                t0 = time.perf_counter()
                if way == "record":
                    through_record(lo)
                    t_record += time.perf_counter() - t0
                else:
                    raw.append(raw_rows[lo:lo + size])
                    t_raw += time.perf_counter() - t0

        total = AuditRecord.objects.count()
        repeats = ctx.pick(5, 2)
        verify_times, read_times = [], []
        checked = 0
        for _ in range(repeats):
            t0 = time.perf_counter()
            result = audit.verify_chain()
            verify_times.append(time.perf_counter() - t0)
            if not result.ok:
                raise RuntimeError(f"the chain does not verify: {result.reason}")
            checked = result.checked
            t0 = time.perf_counter()
            read = raw.read_chain()
            read_times.append(time.perf_counter() - t0)
            if read != total:
                raise RuntimeError(f"raw read saw {read} rows, the ORM {total}")
        driver = raw.vendor
    finally:
        raw.close()

    appended = chunks * size
    record_rate, raw_rate = appended / t_record, appended / t_raw
    verify_rate, read_rate = checked / median(verify_times), checked / median(read_times)
    append_ratio = record_rate / raw_rate
    verify_ratio = verify_rate / read_rate
    return [
        Result(
            name="audit: append via record()",
            value=record_rate, baseline=raw_rate, unit="rec/s",
            baseline_name=f"raw {driver} INSERTs of the same rows",
            detail=f"{appended:,} records, 1 txn each",
            baseline_detail=f"{appended:,} rows, 1 txn each",
            note=(f"the chain and the ORM cost {1 / append_ratio:.1f}× a bare INSERT of the same row "
                  f"(head read + head update + hashing + ORM per record)"),
        ),
        Result(
            name="audit: verify_chain()",
            value=verify_rate, baseline=read_rate, unit="rec/s",
            baseline_name=f"raw {driver} read of the same rows",
            detail=f"{checked:,} records, median of {repeats}",
            baseline_detail=f"same rows, median of {repeats}",
            note=(f"checking every link costs {1 / verify_ratio:.1f}× reading it "
                  f"(canonical JSON + 2 SHA-256 per record + ORM rows)"),
        ),
    ]
