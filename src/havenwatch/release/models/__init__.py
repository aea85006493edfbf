from havenwatch.release.models.containers import Container, CustomsHold
from havenwatch.release.models.releases import CommercialRelease

__all__ = ["CommercialRelease", "Container", "CustomsHold"]
