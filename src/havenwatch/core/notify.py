"""Wake-ups for live streams and the worker when new events commit.

The outbox in the database is the truth; this only says "look again". In one process
(the embedded profile) a condition variable is enough. With ``HAVENWATCH_REDIS_URL``
set, wake-ups are also published on a Redis channel, so a web process learns of events
committed in another.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

log = logging.getLogger(__name__)
CHANNEL = "havenwatch:events"

_condition = threading.Condition()
_latest = 0
_redis_client = None
_listener: threading.Thread | None = None
_listener_stop = threading.Event()  # a fresh one for each listener thread
_listener_lock = threading.Lock()


def _set_latest(sequence: int) -> None:
    global _latest
    with _condition:
        if sequence > _latest:
            _latest = sequence
        _condition.notify_all()


def _redis():
    global _redis_client
    if not settings.REDIS_URL:
        return None
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2)
    return _redis_client


def wake(sequence: int) -> None:
    _set_latest(sequence)
    client = _redis()
    if client is not None:
        try:
            client.publish(CHANNEL, str(sequence))
        except Exception:  # Redis is an accelerator, not the truth: streams still poll
            log.warning("could not publish wake-up to Redis", exc_info=True)


def _listen(stop: threading.Event) -> None:
    while not stop.is_set():
        pubsub = None
        try:
            pubsub = _redis().pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)
            while not stop.is_set():
                # A bounded wait rather than ``listen()``, which blocks for ever: the
                # thread notices ``stop`` within a second.
                message = pubsub.get_message(timeout=1.0)
                if message is None:
                    continue
                try:
                    _set_latest(int(message["data"]))
                except (TypeError, ValueError):
                    continue
        except Exception:
            if stop.is_set():
                break
            log.warning("Redis wake-up listener lost its connection; retrying", exc_info=True)
            stop.wait(2)
        finally:
            if pubsub is not None:
                try:
                    pubsub.close()
                except Exception:  # closing a broken connection may fail too
                    pass


def ensure_listener() -> None:
    """Start the Redis listener thread once per process, when Redis is configured."""
    global _listener, _listener_stop
    if not settings.REDIS_URL:
        return
    with _listener_lock:
        if _listener is None or not _listener.is_alive():
            _listener_stop = threading.Event()
            _listener = threading.Thread(target=_listen, args=(_listener_stop,), name="havenwatch-redis-wake",
                                         daemon=True)
            _listener.start()


def reset() -> None:
    """Stop the listener, drop the Redis client and forget the latest sequence.

    For tests, which point ``REDIS_URL`` at a server of their own and take it away again.
    """
    global _listener, _redis_client, _latest
    with _listener_lock:
        _listener_stop.set()
        if _listener is not None:
            _listener.join(timeout=5)
        _listener = None
        if _redis_client is not None:
            try:
                _redis_client.close()
            except Exception:
                pass
        _redis_client = None
    with _condition:
        _latest = 0


def wait(after: int, timeout: float) -> int:
    """Block until an event later than ``after`` is announced, or ``timeout`` passes."""
    ensure_listener()
    with _condition:
        if _latest <= after:
            _condition.wait(timeout)
        return _latest
