"""A container's chain of custody over the API (being written)."""

from ninja import Router

router = Router(tags=["release: traceability"])
