"""The port-scale instance the benchmarks share: one throwaway havenwatch instance of its own
(``<var dir>/port-<scale>``, SQLite), migrated and seeded with ``havenwatch seed --scale
<scale>`` once per run.

Seeding the port takes minutes (about 4 for the people, credentials and authorisations,
3 more for the million releases), so the first benchmark that asks for it pays, and a
marker file in the instance's directory tells the next one in the same run that the
database is ready. Benchmarks then write their own traffic into it (gate decisions,
pickups, releases); none of them needs a pristine port. The instance is not deleted
here: ``run.py`` deletes the whole throwaway var directory at the end of the run.

    instance = port(ctx, ctx.pick("port", "small"))
    data = instance.probe(PROBE, "decide", "2000")   # a probe script in the instance, one JSON line back
    server, base_url = instance.serve("bench-x-server.log")   # havenwatch serve on 127.0.0.1
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench_api import _stop, _wait_until_up
from harness import Context, free_port

MARKER = "seeded.json"  # written once the seed finished: the database is ready to share


class Instance:
    """A throwaway havenwatch instance of its own (the port-scale database)."""

    def __init__(self, ctx: Context, scale: str) -> None:
        self.ctx = ctx
        self.scale = scale
        self.dir = ctx.var_dir / f"port-{scale}"
        self.env = {**ctx.env, "HAVENWATCH_VAR_DIR": str(self.dir)}
        # The port always lives in SQLite: the goals are stated for it, and --database-url
        # names the small instance's (empty) database, not a second one.
        self.env.pop("HAVENWATCH_DATABASE_URL", None)

    @property
    def marker(self) -> Path:
        return self.dir / MARKER

    def run(self, *args: str, timeout: float = 120) -> str:
        """``havenwatch <args>`` on this instance; returns its output."""
        done = subprocess.run([*self.ctx.havenwatch_bin, *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"havenwatch {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def seed(self) -> None:
        """``havenwatch seed`` with its progress lines passed on every 10 % of a step."""
        started = time.perf_counter()
        process = subprocess.Popen([*self.ctx.havenwatch_bin, "seed", "--scale", self.scale], env=self.env,
                                   cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        shown: dict[str, int] = {}
        tail: list[str] = []
        for line in process.stdout:
            line = line.rstrip()
            tail = [*tail[-30:], line]
            step, _sep, numbers = line.rpartition(" ")
            done, _slash, total = numbers.partition("/")
            if done.isdigit() and total.isdigit() and int(total):
                decile = int(done) * 10 // int(total)
                if shown.get(step) != decile:
                    shown[step] = decile
                    self.ctx.log(f"seed {self.scale}: {line.strip()} ({time.perf_counter() - started:.0f} s)")
        if process.wait() != 0:
            raise RuntimeError("havenwatch seed failed:\n" + "\n".join(tail))
        self.ctx.log(f"seeded the port at scale {self.scale} in {time.perf_counter() - started:.0f} s")

    def probe(self, script: Path, *args: str, timeout: float = 900) -> dict:
        """Run ``script`` (a probe: Django set up on this instance) and return the JSON object it
        prints as its last line."""
        done = subprocess.run([sys.executable, str(script), *args],
                              env={**self.env, "PYTHONPATH": str(script.parent)},
                              capture_output=True, text=True, timeout=timeout, cwd=self.dir)
        if done.returncode != 0:
            raise RuntimeError(f"{script.stem} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def token(self, *, user: str, name: str, permissions: list[str], facility: str | None = None) -> str:
        """A new API token (``havenwatch createtoken``) of ``user``'s organisation."""
        args = ["createtoken", "--user", user, "--name", name]
        for permission in permissions:
            args += ["--permission", permission]
        if facility:
            args += ["--facility", facility]
        out = self.run(*args)
        tokens = [line.strip() for line in out.splitlines() if line.strip().startswith("hw_")]
        if len(tokens) != 1:
            raise RuntimeError(f"no token in createtoken's output:\n{out}")
        return tokens[0]

    def serve(self, log_name: str) -> tuple[subprocess.Popen, str]:
        """``havenwatch serve --no-worker`` on a free port of 127.0.0.1, up and answering.
        Returns the process (stop it with ``bench_api._stop`` in a ``finally``) and its URL."""
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with open(self.dir / log_name, "wb") as log:  # the child keeps its own copy
            server = subprocess.Popen(
                [*self.ctx.havenwatch_bin, "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)],
                env=self.env, cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            _wait_until_up(self.ctx, server, base_url, f"{self.dir.name}/{log_name}")
        except BaseException:
            _stop(server)
            raise
        return server, base_url


def port(ctx: Context, scale: str) -> Instance:
    """The run's instance at ``scale``: migrated and seeded by the first caller, reused after."""
    instance = Instance(ctx, scale)
    if instance.marker.exists():
        seeded = json.loads(instance.marker.read_text())
        ctx.log(f"reusing the {scale} port seeded earlier in this run ({seeded['seconds']:.0f} s of seeding)")
        return instance
    if instance.dir.exists():  # an earlier caller's seed failed half-way: start again
        ctx.log(f"the {scale} port was not seeded completely; seeding it again")
        shutil.rmtree(instance.dir)
    (instance.dir / "static").mkdir(parents=True)  # STATIC_ROOT; WhiteNoise warns when it is missing
    started = time.perf_counter()
    instance.run("migrate", "--verbosity", "0", timeout=600)
    instance.seed()
    instance.marker.write_text(json.dumps({"scale": scale, "seconds": time.perf_counter() - started}))
    return instance
