"""The ``havenwatch`` command as an operator runs it: real processes, a real var/ directory.

These tests start ``havenwatch`` in subprocesses with a clean environment and their own
``HAVENWATCH_VAR_DIR``, so each uses the embedded profile's SQLite file there, never the
pytest test database. They run in the SQLite run of the suite only: what they check (the
command line, the configuration, the server process) does not depend on the database
engine, and the PostgreSQL run covers the same services in-process.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from havenwatch import config
from havenwatch.demo.generator import demo_password

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("HAVENWATCH_DATABASE_URL")),
    reason="subprocess tests use their own SQLite file; they run in the SQLite run of the suite",
)

HAVENWATCH = str(Path(sys.executable).with_name("havenwatch"))
DB_FILE = "havenwatch.sqlite3"


def clean_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment an operator's shell would give: no pytest, no DJANGO_SETTINGS_MODULE."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(var_dir)),
        "LANG": "C.UTF-8",
        "HAVENWATCH_VAR_DIR": str(var_dir),
        "HAVENWATCH_PROFILE": "demo",
    }
    env.update(extra)
    return {key: value for key, value in env.items() if value is not None}


def havenwatch(var_dir: Path, *args: str, env: dict[str, str] | None = None,
               timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [HAVENWATCH, *args], env=env if env is not None else clean_env(var_dir), cwd=var_dir.parent,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
        start_new_session=True,  # no controlling terminal: a password prompt must not wait on the developer's
    )


def ok(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def query(var_dir: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(var_dir / DB_FILE) as connection:
        return connection.execute(sql, params).fetchall()


def copy_var(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def made_once(tmp_path_factory, name: str, make) -> Path:
    """``make(directory)`` once for the whole test run: under pytest-xdist the workers share
    pytest's base temporary directory, and the first to get here makes it while the others
    wait on the lock, then use it as it is (about 20 s saved for each further worker)."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # each worker's is <run's>/popen-gwN
    directory = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (directory / ".complete").exists():
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir()
            make(directory)
            (directory / ".complete").touch()
    return directory


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """A var/ with an empty migrated database, made once and copied by the tests."""

    def make(directory: Path) -> None:
        (directory / "var").mkdir()
        ok(havenwatch(directory / "var", "migrate", "--no-input", "-v", "0"))

    return made_once(tmp_path_factory, "migrated", make) / "var"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> tuple[Path, str]:
    """A var/ prepared by ``havenwatch demo --no-serve`` (migrated and seeded), and its output."""

    def make(directory: Path) -> None:
        (directory / "var").mkdir()
        result = ok(havenwatch(directory / "var", "demo", "--no-serve"))
        (directory / "output.txt").write_text(result.stdout)

    directory = made_once(tmp_path_factory, "demo", make)
    return directory / "var", (directory / "output.txt").read_text()


@pytest.fixture
def migrated_var(migrated_template, tmp_path) -> Path:
    return copy_var(migrated_template, tmp_path / "var")


@pytest.fixture
def demo_var(demo_template, tmp_path) -> Path:
    return copy_var(demo_template[0], tmp_path / "var")


# --- configuration ------------------------------------------------------------------


def test_production_without_secret_key_refuses_to_start(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = clean_env(var_dir)
    del env["HAVENWATCH_PROFILE"]  # production is the default
    result = havenwatch(var_dir, "check", env=env)
    assert result.returncode == 2, result.stderr
    assert "HAVENWATCH_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (var_dir / "secret_key").exists()  # no silent fallback to a generated key


def test_production_refuses_a_short_secret_key(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = clean_env(var_dir, HAVENWATCH_PROFILE="production", HAVENWATCH_SECRET_KEY="too-short")
    result = havenwatch(var_dir, "check", env=env)
    assert result.returncode == 2
    assert "at least 32 characters" in result.stderr


def test_production_with_a_secret_key_and_hosts_starts(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = clean_env(var_dir, HAVENWATCH_PROFILE="production", HAVENWATCH_SECRET_KEY="k" * 50,
                    HAVENWATCH_ALLOWED_HOSTS="havenwatch.example.org")
    result = ok(havenwatch(var_dir, "check", env=env))
    assert "no issues" in result.stdout


def test_demo_keeps_its_secret_key_private_and_reuses_it(tmp_path):
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    ok(havenwatch(var_dir, "check"))
    key_file = var_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_text()
    assert len(first.strip()) >= 50
    ok(havenwatch(var_dir, "check"))
    assert key_file.read_text() == first  # sessions survive a restart


def test_demo_secret_key_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("HAVENWATCH_PROFILE", "demo")
    monkeypatch.setenv("HAVENWATCH_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("HAVENWATCH_SECRET_KEY", raising=False)
    first = config.secret_key()
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert config.secret_key() == first


# --- demo, seed -------------------------------------------------------------------------


def test_demo_no_serve_twice_reuses_the_port_and_prints_the_logins_again(demo_template, demo_var):
    first_output = demo_template[1]
    assert "seeding the demo port" in first_output
    organisations = query(demo_var, "SELECT count(*) FROM core_organisation")[0][0]
    users = query(demo_var, "SELECT count(*) FROM core_user")[0][0]

    second = ok(havenwatch(demo_var, "demo", "--no-serve"))

    assert "exists already: reusing it" in second.stdout
    assert "seeding the demo port" not in second.stdout
    for username in ("admin", "pso", "pfso", "guard", "driver"):
        assert demo_password(1, username) in first_output
        assert demo_password(1, username) in second.stdout
    assert query(demo_var, "SELECT count(*) FROM core_organisation")[0][0] == organisations
    assert query(demo_var, "SELECT count(*) FROM core_user")[0][0] == users


def _seed_fingerprint(var_dir: Path) -> dict[str, list]:
    return {
        "organisations": query(var_dir, "SELECT name, slug, kind FROM core_organisation ORDER BY slug"),
        "facilities": query(var_dir, "SELECT isps_number, name, geometry FROM core_facility ORDER BY isps_number"),
        "users": query(var_dir, "SELECT username FROM core_user ORDER BY username"),
    }


def test_seed_refuses_a_second_run_and_is_deterministic(migrated_template, tmp_path):
    first = copy_var(migrated_template, tmp_path / "first")
    second = copy_var(migrated_template, tmp_path / "second")

    result = ok(havenwatch(first, "seed", "--scale", "small", "--seed", "7"))
    assert "seeded scale small with seed 7" in result.stdout
    assert demo_password(7, "pso") in result.stdout

    again = havenwatch(first, "seed", "--scale", "small", "--seed", "7")
    assert again.returncode == 1
    assert "seeded already" in again.stderr
    assert "Traceback" not in again.stderr

    ok(havenwatch(second, "seed", "--scale", "small", "--seed", "7"))
    one, other = _seed_fingerprint(first), _seed_fingerprint(second)
    assert one["facilities"], "the seed made no facilities"
    assert one == other


def test_seed_refuses_an_unknown_scale(migrated_var):
    result = havenwatch(migrated_var, "seed", "--scale", "galactic")
    assert result.returncode != 0
    assert "invalid choice: 'galactic'" in result.stderr


# --- audit ------------------------------------------------------------------------------


def test_audit_verify_passes_on_an_intact_chain_and_names_a_tampered_record(demo_var):
    result = ok(havenwatch(demo_var, "audit", "verify"))
    assert "audit chain intact" in result.stdout

    # Someone with the database file gets past the append-only trigger and edits a record.
    with sqlite3.connect(demo_var / DB_FILE) as connection:
        connection.execute("DROP TRIGGER core_auditrecord_no_update")
        connection.execute("UPDATE core_auditrecord SET actor_label = 'nobody' WHERE sequence = 5")

    broken = havenwatch(demo_var, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at record #5" in broken.stderr


def test_audit_records_are_append_only_in_the_database_file(demo_var):
    with sqlite3.connect(demo_var / DB_FILE) as connection, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute("DELETE FROM core_auditrecord WHERE sequence = 1")


# --- users and tokens -------------------------------------------------------------------


def test_createuser_refuses_a_weak_password_with_the_validators_message(migrated_var):
    result = havenwatch(migrated_var, "createuser", "--username", "weakling", "--email", "w@example.org",
                        "--role", "auditor", "--password", "password")
    assert result.returncode == 1
    assert "This password is too short" in result.stderr
    assert "This password is too common" in result.stderr
    assert query(migrated_var, "SELECT count(*) FROM core_user WHERE username = 'weakling'")[0][0] == 0


def test_createuser_makes_the_first_platform_admin(migrated_var):
    result = ok(havenwatch(migrated_var, "createuser", "--username", "root-admin", "--email", "a@example.org",
                           "--role", "platform_admin", "--password", "Quay-crane-lighthouse-42"))
    assert "created root-admin" in result.stdout


def test_createuser_without_a_terminal_or_password_fails_cleanly(migrated_var):
    result = havenwatch(migrated_var, "createuser", "--username", "x", "--email", "x@example.org",
                        "--role", "auditor")
    assert result.returncode == 1
    assert "no password given" in result.stderr
    assert "Traceback" not in result.stderr
    assert query(migrated_var, "SELECT count(*) FROM core_user WHERE username = 'x'")[0][0] == 0


def _create_token(var_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    return havenwatch(var_dir, "createtoken", "--user", "pso", "--name", "gate integration", *extra)


def test_createtoken_refuses_an_unknown_permission(demo_var):
    result = _create_token(demo_var, "--permission", "core.fly_to_the_moon")
    assert result.returncode == 1
    assert "Unknown permission: core.fly_to_the_moon" in result.stderr


def test_createtoken_prints_the_token_once_and_stores_only_a_hash(demo_var):
    result = ok(_create_token(demo_var, "--permission", "core.view_events"))
    token = result.stdout.strip().splitlines()[-1]
    assert "shown once" in result.stdout
    assert len(token) >= 32 and " " not in token
    stored = query(demo_var, "SELECT * FROM core_apitoken")
    assert stored, "no token row was written"
    assert all(token not in str(value) for row in stored for value in row)


# --- the server -------------------------------------------------------------------------


def test_serve_answers_health_serves_assets_authenticates_tokens_and_stops_on_sigterm(demo_var):
    token = ok(_create_token(demo_var, "--permission", "core.view_events")).stdout.strip().splitlines()[-1]
    port = free_port()
    log = (demo_var.parent / "serve.log").open("w+")
    process = subprocess.Popen(
        [HAVENWATCH, "serve", "--port", str(port)], env=clean_env(demo_var), cwd=demo_var.parent,
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"

    def output() -> str:
        log.flush()
        log.seek(0)
        return log.read()

    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, f"havenwatch serve exited early:\n{output()}"
                try:
                    health = client.get("/api/v1/health")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, f"havenwatch serve never answered:\n{output()}"
                    time.sleep(0.2)
            assert health.status_code == 200
            assert health.json()["status"] == "ok"

            asset = client.get("/static/vendor/htmx/htmx.min.js")
            assert asset.status_code == 200
            assert "javascript" in asset.headers["content-type"]
            assert len(asset.content) > 10_000

            assert client.get("/api/v1/me").status_code == 401
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200, me.text
            acting = me.json()
            assert acting["token"] and token.startswith(f"hw_{acting['token']}_")  # acts as the token itself
            assert acting["organisation"] == query(
                demo_var, "SELECT o.name FROM core_organisation o JOIN core_membership m ON m.organisation_id = o.id "
                          "JOIN core_user u ON u.id = m.user_id WHERE u.username = 'pso'")[0][0]
            assert acting["permissions"] == ["core.view_events"]
            assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401

        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail(f"havenwatch serve did not stop within 20 s of SIGTERM:\n{output()}")
        text = output()
        assert code == 0, text
        assert "Traceback" not in text
        assert "havenwatch serving on" in text
        assert "havenwatch stopped" in text
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
