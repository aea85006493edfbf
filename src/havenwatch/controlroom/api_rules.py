"""Rules, procedures and watch lists over the API (written by officers, never by tokens)."""


from datetime import datetime

from ninja import Field, Router, Schema
from ninja.pagination import paginate

from havenwatch.controlroom import selectors
from havenwatch.controlroom.choices import RuleStatus
from havenwatch.controlroom.models import RuleVersion
from havenwatch.controlroom.services import rules as rule_services
from havenwatch.core import selectors as core_selectors
from havenwatch.core.api.common import Page, get_visible, need, principal_of

router = Router(tags=["control room: rules"])


class RuleOut(Schema):
    id: int
    port_id: int
    facility_id: int | None
    code: str
    version: int
    kind: str
    title: str
    priority: int
    status: str
    text: str
    updated_at: datetime


class RuleVersionOut(Schema):
    version: int
    status: str
    author: str
    note: str
    created_at: datetime
    text: str


class RuleIn(Schema):
    port_id: int = Field(..., ge=1, le=2**31 - 1)
    facility_id: int | None = Field(None, ge=1, le=2**31 - 1)
    text: str = Field(..., max_length=20_000, description="The rule in YAML (see docs/controlroom.md).")
    status: str = Field(RuleStatus.ACTIVE, max_length=10)
    note: str = Field("", max_length=300)


class SopOut(Schema):
    id: int
    port_id: int
    code: str
    title: str
    version: int
    steps: list[str]


class SopIn(Schema):
    port_id: int = Field(..., ge=1, le=2**31 - 1)
    code: str = Field(..., max_length=64)
    title: str = Field(..., max_length=160)
    steps: list[str] = Field(..., min_length=1, max_length=30)


class WatchlistOut(Schema):
    id: int
    port_id: int
    code: str
    name: str
    entries: int = Field(..., alias="entry_count")

    @staticmethod
    def resolve_entry_count(obj) -> int:
        return obj.entries.count()


class WatchlistIn(Schema):
    port_id: int = Field(..., ge=1, le=2**31 - 1)
    code: str = Field(..., max_length=64)
    name: str = Field(..., max_length=120)


class WatchlistChangeIn(Schema):
    add: list[str] = Field(default_factory=list, max_length=1000)
    remove: list[str] = Field(default_factory=list, max_length=1000)
    note: str = Field("", max_length=300)


@router.get("/rules", response=list[RuleOut], summary="Rules you may read")
@paginate(Page)
def rule_list(request):
    return selectors.rule_list(principal=principal_of(request))


@router.get("/rules/{int:rule_id}/versions", response=list[RuleVersionOut], summary="Every version of a rule")
def rule_versions(request, rule_id: int):
    rule = get_visible(selectors.rule_list(principal=principal_of(request)), rule_id, "rule")
    return list(RuleVersion.objects.filter(rule=rule).order_by("-version"))


@router.post("/rules", response={200: RuleOut}, summary="Save a rule: new, or the next version of its code")
def rule_save(request, payload: RuleIn):
    actor = principal_of(request)
    need(actor, "controlroom.manage_rules")
    port = get_visible(core_selectors.port_list(principal=actor), payload.port_id, "port")
    facility = (get_visible(core_selectors.facility_list(principal=actor), payload.facility_id, "facility")
                if payload.facility_id is not None else None)
    return rule_services.rule_save(actor=actor, port=port, facility=facility, text=payload.text,
                                   status=payload.status, note=payload.note)


@router.get("/sops", response=list[SopOut], summary="Procedures you may read")
@paginate(Page)
def sop_list(request):
    return selectors.sop_list(principal=principal_of(request))


@router.post("/sops", response=SopOut, summary="Save a procedure: new, or the next version of its code")
def sop_save(request, payload: SopIn):
    actor = principal_of(request)
    need(actor, "controlroom.manage_rules")
    port = get_visible(core_selectors.port_list(principal=actor), payload.port_id, "port")
    return rule_services.sop_save(actor=actor, port=port, code=payload.code, title=payload.title, steps=payload.steps)


@router.get("/watchlists", response=list[WatchlistOut], summary="Watch lists you may read")
@paginate(Page)
def watchlist_list(request):
    return selectors.watchlist_list(principal=principal_of(request))


@router.post("/watchlists", response=WatchlistOut, summary="Create a watch list (or rename one)")
def watchlist_save(request, payload: WatchlistIn):
    actor = principal_of(request)
    need(actor, "controlroom.manage_rules")
    port = get_visible(core_selectors.port_list(principal=actor), payload.port_id, "port")
    return rule_services.watchlist_save(actor=actor, port=port, code=payload.code, name=payload.name)


@router.post("/watchlists/{int:watchlist_id}/entries", response=WatchlistOut,
             summary="Add values to a watch list (with why), or take them off")
def watchlist_change(request, watchlist_id: int, payload: WatchlistChangeIn):
    actor = principal_of(request)
    need(actor, "controlroom.manage_rules")
    watchlist = get_visible(selectors.watchlist_list(principal=actor), watchlist_id, "watch list")
    return rule_services.watchlist_change(actor=actor, watchlist=watchlist, add=payload.add, remove=payload.remove,
                                          note=payload.note)
