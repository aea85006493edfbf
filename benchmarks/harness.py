"""What every benchmark module gets from ``run.py``: the :class:`Context` and the :class:`Result`.

A benchmark module is ``benchmarks/bench_<name>.py`` with ``run(ctx) -> list[Result]``.
See the top of ``run.py`` and ``benchmarks/README.md``.
"""

from __future__ import annotations

import io
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console


@dataclass
class Result:
    """One measurement against one baseline, both taken in the same run on the same machine.

    ``value`` and ``baseline`` are in the same ``unit``. ``ratio`` is value / baseline, so
    for rates (records/s, req/s: ``higher_is_better``) a ratio of 0.5 means "half as fast
    as the baseline". ``detail`` and ``baseline_detail`` are short extra lines (latency
    percentiles, counts); ``note`` is the one-line interpretation shown in the table.
    """

    name: str
    value: float
    baseline: float
    unit: str
    baseline_name: str
    note: str = ""
    detail: str = ""
    baseline_detail: str = ""
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")

    @property
    def slowdown(self) -> float:
        """How many times slower than the baseline (1.0: as fast; 3.0: three times slower)."""
        r = self.ratio
        if not r:
            return float("inf")
        return 1 / r if self.higher_is_better else r


@dataclass
class Context:
    """What the runner hands each benchmark."""

    quick: bool
    var_dir: Path
    env: dict[str, str]
    console: Console
    root: Path

    # -- sizes ------------------------------------------------------------------
    def pick(self, normal, quick):
        """``normal`` for a full run, ``quick`` with ``--quick``."""
        return quick if self.quick else normal

    # -- output -----------------------------------------------------------------
    def log(self, message: str) -> None:
        self.console.print(f"[dim]  · {message}[/dim]")

    # -- the havenwatch command -----------------------------------------------------
    @property
    def havenwatch_bin(self) -> list[str]:
        """The ``havenwatch`` console command of this virtualenv (as a list for subprocess)."""
        candidate = Path(sys.executable).with_name("havenwatch")
        if candidate.exists():
            return [str(candidate)]
        return [sys.executable, "-m", "havenwatch"]

    def havenwatch(self, *args: str, timeout: float = 120) -> str:
        """Run ``havenwatch <args>`` as a subprocess with the benchmark environment; return stdout."""
        done = subprocess.run(
            [*self.havenwatch_bin, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
            cwd=self.var_dir,
        )
        if done.returncode != 0:
            raise RuntimeError(f"havenwatch {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
        return done.stdout

    def call(self, *args: str) -> str:
        """Run a management command in this process (Django is set up); return what it printed."""
        from django.core.management import call_command
        from django.db import connections

        out = io.StringIO()
        try:
            call_command(*args, stdout=out, stderr=out)
        finally:
            connections.close_all()
        return out.getvalue()

    def popen(self, *args: str, log_name: str) -> subprocess.Popen:
        """Start ``havenwatch <args>`` in the background, output to ``<var_dir>/<log_name>``."""
        with open(self.var_dir / log_name, "wb") as log:  # the child keeps its own copy
            return subprocess.Popen(
                [*self.havenwatch_bin, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, cwd=self.var_dir,
            )

    def log_tail(self, log_name: str, lines: int = 30) -> str:
        path = self.var_dir / log_name
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- small helpers ------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes (perf_counter)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) of samples, nearest-rank; nan when empty."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def fmt_rate(value: float, unit: str) -> str:
    if value != value:  # nan
        return "–"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:,.1f} {unit}"
