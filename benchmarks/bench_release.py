"""Container releases at the port scale (issue 4's goals): a million releases of history
(``havenwatch seed --scale port``: 20,000 of them ready for pickup at the first terminal).

The port is the throwaway SQLite instance ``port_instance.py`` seeds once per run (shared
with ``bench_access``). Then, all in this one run:

1. **Bulk import over HTTP**: a shipping agent's token (``createtoken --user agent
   --permission release.issue``) sends 100,000 new releases to ``POST
   /api/v1/release/releases/bulk``, 10 requests of 10,000 rows, one after the other, to
   ``havenwatch serve`` on 127.0.0.1. Goal: under 60 s. Baseline (``release_probe.py raw``):
   the rows it wrote (a container, a release and an offered right per release) read back
   and inserted again with ``sqlite3`` alone, ``executemany`` in one transaction, into
   tables of the same shape (and indexes) in a scratch database file. The ratio is what
   validation, the API, the ORM, the audit records and the events cost over storing the rows.
2. **Pickup verifications in-process** (``release_probe.py pickup``): Django's test
   ``Client`` POSTing ``/api/v1/release/pickups`` with a gate controller's token over
   the ready releases (each presented once, so each is granted), interleaved with the same
   Client's ``GET /api/v1/health``. Goal: a ratio ≥ 0.5. Also ``pickup_decide`` alone.
3. **Pickup verifications over HTTP**: 16 clients back to back, ``POST /pickups`` vs ``GET
   /health`` in interleaved slices (``bench_access``'s load loop), over the ready releases
   the in-process phase left. Goal: a ratio ≥ 0.5.

``--quick`` uses the small demo port (6 ready releases; the probe makes more through the
services) and small counts: a smoke run, the numbers mean little.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from bench_access import CLIENTS, HEALTH, _closed_loop
from bench_api import Phase, _stop
from harness import Context, Result, percentile
from port_instance import port
from stdnum import iso6346

PROBE = Path(__file__).with_name("release_probe.py")
BULK = "/api/v1/release/releases/bulk"
PICKUPS = "/api/v1/release/pickups"
OWNER = "BNCU"  # the bulk import's container numbers: nobody else's (release_probe.BULK_OWNER)
GOAL_BULK_SECONDS = 60.0  # for 100,000 releases
GOAL_RATIO = 0.5


def _bulk_bodies(terminal_id: int, first_party_id: int, requests: int, rows: int) -> list[bytes]:
    """``requests`` request bodies of ``rows`` new releases each (valid, unused numbers), compact JSON."""
    now = datetime.now(UTC).replace(microsecond=0)
    valid_from, valid_until = (now - timedelta(hours=1)).isoformat(), (now + timedelta(days=30)).isoformat()
    bodies = []
    for r in range(requests):
        releases = []
        for serial in range(r * rows, (r + 1) * rows):
            base = f"{OWNER}{serial:06d}"
            releases.append({"container_number": base + iso6346.calc_check_digit(base), "terminal_id": terminal_id,
                             "bill_of_lading": f"BNCH{serial:08d}", "first_party_id": first_party_id,
                             "valid_from": valid_from, "valid_until": valid_until})
        bodies.append(json.dumps({"releases": releases}, separators=(",", ":")).encode())
    return bodies


def _bulk_import(base_url: str, token: str, bodies: list[bytes], rows: int) -> list[float]:
    """Send the bodies one after the other (one client); seconds per request."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    seconds = []
    with httpx.Client(base_url=base_url, timeout=600) as client:
        for body in bodies:
            t0 = time.perf_counter()
            response = client.post(BULK, content=body, headers=headers)
            seconds.append(time.perf_counter() - t0)
            if response.status_code != 201 or response.json().get("count") != rows:
                raise RuntimeError(f"POST {BULK} answered {response.status_code}: {response.text[:500]}")
    return seconds


class _EachOnce:
    """The pickup bodies for ``_closed_loop``: handed out in order across all its calls (warm-up
    and slices), so each ready release is presented once while they last, then again from
    the first (refused: picked up already)."""

    def __init__(self, bodies: list[dict]) -> None:
        self.bodies = bodies
        self.handed = 0

    def __len__(self) -> int:
        return len(self.bodies)

    def __getitem__(self, _index: int) -> dict:
        body = self.bodies[self.handed % len(self.bodies)]
        self.handed += 1
        return body


async def _drive_pickups(base_url, token, bodies, *, warmup, slice_seconds) -> tuple[Phase, Phase]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    each_once = _EachOnce(bodies)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        first = await client.post(PICKUPS, json=each_once[0], headers=headers)
        if first.status_code != 200:
            raise RuntimeError(f"POST {PICKUPS} answered {first.status_code}: {first.text[:300]}")
        health, pickups = Phase(), Phase()
        await _closed_loop(client, HEALTH, warmup, None)
        await _closed_loop(client, PICKUPS, warmup, None, bodies=each_once, headers=headers)
        order = [(HEALTH, health), (PICKUPS, pickups), (PICKUPS, pickups), (HEALTH, health)]
        for path, phase in order * 2:
            if path == HEALTH:
                await _closed_loop(client, HEALTH, slice_seconds, phase)
            else:
                await _closed_loop(client, PICKUPS, slice_seconds, phase, bodies=each_once, headers=headers)
    return health, pickups


def _goal(ratio: float) -> str:
    return f"meets the goal of ≥ {GOAL_RATIO:.0%}" if ratio >= GOAL_RATIO else f"misses the goal of ≥ {GOAL_RATIO:.0%}"


def run(ctx: Context) -> list[Result]:
    scale = ctx.pick("port", "small")
    instance = port(ctx, scale)  # seeded once per run; run.py deletes the var directory at the end
    n = ctx.pick(2_000, 200)
    requests, rows = ctx.pick((10, 10_000), (2, 1_000))
    if ctx.quick:  # the small demo has 6 ready releases: make enough for both phases
        made = instance.probe(PROBE, "ready", str(n + n // 4 + 150))
        ctx.log(f"ready releases: {made['had']} seeded, {made['made']} made through the services in "
                f"{made['seconds']:.0f} s")

    ctx.log(f"in-process: {n} pickup verifications (test Client) interleaved with as many GET /health, "
            f"then pickup_decide alone")
    inproc = instance.probe(PROBE, "pickup", str(n))
    sizes = inproc["sizes"]
    ctx.log("sizes: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
            + f"; {inproc['ready_before']:,} ready at {inproc['terminal']}")

    sample = instance.probe(PROBE, "sample")
    pickup_bodies = sample["pickups"]
    if not pickup_bodies:  # none left (not expected): an unknown container, refused, so the run goes on
        pickup_bodies = [{"terminal_id": sample["terminal_id"], "container": "CSQU3054383"}]
    agent_token = instance.token(user="agent", name="bench bulk import", permissions=["release.issue"])
    bulk_bodies = _bulk_bodies(sample["terminal_id"], sample["forwarder_id"], requests, rows)
    megabytes = max(len(b) for b in bulk_bodies) / 1e6

    server, base_url = instance.serve("bench-release-server.log")
    try:
        measure, warmup = ctx.pick(8.0, 1.0), ctx.pick(2.0, 0.5)
        ctx.log(f"HTTP: {CLIENTS} clients, {len(pickup_bodies):,} ready releases left to present at "
                f"{sample['terminal']}; {measure:g} s per endpoint in slices")
        health, pickups = asyncio.run(_drive_pickups(base_url, sample["gate_token"], pickup_bodies,
                                                     warmup=warmup, slice_seconds=measure / 4))
        ctx.log(f"bulk import: {requests} requests of {rows:,} releases ({megabytes:.1f} MB each), one client")
        per_request = _bulk_import(base_url, agent_token, bulk_bodies, rows)
    finally:
        _stop(server)
    tally = instance.probe(PROBE, "attempts", str(sample["last_attempt"]))
    ctx.log(f"HTTP pickup attempts stored: {tally['attempts']:,} "
            f"({', '.join(f'{v:,} {k}' for k, v in sorted(tally['by_reason'].items()))})")
    total = requests * rows
    ctx.log(f"raw baseline: the {total:,} imported releases inserted again with sqlite3")
    raw = instance.probe(PROBE, "raw", str(total))

    # 1. bulk import
    bulk_seconds = sum(per_request)
    bulk_rate = total / bulk_seconds
    raw_rate = raw["n"] / raw["seconds"]
    scaled = bulk_seconds * 100_000 / total
    met = scaled < GOAL_BULK_SECONDS
    # 2. in-process
    lat = inproc["latencies"]
    in_rate = inproc["n"] / inproc["seconds"]
    in_health = inproc["health_n"] / inproc["health_seconds"]
    in_ratio = in_rate / in_health
    service_rate = inproc["service_n"] / inproc["service_seconds"]
    queries = (f"{inproc['queries_min']}" if inproc["queries_min"] == inproc["queries_max"]
               else f"{inproc['queries_min']}–{inproc['queries_max']}")
    where = f"{sizes['releases']:,} releases, {sizes['containers']:,} containers, {sizes['assignments']:,} assignments"
    # 3. HTTP
    http_ratio = pickups.rate / health.rate if health.rate else float("nan")
    granted_http = tally["by_reason"].get("granted", 0)
    refused_http = tally["attempts"] - granted_http
    why = ("SQLite takes one writer at a time, and a verification writes the attempt, the release, the "
           "assignment, an audit record and an event")
    if refused_http:
        ran_out = (f"{refused_http:,} refused: once the ready releases run out a pickup is refused as picked up "
                   f"already, which skips the lights, chain and driver checks and the updates")
    else:
        ran_out = "each ready release presented once, all granted"
    return [
        Result(
            name=f"release: bulk import over HTTP ({total:,} releases)",
            value=bulk_rate, baseline=raw_rate, unit="releases/s",
            baseline_name="raw sqlite3 executemany of the same rows, one transaction",
            detail=(f"{bulk_seconds:.1f} s for {total:,}"
                    + ("" if total == 100_000 else f"\n({scaled:.0f} s per 100,000)")
                    + f"\n{requests} × {rows:,} rows, {megabytes:.1f} MB\nslowest request {max(per_request):.1f} s"
                    + f"\ngoal < {GOAL_BULK_SECONDS:.0f} s: {'met' if met else 'MISSED'}"),
            baseline_detail=f"{raw['seconds']:.2f} s for {raw['n']:,}\ncontainer, release, right",
            note=(f"{scaled:.0f} s per 100,000 ({'meets' if met else 'misses'} the goal of < 60 s). The price of "
                  f"checking each row, JSON in and out, the ORM and three audit records and events per release "
                  f"over storing the bare rows"),
        ),
        Result(
            name=f"release: pickup verifications in-process ({scale})",
            value=in_rate, baseline=in_health, unit="req/s",
            baseline_name="GET /health, in-process (test Client)",
            detail=(f"p50 {percentile(lat, 50) * 1000:.1f} · p99 {percentile(lat, 99) * 1000:.1f} ms\n"
                    f"{queries} queries each\n{inproc['granted']:,}/{inproc['n']:,} granted\n"
                    f"pickup_decide alone {service_rate:.0f}/s"),
            baseline_detail=(f"p50 {percentile(inproc['health_latencies'], 50) * 1000:.2f} · "
                             f"p99 {percentile(inproc['health_latencies'], 99) * 1000:.2f} ms"),
            note=(f"{in_ratio:.0%} of the trivial request's rate ({_goal(in_ratio)}), at {where}. "
                  f"One client, no server: what is left is the verification's own work, {queries} queries (their "
                  f"building in the ORM more than SQL) and its writes: the attempt, the release, the assignment, "
                  f"an audit record and an event"),
        ),
        Result(
            name=f"release: POST /pickups over HTTP, {CLIENTS} clients",
            value=pickups.rate, baseline=health.rate, unit="req/s",
            baseline_name="GET /health (the framework's trivial endpoint)",
            detail=(pickups.detail().replace(" · p99", "\np99")
                    + f"\n{granted_http:,}/{tally['attempts']:,} granted\n(with the warm-up)"),
            baseline_detail=health.detail().replace(" · p99", "\np99"),
            note=f"{http_ratio:.0%} of the trivial endpoint's throughput ({_goal(http_ratio)}); {why}; {ran_out}",
        ),
    ]
