"""Run havenwatch's benchmarks: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).

    benchmarks/run.py              every benchmark, full size
    benchmarks/run.py --quick      a fast smoke run (smaller N, 1 s load phases)
    benchmarks/run.py --only api   only bench_api.py (repeat --only for several)
    benchmarks/run.py --list       list the benchmarks and exit

Each benchmark prints a measured value next to a baseline taken in the same run on the
same machine, and their ratio: absolute numbers depend on the machine, ratios much less.
Everything runs against a throwaway instance: a fresh HAVENWATCH_VAR_DIR in a temporary
directory (demo profile, SQLite), migrated and seeded with the small demo port, deleted
at the end. Network traffic goes only to 127.0.0.1.

Adding a benchmark (an app's, e.g. access decisions or AIS decoding)
-------------------------------------------------------------------
Create ``benchmarks/bench_<name>.py`` with a function ``run(ctx) -> list[Result]``:

    from harness import Context, Result

    def run(ctx: Context) -> list[Result]:
        n = ctx.pick(20_000, 2_000)          # full size, --quick size
        ...                                  # Django is set up; the demo port is seeded
        return [Result(name="ais: decode", value=ours, baseline=pyais_alone, unit="msg/s",
                       baseline_name="pyais alone", note="…one line on how to read it…")]

The runner finds it by its file name (no registry to edit), runs it after the others in
alphabetical order, and prints its results in the table. ``ctx`` gives ``quick``,
``pick()``, ``var_dir``, ``env`` (for subprocesses), ``havenwatch(...)`` (the command as
a subprocess), ``call(...)`` (a management command in-process) and ``log()``; see
``benchmarks/harness.py``. Keep it bounded (a fixed count or a fixed time), stopping by
itself, and talking only to 127.0.0.1. Benchmark modules must not touch the database of
anything but the throwaway instance.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from harness import Context, Result  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402


def discover() -> dict[str, Path]:
    """``{"api": benchmarks/bench_api.py, ...}``, sorted by name."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    if not callable(getattr(module, "run", None)):
        raise TypeError(f"{path.name} has no run(ctx) function")
    return module


def prepare_environment(var_dir: Path, database_url: str | None) -> dict[str, str]:
    """The throwaway instance's environment, for this process and for subprocesses."""
    os.environ["HAVENWATCH_PROFILE"] = "demo"
    os.environ["HAVENWATCH_VAR_DIR"] = str(var_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "havenwatch.settings"
    os.environ["HAVENWATCH_LOG_LEVEL"] = "WARNING"
    for key in ("HAVENWATCH_DEBUG", "HAVENWATCH_SIGNING_KEY_FILE", "HAVENWATCH_SSL_REDIRECT", "HAVENWATCH_REDIS_URL"):
        os.environ.pop(key, None)
    # Never seed into a database someone set for something else: only --database-url counts.
    if database_url:
        os.environ["HAVENWATCH_DATABASE_URL"] = database_url
    else:
        os.environ.pop("HAVENWATCH_DATABASE_URL", None)
    return dict(os.environ)


def set_up_instance(ctx: Context) -> None:
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    ctx.call("migrate", "--verbosity", "0")
    from havenwatch.core.models import AuditRecord, Organisation

    if Organisation.objects.exists() or AuditRecord.objects.exists():
        raise SystemExit("the benchmark database is not empty; give --database-url an empty database")
    ctx.call("seed", "--scale", "small")
    ctx.log(f"migrated and seeded the small demo port on {connection.vendor} in "
            f"{time.perf_counter() - started:.1f} s ({ctx.var_dir})")


def fmt(value: float, unit: str) -> str:
    if value != value:
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    if abs(value) >= 1:
        return f"{value:,.1f} {unit}"
    return f"{value:.3g} {unit}"


def interpretation(r: Result) -> str:
    if r.note:
        return r.note
    s = r.slowdown
    if s <= 1.05:
        return f"as fast as {r.baseline_name} or faster"
    return f"{s:.1f}× slower than {r.baseline_name}"


def table(results: list[Result], *, title: str) -> Table:
    t = Table(title=title, show_lines=True, title_justify="left")
    t.add_column("benchmark", style="bold", max_width=34)
    t.add_column("measured", justify="right", no_wrap=True)
    t.add_column("baseline", justify="right", no_wrap=True)
    t.add_column("ratio", justify="right", no_wrap=True)
    t.add_column("what it means", min_width=36, ratio=1)
    for r in results:
        name = f"{r.name}\n[dim not bold]vs {r.baseline_name}[/dim not bold]"
        measured = fmt(r.value, r.unit) + (f"\n[dim]{r.detail}[/dim]" if r.detail else "")
        baseline = fmt(r.baseline, r.unit) + (f"\n[dim]{r.baseline_detail}[/dim]" if r.baseline_detail else "")
        t.add_row(name, measured, baseline, f"{r.ratio:.2f}", interpretation(r))
    return t


def main(argv: list[str] | None = None) -> int:
    available = discover()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: small sizes, short phases")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only this benchmark (repeatable): {', '.join(available)}")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway var directory (for debugging)")
    parser.add_argument("--database-url", metavar="URL",
                        help="an EMPTY database to use instead of a throwaway SQLite file (e.g. PostgreSQL); "
                             "HAVENWATCH_DATABASE_URL from the environment is ignored on purpose")
    args = parser.parse_args(argv)

    console = Console()
    if not console.is_terminal:  # piped or logged: wide enough for the table, no wrapping of numbers
        console = Console(width=150)
    if args.list:
        for name, path in available.items():
            console.print(f"{name:<12} {path.relative_to(ROOT)}")
        return 0
    selected = available
    if args.only:
        wanted = [n.removeprefix("bench_").removesuffix(".py") for n in args.only]
        unknown = [n for n in wanted if n not in available]
        if unknown:
            parser.error(f"no benchmark named {', '.join(unknown)} (have: {', '.join(available)})")
        selected = {n: available[n] for n in wanted}

    var_dir = Path(tempfile.mkdtemp(prefix="havenwatch-bench-"))
    (var_dir / "static").mkdir()  # STATIC_ROOT; WhiteNoise warns when it is missing
    env = prepare_environment(var_dir, args.database_url)
    ctx = Context(quick=args.quick, var_dir=var_dir, env=env, console=console, root=ROOT)
    results: list[Result] = []
    failed: list[str] = []
    started = time.perf_counter()
    console.print(f"[bold]havenwatch benchmarks[/bold] · {'quick' if args.quick else 'full'} run · "
                  f"{os.cpu_count()} CPU(s) · Python {sys.version.split()[0]}")
    try:
        set_up_instance(ctx)
        for name, path in selected.items():
            console.print(f"[bold]▸ {name}[/bold] [dim]({path.name})[/dim]")
            t0 = time.perf_counter()
            try:
                produced = load(name, path).run(ctx)
                if not isinstance(produced, list) or not all(isinstance(r, Result) for r in produced):
                    raise TypeError(f"{path.name}: run(ctx) must return a list of Result")
                results.extend(produced)
            except Exception:
                failed.append(name)
                console.print(f"[red]✗ {name} failed[/red]")
                console.print(traceback.format_exc(), markup=False, highlight=False)
            finally:
                from django.db import connections

                connections.close_all()
            ctx.log(f"{name} took {time.perf_counter() - t0:.1f} s")
    finally:
        if args.keep:
            console.print(f"[dim]kept {var_dir}[/dim]")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)

    console.print()
    if results:
        console.print(table(results, title=f"Results ({'quick' if args.quick else 'full'} run, "
                                           f"{time.perf_counter() - started:.0f} s, {os.cpu_count()} CPU(s))"))
    console.print("[dim]ratio = measured / baseline, both taken in this run on this machine "
                  "(for rates: 1.00 = as fast as the baseline, 0.25 = four times slower).[/dim]")
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
