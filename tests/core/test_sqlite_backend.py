"""The SQLite backend queues the writers of one process on a lock instead of letting them sleep."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from havenwatch.core.sqlite_backend.base import DatabaseWrapper, writer_lock

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend only")


def wrapper(path, alias: str, timeout: float = 5) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "NAME": str(path), "TEST": {}}
    settings["OPTIONS"] = {**settings.get("OPTIONS", {}), "timeout": timeout, "transaction_mode": "IMMEDIATE"}
    return DatabaseWrapper(settings, alias=alias)


@pytest.fixture
def db_file(tmp_path, django_db_blocker):
    """A database file of its own (not the test database): pytest-django's guard is lifted for it."""
    with django_db_blocker.unblock():
        yield _make(tmp_path)


def _make(tmp_path):
    path = tmp_path / "writers.sqlite3"
    setup = wrapper(path, "setup")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    setup.close()
    return path


def test_second_writer_waits_for_the_first_and_starts_as_soon_as_it_commits(db_file):
    first = wrapper(db_file, "first")
    order: list[str] = []
    first.set_autocommit(True)
    first._start_transaction_under_autocommit()
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")

    def other_writer():
        second = wrapper(db_file, "second")  # a connection belongs to its thread
        second.ensure_connection()
        second._start_transaction_under_autocommit()  # waits on the lock, not in SQLite's busy handler
        order.append("second began")
        with second.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        second.commit()
        second.close()

    thread = threading.Thread(target=other_writer)
    thread.start()
    time.sleep(0.2)
    assert order == []  # still waiting while the first writer holds the transaction
    order.append("first commits")
    committed_at = time.perf_counter()
    first.commit()
    thread.join(5)
    assert order == ["first commits", "second began"]
    assert time.perf_counter() - committed_at < 0.5  # let in at once, no back-off sleep
    with first.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert [row[0] for row in cursor.fetchall()] == [1, 2]
    first.close()
    assert not writer_lock(str(db_file)).locked()


def test_rollback_and_close_release_the_lock(db_file):
    one = wrapper(db_file, "one")
    one.ensure_connection()
    one._start_transaction_under_autocommit()
    assert writer_lock(str(db_file)).locked()
    one.rollback()
    assert not writer_lock(str(db_file)).locked()
    one._start_transaction_under_autocommit()
    one.close()
    assert not writer_lock(str(db_file)).locked()


def test_a_writer_that_waits_too_long_gets_a_clear_error(db_file):
    holder = wrapper(db_file, "holder")
    holder.ensure_connection()
    holder._start_transaction_under_autocommit()
    errors = []

    def attempt():
        late = wrapper(db_file, "late", timeout=0.2)
        late.ensure_connection()
        try:
            late._start_transaction_under_autocommit()
        except Exception as exc:  # noqa: BLE001 (what the test looks at)
            errors.append(exc)
        late.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(5)
    holder.rollback()
    holder.close()
    assert len(errors) == 1 and "database is locked" in str(errors[0])
    assert not writer_lock(str(db_file)).locked()


def test_a_closed_connection_is_reused_with_its_transaction_rolled_back(db_file):
    first = wrapper(db_file, "first")
    first.ensure_connection()
    raw = first.connection
    first._start_transaction_under_autocommit()
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (7)")
    first.close()  # mid-transaction: rolled back, then pooled
    second = wrapper(db_file, "second")
    second.ensure_connection()
    assert second.connection is raw  # warm page cache and prepared statements, no new open
    with second.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone()[0] == 0
    second.close()


def test_a_connection_to_a_replaced_file_is_not_reused(db_file):
    first = wrapper(db_file, "first")
    first.ensure_connection()
    raw = first.connection
    first.close()
    db_file.unlink()
    _make(db_file.parent)  # the same path, a new database file
    second = wrapper(db_file, "second")
    second.ensure_connection()
    assert second.connection is not raw
    with second.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM t")
        assert cursor.fetchone()[0] == 0
    second.close()
