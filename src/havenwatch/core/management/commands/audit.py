import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from havenwatch.core import audit
from havenwatch.core.models import AuditHead
from havenwatch.core.principal import system_principal
from havenwatch.core.services._emit import emit


class Command(BaseCommand):
    help = "Audit chain tools: 'verify' walks the chain (exit 1 and the first broken record if tampered); 'checkpoint' signs the head."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "checkpoint"])
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, action, quiet=False, **options):
        if action == "checkpoint":
            checkpoint = audit.checkpoint_now()
            if checkpoint is None:
                self.stdout.write("the chain is empty: nothing to sign")
            else:
                self.stdout.write(f"signed checkpoint at #{checkpoint.sequence} ({checkpoint.hash[:16]}…)")
            return
        total = AuditHead.objects.get(pk=1).sequence
        if quiet or not sys.stderr.isatty():
            result = audit.verify_chain()
        else:
            with Progress(TextColumn("verifying audit chain"), BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), transient=True) as progress:
                task = progress.add_task("verify", total=max(total, 1))

                def step(sequence, _total):
                    if sequence % 500 == 0 or sequence == _total:
                        progress.update(task, completed=sequence)

                result = audit.verify_chain(progress=step)
        with transaction.atomic():
            emit(actor=system_principal(label="audit-verify-command"), code="core.audit.verified", publish=False,
                 data={"ok": result.ok, "checked": result.checked, "first_broken": result.first_broken,
                       "reason": result.reason})
        if result.ok:
            self.stdout.write(self.style.SUCCESS(
                f"audit chain intact: {result.checked} record(s), {result.checkpoints_checked} signed checkpoint(s)"
            ))
            return
        raise CommandError(f"audit chain BROKEN at record #{result.first_broken}: {result.reason}", returncode=1)
