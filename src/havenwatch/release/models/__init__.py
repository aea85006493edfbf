from havenwatch.release.models.assignments import DriverAssignment, PickupAttempt
from havenwatch.release.models.containers import Container, CustomsHold
from havenwatch.release.models.releases import CommercialRelease
from havenwatch.release.models.rights import ReleaseRight

__all__ = ["CommercialRelease", "Container", "CustomsHold", "DriverAssignment", "PickupAttempt", "ReleaseRight"]
