"""The API's cost of authentication: ``GET /api/v1/me`` (Bearer token) vs ``GET /api/v1/health``.

Starts ``havenwatch serve --no-worker`` on a free port of 127.0.0.1 and drives it with a
pure-Python load generator (httpx, asyncio, keep-alive connections): the same concurrency
and the same time for both endpoints, in slices ordered a, b, b, a, a, b, b, a so a drift of the
machine's speed during the run falls equally on both. ``/health`` is the framework's own
trivial endpoint (no auth, no database), so it is the baseline: the ratio says what
share of the server's throughput is left once a request is authenticated by token and
turned into a principal. The client runs on the same (2-core) machine and competes with
the server for CPU; it does so equally in both phases, so the ratio cancels it while
the absolute req/s understate what the server alone could do.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from harness import Context, Result, free_port, percentile

CONCURRENCY = 8
HEALTH = "/api/v1/health"
ME = "/api/v1/me"


class Phase:
    """Requests, latencies and errors of one endpoint, summed over its slices."""

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.seconds = 0.0
        self.latencies: list[float] = []

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else float("nan")

    def detail(self) -> str:
        p50 = percentile(self.latencies, 50) * 1000
        p99 = percentile(self.latencies, 99) * 1000
        text = f"p50 {p50:.1f} · p99 {p99:.1f} ms"
        if self.errors:
            text += f" · {self.errors} errors"
        return text


async def _slice(client: httpx.AsyncClient, path: str, headers: dict, seconds: float, into: Phase | None) -> None:
    """``CONCURRENCY`` clients requesting ``path`` back to back for ``seconds``."""
    deadline = time.perf_counter() + seconds

    async def worker() -> tuple[int, int, list[float]]:
        done = errors = 0
        lat: list[float] = []
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                return done, errors, lat
            try:
                response = await client.get(path, headers=headers)
                ok = response.status_code == 200
            except httpx.HTTPError:
                ok = False
            t1 = time.perf_counter()
            if ok:
                done += 1
                lat.append(t1 - t0)
            else:
                errors += 1

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - started
    if into is not None:
        into.seconds += elapsed
        for done, errors, lat in outcomes:
            into.count += done
            into.errors += errors
            into.latencies.extend(lat)


async def _drive(base_url: str, token: str, *, warmup: float, slice_seconds: float) -> tuple[Phase, Phase]:
    plain: dict[str, str] = {}
    bearer = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        me = await client.get(ME, headers=bearer)
        if me.status_code != 200 or me.json().get("token") is None:
            raise RuntimeError(f"GET {ME} with the token answered {me.status_code}: {me.text[:300]}")
        health, authed = Phase(), Phase()
        order = [(HEALTH, plain, health), (ME, bearer, authed), (ME, bearer, authed), (HEALTH, plain, health)]
        await _slice(client, HEALTH, plain, warmup, None)
        await _slice(client, ME, bearer, warmup, None)
        for path, headers, phase in order * 2:
            await _slice(client, path, headers, slice_seconds, phase)
    return health, authed


def _wait_until_up(ctx: Context, server, base_url: str, log_name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}:\n{ctx.log_tail(log_name)}")
        try:
            if httpx.get(base_url + HEALTH, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {HEALTH} within {timeout:.0f} s:\n{ctx.log_tail(log_name)}")


def _stop(server) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=10)
        except Exception:
            server.kill()
            server.wait(timeout=10)


def create_token(ctx: Context) -> str:
    out = ctx.call("createtoken", "--user", "pso", "--name", "bench", "--permission", "core.view_organisation")
    # "token bench for <organisation> (shown once, keep it now):" then the token on its own line.
    tokens = [line.strip() for line in out.splitlines() if line.strip().startswith("hw_")]
    if len(tokens) != 1:
        raise RuntimeError(f"could not find the token in createtoken's output:\n{out}")
    return tokens[0]


def _in_process(token: str, *, warmup: float, slice_seconds: float) -> tuple[Phase, Phase]:
    """The same comparison through Django's test Client: no HTTP, no ASGI, one thread."""
    from django.test import Client

    client = Client()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def slice_(path: str, headers: dict, seconds: float, into: Phase | None) -> None:
        started = time.perf_counter()
        deadline = started + seconds
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                break
            ok = client.get(path, **headers).status_code == 200
            if into is not None:
                if ok:
                    into.count += 1
                    into.latencies.append(time.perf_counter() - t0)
                else:
                    into.errors += 1
        if into is not None:
            into.seconds += time.perf_counter() - started

    health, authed = Phase(), Phase()
    slice_(HEALTH, {}, warmup / 2, None)
    slice_(ME, bearer, warmup / 2, None)
    order = [(HEALTH, {}, health), (ME, bearer, authed), (ME, bearer, authed), (HEALTH, {}, health)]
    for path, headers, phase in order * 2:
        slice_(path, headers, slice_seconds, phase)
    return health, authed


def _verdict(ratio: float) -> str:
    if ratio >= 0.7:
        return "authentication is cheap next to the rest of a request"
    if ratio >= 0.4:
        return "authentication costs about as much as the rest of the request"
    return "authentication dominates: look at token lookup and principal building"


def run(ctx: Context) -> list[Result]:
    measure = ctx.pick(5.0, 1.0)  # seconds per endpoint, in two slices
    warmup = ctx.pick(2.0, 0.5)
    token = create_token(ctx)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_name = "bench-api-server.log"
    server = ctx.popen("serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port), log_name=log_name)
    try:
        _wait_until_up(ctx, server, base_url, log_name)
        ctx.log(f"server up on {base_url}; {CONCURRENCY} clients, {warmup:g} s warm-up and "
                f"{measure:g} s measured per endpoint (slices: health, me, me, health, twice)")
        health, authed = asyncio.run(_drive(base_url, token, warmup=warmup, slice_seconds=measure / 4))
    finally:
        _stop(server)
    if health.errors or authed.errors:
        ctx.log(f"errors: health {health.errors}, me {authed.errors}; server log:\n{ctx.log_tail(log_name)}")
    ratio = authed.rate / health.rate if health.rate else float("nan")
    ctx.log("the same through Django's test Client, in this process (no HTTP server, no ASGI)")
    in_health, in_authed = _in_process(token, warmup=warmup, slice_seconds=measure / 4)
    in_ratio = in_authed.rate / in_health.rate if in_health.rate else float("nan")
    return [
        Result(
            name=f"api: GET /me (Bearer), {CONCURRENCY} clients",
            value=authed.rate, baseline=health.rate, unit="req/s",
            baseline_name="GET /health (no auth)",
            detail=authed.detail(), baseline_detail=health.detail(),
            note=f"over HTTP, a token-authenticated request keeps {ratio:.0%} of the trivial one's throughput; "
                 f"{_verdict(ratio)}",
        ),
        Result(
            name="api: GET /me (Bearer), in-process",
            value=in_authed.rate, baseline=in_health.rate, unit="req/s",
            baseline_name="GET /health, in-process",
            detail=in_authed.detail(), baseline_detail=in_health.detail(),
            note=(f"Django alone (test Client, one thread): {in_ratio:.0%}; without the server's and "
                  f"ASGI's fixed cost per request, what authentication costs shows plainly"),
        ),
    ]
