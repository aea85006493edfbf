"""Database helpers the tests share: getting past the audit chain's append-only triggers.

The triggers refuse UPDATE and DELETE of audit records (and TRUNCATE on PostgreSQL). Two
kinds of test need to get past them, exactly like an attacker with database access would:
tamper tests, and the flush that ends every ``transaction=True`` test.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager

from django.db import connection as default_connection

_migration = importlib.import_module("havenwatch.core.migrations.0002_audit_append_only")


@contextmanager
def audit_triggers_off(connection=None):
    """Disable the append-only triggers, and put them back afterwards.

    SQLite has no way to disable a trigger: drop it and re-create it from migration
    0002's SQL. PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER`` (the table owner may).
    """
    connection = connection or default_connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER core_auditrecord_no_change")
            cursor.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER core_auditrecord_no_truncate")
        else:
            for sql in _migration.SQLITE_DOWN:
                cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ALTER TABLE core_auditrecord ENABLE TRIGGER core_auditrecord_no_change")
                cursor.execute("ALTER TABLE core_auditrecord ENABLE TRIGGER core_auditrecord_no_truncate")
            else:
                for sql in _migration.SQLITE_UP:
                    cursor.execute(sql)


def ensure_heads() -> None:
    """The singleton rows migration 0002 creates; a flush removes them."""
    from havenwatch.core.audit import GENESIS
    from havenwatch.core.models import AuditHead, OutboxHead

    AuditHead.objects.get_or_create(pk=1, defaults={"sequence": 0, "hash": GENESIS})
    OutboxHead.objects.get_or_create(pk=1, defaults={"sequence": 0})


def install_flush_hook():
    """Make Django's test flush (end of every ``transaction=True`` test) work on the audit table.

    Without this the flush fails: SQLite's row trigger refuses the DELETE of audit rows,
    PostgreSQL's statement trigger refuses the TRUNCATE even of an empty table. After
    the flush the head rows are put back, so the next test starts like after ``migrate``.
    Returns a function that removes the hook.
    """
    ops_class = type(default_connection.ops)
    original = ops_class.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with audit_triggers_off(self.connection):
            original(self, sql_list)
        ensure_heads()

    ops_class.execute_sql_flush = execute_sql_flush

    def uninstall():
        ops_class.execute_sql_flush = original

    return uninstall
