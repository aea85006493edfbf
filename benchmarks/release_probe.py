"""The in-process half of ``bench_release``: runs inside the port-scale instance (its own
HAVENWATCH_VAR_DIR, set by the caller) and prints one JSON object on stdout.

``python release_probe.py ready M``      make sure at least M releases are ready for pickup at the
                                         first terminal: the small demo has 6, so a quick run makes
                                         more through the services (issue, pass on to the haulier,
                                         assign the driver, confirm the discharge).
``python release_probe.py pickup N``     N pickup verifications through Django's test ``Client``
                                         (``POST /api/v1/release/pickups`` with a gate controller's
                                         token) against ``GET /api/v1/health``, interleaved; then
                                         ``pickup_decide`` called directly; latencies, queries per
                                         verification, granted count and the data's sizes.
``python release_probe.py sample``       what the HTTP phases need: the terminal, a forwarder, a gate
                                         token and the pickups still ready (the bodies to send).
``python release_probe.py attempts PK``  the pickup attempts stored after attempt PK, granted or by reason.
``python release_probe.py raw N``        the bulk import's baseline: the N releases it wrote (with
                                         their containers and offered rights) read back and inserted
                                         again with ``sqlite3``, ``executemany`` in one transaction,
                                         into tables of the same shape in a scratch database file.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
import sys
import time
from pathlib import Path

import django

BULK_OWNER = "BNCU"  # the bulk import's container numbers (bench_release.py)
TOP_UP_OWNER = "BNRU"  # ready releases a quick run adds
HEALTH = "/api/v1/health"
PICKUPS = "/api/v1/release/pickups"
WARMUP = 10  # pickups before the measured ones: caches, prepared plans


def _terminal():
    """The first terminal: where the port's ready releases are (``seed_population.py``)."""
    from havenwatch.core.models import Facility

    return Facility.objects.filter(is_active=True).select_related("operator", "port").order_by("pk").first()


def _fso(terminal):
    """A facility security officer of the terminal's operator (the demo's ``pfso`` if it is one)."""
    from havenwatch.core.choices import Role
    from havenwatch.core.models import Membership

    memberships = Membership.objects.filter(organisation=terminal.operator, role=Role.FACILITY_SECURITY_OFFICER,
                                            is_active=True).select_related("organisation", "user")
    return memberships.filter(user__username="pfso").first() or memberships.order_by("pk").first()


def _gate_token(terminal, name: str) -> str:
    """A gate controller's token: the terminal's FSO gives it ``release.pickup``, bound to the terminal."""
    from datetime import timedelta

    from havenwatch.core import clock
    from havenwatch.core.principal import principal_for_membership
    from havenwatch.core.services.tokens import token_create

    name = f"{name} {secrets.token_hex(3)}"  # a probe may run twice on one instance (e.g. to profile it)
    _token, raw = token_create(actor=principal_for_membership(_fso(terminal)), name=name,
                               permissions=["release.pickup"], expires_at=clock.now() + timedelta(days=1),
                               facility=terminal)
    return raw


def _ready(terminal) -> list[tuple[str, str, str]]:
    """(container number, driver's credential number, plate) of every release a pickup at
    ``terminal`` would grant now: active and in its window, discharged, no open customs hold,
    the right held by the haulier whose driver is assigned for a slot covering now. Oldest first."""
    from django.db.models import F

    from havenwatch.access.choices import CredentialState
    from havenwatch.core import clock
    from havenwatch.release.choices import AssignmentStatus, ReleaseStatus, RightStatus
    from havenwatch.release.models import CustomsHold, DriverAssignment

    now = clock.now()
    held = CustomsHold.objects.filter(released_at__isnull=True).values("container_id")
    return [tuple(row) for row in (
        DriverAssignment.objects.filter(
            status=AssignmentStatus.ACTIVE, slot_start__lte=now, slot_end__gt=now,
            release__status=ReleaseStatus.ACTIVE, release__valid_from__lte=now, release__valid_until__gt=now,
            release__container__terminal=terminal, release__container__discharged_at__isnull=False,
            release__rights__status=RightStatus.HELD, release__rights__holder_id=F("haulier_id"),
            credential__state=CredentialState.ACTIVE, credential__valid_from__lte=now,
            credential__valid_until__gt=now)
        .exclude(release__container_id__in=held)
        .order_by("release_id")
        .values_list("release__container__number", "credential__number", "plate"))]


# --- ready M ----------------------------------------------------------------------------


def ready(wanted: int) -> dict:
    """Top the ready releases up to ``wanted`` through the services, as the demo story makes its own."""
    from stdnum import iso6346

    from havenwatch.core import clock
    from havenwatch.core.models import Membership
    from havenwatch.release.models import Container
    from havenwatch.release.seed import Story, driver_of

    terminal = _terminal()
    have = len(_ready(terminal))
    made = 0
    started = time.perf_counter()
    if have < wanted:
        def org_of(username: str):
            membership = Membership.objects.filter(user__username=username, is_active=True).first()
            return membership.organisation if membership else None

        ctx = type("SeedContext", (), {})()
        ctx.rng = random.Random(4)
        ctx.organisations = {"shipping_line": org_of("agent"), "forwarder": org_of("forwarder"),
                             "transport_company": org_of("planner"), "customs": None}
        ctx.facilities = [terminal]
        story = Story(ctx, label="bench-release")
        serials = iter(range(Container.objects.filter(number__startswith=TOP_UP_OWNER).count(), 10**6))

        def number() -> str:
            base = f"{TOP_UP_OWNER}{next(serials):06d}"
            return base + iso6346.calc_check_digit(base)

        story.number = number
        credential, plate = driver_of(story.haulier_org)
        now = clock.now()
        for _ in range(wanted - have):
            story.prepared(now, credential, plate)
            made += 1
    return {"had": have, "made": made, "seconds": time.perf_counter() - started}


# --- pickup N ---------------------------------------------------------------------------


def _body(terminal_id: int, row: tuple[str, str, str]) -> dict:
    number, credential, plate = row
    return {"terminal_id": terminal_id, "container": number, "credential": credential, "plate": plate}


def pickup(n: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from havenwatch.core.principal import principal_for_membership
    from havenwatch.release.models import CommercialRelease, Container, DriverAssignment, ReleaseRight
    from havenwatch.release.services.pickups import pickup_decide

    terminal = _terminal()
    token = _gate_token(terminal, "bench pickup gate (in-process)")
    found = _ready(terminal)
    service_n = max(n // 4, 10)
    # Each release is presented once: the first WARMUP + n go through the Client, the next
    # service_n to pickup_decide directly; the rest are left for the HTTP phase. With fewer
    # ready (a quick run that could not make enough), the list wraps and the extra attempts
    # are refused as picked up already.
    rows = found or [("CSQU3054383", "", "")]
    client_rows = [rows[i % len(rows)] for i in range(WARMUP + n)]
    service_rows = [rows[(WARMUP + n + i) % len(rows)] for i in range(service_n)]
    client = Client()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def post(row) -> bool:
        response = client.post(PICKUPS, _body(terminal.pk, row), content_type="application/json", **bearer)
        if response.status_code != 200:
            raise RuntimeError(f"POST {PICKUPS} answered {response.status_code}: {response.content[:300]!r}")
        return response.json()["granted"]

    for row in client_rows[:WARMUP]:
        post(row)
    for _ in range(WARMUP):
        client.get(HEALTH)
    measured = client_rows[WARMUP:]
    chunk = max(1, n // 4)
    latencies, health_latencies, queries = [], [], []
    granted = done = 0
    seconds = health_seconds = 0.0
    # slices health, pickups, pickups, health, twice: n pickups and as many /health requests
    for kind in ("health", "pickup", "pickup", "health") * 2:
        started = time.perf_counter()
        if kind == "health":
            for _ in range(chunk):
                t0 = time.perf_counter()
                if client.get(HEALTH).status_code != 200:
                    raise RuntimeError(f"GET {HEALTH} failed")
                health_latencies.append(time.perf_counter() - t0)
            health_seconds += time.perf_counter() - started
            continue
        for row in measured[done:done + chunk]:
            t0 = time.perf_counter()
            if done % 25 == 0:  # count queries on a sample: capturing costs time of its own
                with CaptureQueriesContext(connection) as captured:
                    ok = post(row)
                queries.append(len(captured.captured_queries))
            else:
                ok = post(row)
            latencies.append(time.perf_counter() - t0)
            granted += ok
            done += 1
        seconds += time.perf_counter() - started

    membership = _fso(terminal)
    actor = principal_for_membership(membership)
    service_granted = 0
    started = time.perf_counter()
    for number, credential, plate in service_rows:
        attempt = pickup_decide(actor=actor, terminal=terminal, container_number=number,
                                credential_number=credential, plate=plate)
        service_granted += attempt.granted
    service_seconds = time.perf_counter() - started
    return {
        "n": done, "seconds": seconds, "latencies": latencies, "granted": granted,
        "health_n": len(health_latencies), "health_seconds": health_seconds, "health_latencies": health_latencies,
        "queries_min": min(queries), "queries_max": max(queries),
        "service_n": len(service_rows), "service_seconds": service_seconds, "service_granted": service_granted,
        "ready_before": len(found), "terminal": terminal.isps_number,
        "sizes": {"releases": CommercialRelease.objects.count(), "containers": Container.objects.count(),
                  "assignments": DriverAssignment.objects.count(), "rights": ReleaseRight.objects.count()},
    }


# --- sample, attempts ---------------------------------------------------------------------


def sample() -> dict:
    from havenwatch.core.choices import OrganisationKind
    from havenwatch.core.models import Membership, Organisation
    from havenwatch.release.models import PickupAttempt

    terminal = _terminal()
    forwarder = Membership.objects.filter(user__username="forwarder", is_active=True).first()
    forwarder_id = (forwarder.organisation_id if forwarder is not None else
                    Organisation.objects.filter(kind=OrganisationKind.FORWARDER, is_active=True).order_by("pk")[0].pk)
    last = PickupAttempt.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return {
        "terminal_id": terminal.pk, "terminal": terminal.isps_number, "forwarder_id": forwarder_id,
        "gate_token": _gate_token(terminal, "bench pickup gate (HTTP)"), "last_attempt": last,
        "pickups": [_body(terminal.pk, row) for row in _ready(terminal)],
    }


def attempts(after: int) -> dict:
    from havenwatch.release.models import PickupAttempt

    tally: dict[str, int] = {}
    for granted, reasons in PickupAttempt.objects.filter(pk__gt=after).values_list("granted", "reasons"):
        for reason in (["granted"] if granted else reasons):
            tally[reason] = tally.get(reason, 0) + 1
    return {"attempts": PickupAttempt.objects.filter(pk__gt=after).count(), "by_reason": tally}


# --- raw N --------------------------------------------------------------------------------

TABLES = ("release_container", "release_commercialrelease", "release_releaseright")


def raw(n: int) -> dict:
    """The floor for storing a bulk import: the rows it wrote, inserted with sqlite3 alone."""
    from django.conf import settings

    real = settings.DATABASES["default"]["NAME"]
    source = sqlite3.connect(real)
    marks = ",".join("?" * len(TABLES))
    # the tables and their indexes (unique, partial), as migrations made them
    ddl = [sql for (sql,) in source.execute(
        f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL "
        f"ORDER BY type = 'index', name", TABLES)]
    selects = {
        "release_container": "SELECT c.* FROM release_container c WHERE c.number LIKE ? ORDER BY c.id",
        "release_commercialrelease": "SELECT r.* FROM release_commercialrelease r JOIN release_container c "
                                     "ON c.id = r.container_id WHERE c.number LIKE ? ORDER BY r.id",
        "release_releaseright": "SELECT rr.* FROM release_releaseright rr JOIN release_commercialrelease r "
                                "ON r.id = rr.release_id JOIN release_container c ON c.id = r.container_id "
                                "WHERE c.number LIKE ? ORDER BY rr.id",
    }
    data = {}
    for table, select in selects.items():
        cursor = source.execute(select, (f"{BULK_OWNER}%",))
        data[table] = ([d[0] for d in cursor.description], cursor.fetchall())
    source.close()
    counts = {table: len(rows) for table, (_cols, rows) in data.items()}
    if counts["release_commercialrelease"] != n:
        raise RuntimeError(f"expected {n} imported releases, found {counts}")

    path = Path(real + ".raw-bulk")
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")  # as Django's connection (settings.py)
    db.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        db.execute(statement)
    started = time.perf_counter()
    db.execute("BEGIN")
    for table, (columns, rows) in data.items():
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    return {"n": n, "seconds": elapsed, "rows": counts}


def main() -> None:
    django.setup()
    command, *args = sys.argv[1:]
    if command == "ready":
        result = ready(int(args[0]))
    elif command == "pickup":
        result = pickup(int(args[0]))
    elif command == "sample":
        result = sample()
    elif command == "attempts":
        result = attempts(int(args[0]))
    elif command == "raw":
        result = raw(int(args[0]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
