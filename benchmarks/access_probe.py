"""The in-process half of ``bench_access``: runs inside the port-scale instance (its own
HAVENWATCH_VAR_DIR, set by the caller) and prints one JSON object on stdout.

``python access_probe.py sample``   what the HTTP phase needs: a gate token's facility,
                                    its access points and credentials to present there.
``python access_probe.py decide N`` N gate decisions through ``gate_decide`` (engine,
                                    access event, presence, audit record, domain event),
                                    with latencies, queries per decision and the baseline:
                                    raw SQLite inserts of the same access-event rows.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import time

import django


def _pairs(facility_ids: list[int] | None, limit: int, rng: random.Random) -> list[tuple[str, int, str]]:
    """(credential number, access point id, direction): active credentials enrolled at the point's
    facility, a tenth of them unknown numbers, so every branch of the engine is exercised."""
    from havenwatch.access.models import AccessPoint, FacilityEnrolment

    points = AccessPoint.objects.filter(requires_plate=False)
    enrolments = FacilityEnrolment.objects.filter(is_active=True, credential__state="active",
                                                  credential__visit__isnull=True)
    if facility_ids is not None:
        points = points.filter(zone__facility_id__in=facility_ids)
        enrolments = enrolments.filter(facility_id__in=facility_ids)
    by_facility: dict[int, list[int]] = {}
    for pk, facility_id in points.values_list("pk", "zone__facility_id"):
        by_facility.setdefault(facility_id, []).append(pk)
    rows = list(enrolments.filter(facility_id__in=list(by_facility)).order_by("?")
                .values_list("credential__number", "facility_id")[:limit])
    pairs = []
    for number, facility_id in rows:
        point = rng.choice(by_facility[facility_id])
        if rng.random() < 0.1:
            number = f"UNKNOWN-{rng.randrange(10**6):06d}"
        pairs.append((number, point, "in"))
        pairs.append((number, point, "out"))
    return pairs


def sample() -> dict:
    from havenwatch.core.models import Membership

    guard = Membership.objects.filter(user__username="guard", is_active=True).select_related("facility").first()
    facility = guard.facility
    pairs = _pairs([facility.pk], 3_000, random.Random(7))
    return {"facility": facility.isps_number, "pairs": pairs}


def _raw_insert_rate(rows: list[tuple]) -> float:
    """The baseline: the same access-event rows inserted with sqlite3, one commit per row
    (a decision commits on its own too), into a scratch table of the same shape."""
    from django.conf import settings

    path = settings.DATABASES["default"]["NAME"] + ".raw-baseline"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("DROP TABLE IF EXISTS ev")
    db.execute("CREATE TABLE ev (id INTEGER PRIMARY KEY, occurred_at TEXT, access_point_id INT, facility_id INT, "
               "direction TEXT, presented TEXT, plate TEXT, credential_id INT, person_id INT, granted BOOL, "
               "reasons TEXT, security_level INT, actor TEXT)")
    started = time.perf_counter()
    for row in rows:
        db.execute("BEGIN")
        db.execute("INSERT INTO ev (occurred_at, access_point_id, facility_id, direction, presented, plate, "
                   "credential_id, person_id, granted, reasons, security_level, actor) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return len(rows) / elapsed


def decide(n: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from havenwatch.access.models import AccessEvent, AccessPoint, Authorisation, Credential, Person
    from havenwatch.access.services.gate import gate_decide
    from havenwatch.core.principal import system_principal

    rng = random.Random(11)
    pairs = _pairs(None, max(n, 200), rng)
    rng.shuffle(pairs)
    points = {p.pk: p for p in AccessPoint.objects.filter(pk__in={pt for _n, pt, _d in pairs})}
    actor = system_principal("bench-gate")
    for number, point, direction in pairs[:50]:  # warm-up: caches, prepared plans
        gate_decide(actor=actor, access_point=points[point], credential_number=number, direction=direction)
    latencies, queries, granted = [], [], 0
    started = time.perf_counter()
    for i in range(n):
        number, point, direction = pairs[i % len(pairs)]
        t0 = time.perf_counter()
        if i % 25 == 0:  # count queries on a sample: capturing costs time of its own
            with CaptureQueriesContext(connection) as captured:
                event = gate_decide(actor=actor, access_point=points[point], credential_number=number,
                                    direction=direction)
            queries.append(len(captured.captured_queries))
        else:
            event = gate_decide(actor=actor, access_point=points[point], credential_number=number,
                                direction=direction)
        latencies.append(time.perf_counter() - t0)
        granted += event.granted
    elapsed = time.perf_counter() - started
    events = list(AccessEvent.objects.order_by("-pk").values_list(
        "occurred_at", "access_point_id", "facility_id", "direction", "presented", "plate", "credential_id",
        "person_id", "granted", "reasons", "security_level", "actor")[:n])
    rows = [(str(r[0]), *r[1:9], json.dumps(r[9]), *r[10:]) for r in events]
    return {
        "n": n, "seconds": elapsed, "latencies": latencies, "granted": granted,
        "queries_min": min(queries), "queries_max": max(queries),
        "baseline_rate": _raw_insert_rate(rows),
        "sizes": {"people": Person.objects.count(), "credentials": Credential.objects.count(),
                  "authorisations": Authorisation.objects.count(), "access_points": AccessPoint.objects.count()},
    }


def main() -> None:
    django.setup()
    command = sys.argv[1]
    result = sample() if command == "sample" else decide(int(sys.argv[2]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
