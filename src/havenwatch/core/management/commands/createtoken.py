from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import Facility, Membership
from havenwatch.core.principal import principal_for_membership
from havenwatch.core.services.tokens import token_create


class Command(BaseCommand):
    help = "Create an API token for a user's organisation, with permissions the user holds. Prints it once."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="User name of the token's creator.")
        parser.add_argument("--organisation", help="Short name of the organisation (if the user has several).")
        parser.add_argument("--name", required=True)
        parser.add_argument("--permission", action="append", dest="permissions", required=True,
                            help="Repeat for each permission, e.g. --permission core.view_events")
        parser.add_argument("--facility", help="ISPS number of the facility the token is bound to.")
        parser.add_argument("--days", type=int, default=365, help="Days until it expires (0: never).")

    def handle(self, *args, user, organisation, name, permissions, facility, days, **options):
        memberships = Membership.objects.filter(user__username=user, is_active=True).select_related(
            "organisation", "user"
        )
        if organisation:
            memberships = memberships.filter(organisation__slug=organisation)
        membership = memberships.first()
        if membership is None:
            raise CommandError(f"{user} has no active role" + (f" in {organisation}" if organisation else ""))
        facility_obj = None
        if facility:
            facility_obj = Facility.objects.filter(isps_number=facility.upper()).first()
            if facility_obj is None:
                raise CommandError(f"no facility with ISPS number {facility}")
        try:
            token, raw = token_create(
                actor=principal_for_membership(membership), name=name, permissions=permissions,
                expires_at=clock.now() + timedelta(days=days) if days else None, facility=facility_obj,
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"token {token.name} for {token.organisation.name} (shown once, keep it now):")
        self.stdout.write(raw)
