import getpass

from django.core.management.base import BaseCommand, CommandError

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.principal import system_principal
from havenwatch.core.services import organisations as org_services
from havenwatch.core.services.users import user_create


class Command(BaseCommand):
    help = ("Create a user with a role in an organisation. The first platform administrator is made this way: "
            "havenwatch createuser --username admin --email a@b.c --role platform_admin")

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--organisation", help="Short name; default: the platform operator organisation.")
        parser.add_argument("--facility", help="ISPS number, for roles bound to one facility.")
        parser.add_argument("--password", help="Asked for when left out (never put it in shell history).")

    def handle(self, *args, username, email, role, organisation, facility, password, **options):
        actor = system_principal(label="createuser-command")
        if organisation:
            org = Organisation.objects.filter(slug=organisation).first()
            if org is None:
                raise CommandError(f"no organisation with short name {organisation}")
        else:
            org = Organisation.objects.filter(kind=OrganisationKind.PLATFORM).first()
            if org is None:
                org = org_services.organisation_create(actor=actor, name="Platform operator",
                                                       kind=OrganisationKind.PLATFORM, country="BE", slug="platform")
        facility_obj = Facility.objects.filter(isps_number=facility.upper()).first() if facility else None
        if facility and facility_obj is None:
            raise CommandError(f"no facility with ISPS number {facility}")
        if password is None:
            try:
                password = getpass.getpass("Password: ")
                if password != getpass.getpass("Again: "):
                    raise CommandError("the passwords differ")
            except EOFError as exc:  # no terminal and nothing on standard input
                raise CommandError("no password given: run this in a terminal to be asked, or pass --password") from exc
        try:
            user = user_create(actor=actor, username=username, email=email, password=password, organisation=org,
                               role=role, facility=facility_obj)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"created {user.username} as {Role(role).label} in {org.name}"))
