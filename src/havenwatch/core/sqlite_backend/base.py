"""Django's SQLite backend, with the write transactions of one process queued on a lock.

SQLite lets one writer in at a time. When a second connection runs ``BEGIN IMMEDIATE``
while another holds the write lock, SQLite's busy handler makes it sleep and retry, with
sleeps growing to 100 ms. Under ASGI every request has a thread and a connection of its
own, so sixteen gate controllers at once meant requests sleeping for hundreds of
milliseconds while the database sat idle between the sleeps.

Here the threads of one process wait on a :class:`threading.Lock` (one per database
file) before ``BEGIN``, and are let in the moment the previous writer commits or rolls
back. The waiting is bounded by the database's ``timeout`` option, as SQLite's own is;
after it the error is SQLite's ("database is locked"). Other processes (a second web
worker, ``havenwatch worker``) still meet SQLite's busy handler: the lock only orders the
writers it can see. Readers never take it (WAL lets them read beside the writer).

**Connections are pooled.** With ``CONN_MAX_AGE=0`` (a thread per request under ASGI)
every request opened its own connection, with a cold page cache and no prepared
statements: a gate decision cost 6 ms more than on a warm connection. A closed connection
now goes back to a small pool (per database file, at most ``POOL_SIZE``) with any open
transaction rolled back, and the next request takes it. A pooled connection whose file
was replaced (a test database made again) is discarded. In-memory databases are never
pooled (Django never closes them).
"""

from __future__ import annotations

import os
import queue
import threading

from django.db.backends.sqlite3 import base

POOL_SIZE = 8
_LOCKS: dict[str, threading.Lock] = {}
_POOLS: dict[str, queue.LifoQueue] = {}
_LOCKS_GUARD = threading.Lock()


def _pool(name: str) -> queue.LifoQueue:
    with _LOCKS_GUARD:
        return _POOLS.setdefault(str(name), queue.LifoQueue(maxsize=POOL_SIZE))


def _file_id(name: str):
    try:
        stat = os.stat(name)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def writer_lock(name: str) -> threading.Lock:
    """The lock of one database file (every connection of this process to it shares it)."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(name), threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False
    _pooled_file = None

    def _poolable(self) -> bool:
        return not self.is_in_memory_db()

    def get_new_connection(self, conn_params):
        if self._poolable():
            name = self.settings_dict["NAME"]
            current = _file_id(name)
            pool = _pool(name)
            while True:
                try:
                    connection, file_id = pool.get_nowait()
                except queue.Empty:
                    break
                if file_id == current and file_id is not None:
                    self._pooled_file = file_id
                    return connection
                connection.close()  # the file was replaced: a connection to the old one is no use
        connection = super().get_new_connection(conn_params)
        self._pooled_file = _file_id(self.settings_dict["NAME"]) if self._poolable() else None
        return connection

    def _writer_lock(self) -> threading.Lock:
        return writer_lock(self.settings_dict["NAME"])

    def _start_transaction_under_autocommit(self):
        if not self._holds_writer_lock:
            timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
            if not self._writer_lock().acquire(timeout=timeout):
                raise base.Database.OperationalError(
                    f"database is locked: no write transaction could start within {timeout:g} s")
            self._holds_writer_lock = True
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            self._writer_lock().release()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            connection = self.connection
            if connection is not None and self._poolable() and self._pooled_file is not None:
                with self.wrap_database_errors:
                    if connection.in_transaction:
                        connection.rollback()  # never hand an open transaction to the next request
                try:
                    _pool(self.settings_dict["NAME"]).put_nowait((connection, self._pooled_file))
                    return None
                except queue.Full:
                    pass
            return super()._close()
        finally:
            self._release_writer_lock()
