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
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def writer_lock(name: str) -> threading.Lock:
    """The lock of one database file (every connection of this process to it shares it)."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(name), threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

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
            return super()._close()
        finally:
            self._release_writer_lock()
