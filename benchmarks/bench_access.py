"""Gate decisions at the ``port`` scale: 150,000 people, 200,000 credentials, 300 facilities,
2,000 access points and 1,000,000 authorisation rows (``havenwatch seed --scale port``).

The port gets its own throwaway SQLite instance (``port_instance.py``: seeding it takes a
few minutes, the progress is shown; seeded once per run and shared with ``bench_release``).
Then, all in this one run:

1. **In-process** (``access_probe.py decide``, in a subprocess on the port's database):
   ``gate_decide`` back to back, the whole act (engine, access event, presence, audit
   record, domain event, commit) vs the baseline, raw ``sqlite3`` inserts of the same
   access-event rows with a commit each. Prints decisions/s, p50/p99 and the number of
   queries per decision (constant whatever the data size; a test guards it).
2. **Over HTTP**, ``havenwatch serve`` on 127.0.0.1 with a gate controller's token bound to
   the demo guard's facility: ``POST /api/v1/access/decisions`` vs ``GET /api/v1/health``,
   16 clients back to back (throughput ratio; goal ≥ 0.5).
3. **Latency at 16 gates**: 16 clients that each present a badge at a steady pace (a busy
   gate, far above real turnstile traffic), p99 of the decision's round trip (goal ≤ 20 ms).
   Back-to-back clients would measure queueing, not the decision: with 16 requests always
   waiting, any server's latency is 16 / throughput.

``--quick`` uses the small demo port instead (a smoke run: the numbers mean little).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from bench_api import Phase, _stop
from harness import Context, Result, percentile
from port_instance import port

CLIENTS = 16
HEALTH = "/api/v1/health"
DECIDE = "/api/v1/access/decisions"
PROBE = Path(__file__).with_name("access_probe.py")
PACED_RATE = 1.0  # decisions per second per gate in the latency phase: a turnstile at shift change


async def _closed_loop(client, path, seconds, into: Phase | None, *, bodies=None, headers=None) -> None:
    """``CLIENTS`` clients back to back for ``seconds``."""
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker():
        done = errors = 0
        lat: list[float] = []
        while (t0 := time.perf_counter()) < deadline:
            try:
                if bodies is None:
                    response = await client.get(path)
                else:
                    response = await client.post(path, json=bodies[next(counter) % len(bodies)], headers=headers)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                done += 1
                lat.append(time.perf_counter() - t0)
            else:
                errors += 1
        return done, errors, lat

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    if into is not None:
        into.seconds += time.perf_counter() - started
        for done, errors, lat in outcomes:
            into.count += done
            into.errors += errors
            into.latencies.extend(lat)


async def _paced(client, seconds: float, bodies, headers) -> Phase:
    """``CLIENTS`` gates, each sending one decision every 1/PACED_RATE s (staggered starts)."""
    phase = Phase()
    interval = 1 / PACED_RATE
    counter = iter(range(10**9))

    async def gate(offset: float):
        await asyncio.sleep(offset)
        next_at = time.perf_counter()
        end = next_at + seconds
        while next_at < end:
            t0 = time.perf_counter()
            try:
                response = await client.post(DECIDE, json=bodies[next(counter) % len(bodies)], headers=headers)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                phase.count += 1
                phase.latencies.append(time.perf_counter() - t0)
            else:
                phase.errors += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    started = time.perf_counter()
    await asyncio.gather(*(gate(i * interval / CLIENTS) for i in range(CLIENTS)))
    phase.seconds = time.perf_counter() - started
    return phase


async def _drive(base_url, token, bodies, *, warmup, slice_seconds, paced_seconds):
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        first = await client.post(DECIDE, json=bodies[0], headers=headers)
        if first.status_code != 200:
            raise RuntimeError(f"POST {DECIDE} answered {first.status_code}: {first.text[:300]}")
        health, decisions = Phase(), Phase()
        await _closed_loop(client, HEALTH, warmup, None)
        await _closed_loop(client, DECIDE, warmup, None, bodies=bodies, headers=headers)
        order = [(HEALTH, health), (DECIDE, decisions), (DECIDE, decisions), (HEALTH, health)]
        for path, phase in order * 2:
            if path == HEALTH:
                await _closed_loop(client, HEALTH, slice_seconds, phase)
            else:
                await _closed_loop(client, DECIDE, slice_seconds, phase, bodies=bodies, headers=headers)
        paced = await _paced(client, paced_seconds, bodies, headers)
    return health, decisions, paced


def run(ctx: Context) -> list[Result]:
    scale = ctx.pick("port", "small")
    # Seeded once per run and shared with the other port benchmarks (bench_release); not
    # deleted here: run.py deletes the whole throwaway var directory (the port's database
    # is about 1.4 GB) at the end of the run.
    instance = port(ctx, scale)
    n = ctx.pick(2_000, 200)
    ctx.log(f"in-process: {n} gate decisions back to back, then the raw-insert baseline")
    inproc = instance.probe(PROBE, "decide", str(n))
    sizes = inproc["sizes"]
    ctx.log("sizes: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sizes.items()))
    sample = instance.probe(PROBE, "sample")
    bodies = [{"access_point_id": point, "credential": number, "direction": direction}
              for number, point, direction in sample["pairs"]]
    token = instance.token(user="pfso", name="bench gate controller", permissions=["access.decide"],
                           facility=sample["facility"])
    server, base_url = instance.serve("bench-access-server.log")
    try:
        measure, warmup, paced_seconds = ctx.pick(8.0, 1.0), ctx.pick(2.0, 0.5), ctx.pick(30.0, 2.0)
        ctx.log(f"HTTP: {CLIENTS} clients, {len(bodies)} badges at {sample['facility']}; {measure:g} s per "
                f"endpoint in slices, then {CLIENTS} gates at {PACED_RATE:g} decisions/s each for "
                f"{paced_seconds:g} s")
        health, decisions, paced = asyncio.run(
            _drive(base_url, token, bodies, warmup=warmup, slice_seconds=measure / 4, paced_seconds=paced_seconds))
    finally:
        _stop(server)

    lat = inproc["latencies"]
    in_rate = inproc["n"] / inproc["seconds"]
    queries = (f"{inproc['queries_min']}" if inproc["queries_min"] == inproc["queries_max"]
               else f"{inproc['queries_min']}–{inproc['queries_max']}")
    ratio = decisions.rate / health.rate if health.rate else float("nan")
    p99_paced = percentile(paced.latencies, 99) * 1000
    where = f"{sizes['people']:,} people, {sizes['authorisations']:,} authorisations"
    return [
        Result(
            name=f"access: gate_decide in-process ({scale})",
            value=in_rate, baseline=inproc["baseline_rate"], unit="decisions/s",
            baseline_name="raw sqlite3 insert of the access event, one commit each",
            detail=(f"p50 {percentile(lat, 50) * 1000:.1f} · p99 {percentile(lat, 99) * 1000:.1f} ms · "
                    f"{queries} queries · {inproc['granted']}/{inproc['n']} granted"),
            note=(f"at {where}: the engine's fresh checks, the event, presence, audit record and domain event; "
                  f"the queries per decision do not grow with the data"),
        ),
        Result(
            name=f"access: POST /access/decisions over HTTP, {CLIENTS} clients",
            value=decisions.rate, baseline=health.rate, unit="req/s",
            baseline_name="GET /health (the framework's trivial endpoint)",
            detail=decisions.detail(), baseline_detail=health.detail(),
            note=(f"a decision keeps {ratio:.0%} of the trivial endpoint's throughput (goal ≥ 50 %); "
                  f"SQLite takes one writer at a time"),
        ),
        Result(
            name=f"access: decision latency, {CLIENTS} gates at {PACED_RATE:g}/s each",
            value=p99_paced, baseline=20.0, unit="ms", baseline_name="the goal: p99 ≤ 20 ms",
            higher_is_better=False,
            detail=f"p50 {percentile(paced.latencies, 50) * 1000:.1f} ms · {paced.count} decisions"
                   + (f" · {paced.errors} errors" if paced.errors else ""),
            note=(f"p99 of a decision's round trip with {CLIENTS} gates busy at once "
                  f"({'meets' if p99_paced <= 20 else 'misses'} the goal)"),
        ),
    ]
