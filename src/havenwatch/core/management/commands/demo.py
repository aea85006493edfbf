from django.core.management import call_command
from django.core.management.base import BaseCommand

from havenwatch.core.management.commands.seed import print_logins
from havenwatch.demo.generator import demo_logins, is_seeded


class Command(BaseCommand):
    help = "Set up and run the demo port: migrate, seed once, then serve with the worker and the live simulator."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--speed", type=float, default=5.0)
        parser.add_argument("--no-serve", action="store_true", help="Prepare the demo and exit.")

    def handle(self, *args, host, port, seed, speed, no_serve, **options):
        self.stdout.write("· migrating the embedded database")
        call_command("migrate", interactive=False, verbosity=0)
        if is_seeded():
            self.stdout.write("· the demo port exists already: reusing it")
            print_logins(self.stdout, demo_logins(seed))
        else:
            self.stdout.write("· seeding the demo port")
            call_command("seed", scale="small", seed=seed)
        if no_serve:
            return
        self.stdout.write(f"\nOpen http://{host}:{port}/ and sign in with one of the users above.\n")
        call_command("serve", host=host, port=port, simulate=True, seed=seed, speed=speed)
