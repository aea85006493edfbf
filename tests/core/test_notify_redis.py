"""Wake-ups cross process boundaries through Redis (the port profile: several web and
worker processes behind a load balancer).

Each test gets its own ``redis-server`` on a free loopback port, in a temporary
directory, with persistence off; it is stopped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time

import pytest
import redis

from havenwatch.core import notify


def _everything_required() -> bool:
    """CI (and HAVENWATCH_REQUIRE_BROWSER=1) wants every part of the suite to run, not skip."""
    return any(os.environ.get(name, "").strip().lower() not in {"", "0", "false", "no", "off"}
               for name in ("HAVENWATCH_REQUIRE_BROWSER", "CI"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(binary: str, port: int, directory) -> tuple[subprocess.Popen | None, str]:
    """A redis-server on 127.0.0.1:``port``, answering; or None and its output if it exited
    (the port was taken, say)."""
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory), "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=directory,
    )
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1, socket_timeout=2)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return process, ""
            except redis.ConnectionError:
                if process.poll() is not None:
                    output = process.stdout.read().decode(errors="replace")
                    process.stdout.close()
                    return None, output
                if time.monotonic() > deadline:
                    _stop(process)
                    pytest.fail(f"redis-server did not answer on 127.0.0.1:{port} within 10 s", pytrace=False)
                time.sleep(0.05)
    finally:
        client.close()


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    process.stdout.close()


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (Debian package 'redis-server'; scripts/ensure-system-deps installs it)"
        if _everything_required():
            pytest.fail(message + "; CI / HAVENWATCH_REQUIRE_BROWSER requires it", pytrace=False)
        pytest.skip(message)
    # A free port may be taken between choosing it and redis-server binding it (by a test
    # in another pytest-xdist worker, say): then the server exits, and another port is tried.
    for _attempt in range(3):
        port = _free_port()
        process, output = _start_redis(binary, port, tmp_path)
        if process is not None:
            break
    else:
        pytest.fail(f"redis-server did not start on 127.0.0.1:{port}: {output}", pytrace=False)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


@pytest.fixture
def redis_notify(settings, redis_url):
    """notify pointed at the test's Redis, with its module state fresh before and after."""
    notify.reset()
    settings.REDIS_URL = redis_url
    yield redis_url
    notify.reset()


def _wait_until_subscribed(url: str) -> None:
    """The listener subscribes in its own thread; a message sent before that is lost."""
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while dict(client.pubsub_numsub(notify.CHANNEL)).get(notify.CHANNEL.encode(), 0) < 1:
            assert time.monotonic() < deadline, "the wake-up listener never subscribed to its channel"
            time.sleep(0.02)
    finally:
        client.close()


def test_wake_published_by_another_process_wakes_a_waiting_stream(redis_notify):
    notify.ensure_listener()
    _wait_until_subscribed(redis_notify)
    woken = {}

    def stream():
        started = time.monotonic()
        woken["latest"] = notify.wait(0, timeout=10)
        woken["after"] = time.monotonic() - started

    waiter = threading.Thread(target=stream)
    waiter.start()
    time.sleep(0.1)  # the stream is asleep in wait()
    other_process = redis.Redis.from_url(redis_notify)  # a separate connection: the other process's client
    try:
        assert other_process.publish(notify.CHANNEL, "42") == 1  # one subscriber: this process
    finally:
        other_process.close()
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert woken["latest"] == 42
    assert woken["after"] < 5, "woken by the poll timeout, not by the Redis message"


def test_local_wake_is_published_for_other_processes(redis_notify):
    other_process = redis.Redis.from_url(redis_notify)
    pubsub = other_process.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(notify.CHANNEL)
    try:
        pubsub.get_message(timeout=1)  # the subscribe confirmation
        notify.wake(7)
        message = pubsub.get_message(timeout=5)
        assert message is not None and message["data"] == b"7"
        assert notify.wait(6, timeout=0) == 7  # and this process knows without a round trip
    finally:
        pubsub.close()
        other_process.close()


def test_garbage_on_the_channel_is_ignored(redis_notify):
    notify.ensure_listener()
    _wait_until_subscribed(redis_notify)
    publisher = redis.Redis.from_url(redis_notify)
    try:
        publisher.publish(notify.CHANNEL, "not-a-number")
        publisher.publish(notify.CHANNEL, "5")
    finally:
        publisher.close()
    deadline = time.monotonic() + 5
    while notify.wait(4, timeout=0.5) < 5:
        assert time.monotonic() < deadline, "the listener stopped after a malformed message"


def test_reset_stops_the_listener(redis_notify):
    notify.ensure_listener()
    _wait_until_subscribed(redis_notify)
    thread = notify._listener
    notify.reset()
    assert not thread.is_alive()
    assert notify.wait(0, timeout=0) == 0
