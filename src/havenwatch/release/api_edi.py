"""EDIFACT COREOR import over the API (being written)."""

from ninja import Router

router = Router(tags=["release: EDIFACT"])
