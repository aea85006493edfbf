from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from havenwatch.demo.generator import seed
from havenwatch.demo.scales import SCALES


class Command(BaseCommand):
    help = "Seed a deterministic synthetic port (small: the demo; port: one large port; national: six ports)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same port.")

    def handle(self, *args, scale="small", seed=1, **options):
        interactive = self.stdout.isatty()
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not interactive) as progress:
            tasks = {}
            shown: dict[str, int] = {}

            def report(label, done, total):
                if not interactive:  # a log or a pipe: a plain line at every tenth of a step
                    tenth = done * 10 // total if total else 10
                    if shown.get(label) != tenth:
                        shown[label] = tenth
                        self.stdout.write(f"{label} {done}/{total}")
                    return
                if label not in tasks:
                    tasks[label] = progress.add_task(label, total=total)
                progress.update(tasks[label], completed=done, total=total)

            try:
                ctx = seed_port(scale=scale, seed=seed, progress=report)
            except (RuntimeError, ValueError) as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(
            f"seeded scale {scale} with seed {seed}: {len(ctx.ports)} port(s), {len(ctx.facilities)} facilities"
        ))
        print_logins(self.stdout, ctx.logins)


seed_port = seed


def print_logins(out, logins) -> None:
    if not logins:
        return
    out.write("\nDemo sign-ins (password; second-factor secret for an authenticator app where the role needs one):")
    for login in logins:
        line = f"  {login.username:<13} {login.password:<28} {login.role} · {login.organisation}"
        if login.totp_secret:
            line += f"\n  {'':<13} TOTP secret {login.totp_secret}"
        out.write(line)
