"""Request and response schemas of anonymous reporting's API: metadata only.

No schema here carries what a reporter wrote or what a recipient wrote about it: that is
sealed, and only a recipient's key, unlocked in their browser session, opens it. Names are
prefixed ``Reporting`` because the OpenAPI schema has one namespace for every app.
"""

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict

from havenwatch.reporting.choices import ReportStatus

DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]
LabelName = Annotated[str, Field(max_length=40)]


class ReportingOrganisationOut(Schema):
    id: int
    name: str


class ReportingCategoryOut(Schema):
    code: str
    label: str
    active: bool = Field(..., alias="is_active", description="A retired category stays on the reports that carry it.")


class ReportingChannelOut(Schema):
    id: int
    slug: str = Field(..., description="The channel's public address: /report/<slug>/")
    name: str
    owner: ReportingOrganisationOut
    public: bool = Field(..., alias="is_public",
                         description="Open to the public; a closed channel only receives reports forwarded to it.")
    active: bool = Field(..., alias="is_active")
    ports: list[str] = Field(..., description="UN/LOCODEs of the ports it takes reports about; empty: every port.")
    retention_days: int = Field(..., description="Days a closed report is kept before it is deleted.")
    questions: list[str] = Field(..., description="Codes of the optional questions the reporter is asked.")
    categories: list[ReportingCategoryOut]
    recipients: int = Field(..., alias="recipient_count", description="How many people receive its reports.")

    @staticmethod
    def resolve_ports(obj) -> list[str]:
        return [port.unlocode for port in obj.ports.all()]

    @staticmethod
    def resolve_categories(obj) -> list:
        return list(obj.categories.all())


class ReportingChannelFilter(Schema):
    active: bool | None = Field(None, description="Only active (true) or retired (false) channels.")
    public: bool | None = Field(None, description="Only public (true) or intake-only (false) channels.")


class ReportingReportOut(Schema):
    """What triage and statistics need of a report, and nothing a reporter wrote."""

    id: int
    channel: str = Field(..., description="The channel's slug.")
    number: int = Field(..., description="The report's number in its channel.")
    reference: str = Field(..., description="<channel slug>-<number>")
    port: str | None = Field(..., description="The port's UN/LOCODE, if the report names one.")
    category: str | None = Field(..., description="The category's code.")
    status: ReportStatus
    routed_to: ReportingOrganisationOut | None = Field(..., description="The competent organisation it is routed to.")
    labels: list[str]
    submitted_at: datetime
    reporter_active_at: datetime | None = Field(..., description="When the reporter last wrote.")
    recipient_read_at: datetime | None = Field(..., description="When a recipient last read it.")
    closed_at: datetime | None
    purge_after: datetime | None = Field(..., description="When a closed report is deleted.")
    forwarded_from: str | None = Field(..., description="The reference of the report this one is a forwarded copy of.")

    @staticmethod
    def resolve_channel(obj) -> str:
        return obj.channel.slug

    @staticmethod
    def resolve_port(obj) -> str | None:
        return obj.port.unlocode if obj.port_id else None

    @staticmethod
    def resolve_category(obj) -> str | None:
        return obj.category.code if obj.category_id else None

    @staticmethod
    def resolve_labels(obj) -> list[str]:
        return sorted(label.name for label in obj.labels.all())

    @staticmethod
    def resolve_forwarded_from(obj) -> str | None:
        return obj.forwarded_from.reference if obj.forwarded_from_id else None


class ReportingReportFilter(Schema):
    channel: str | None = Field(None, max_length=60, description="The channel's slug.")
    status: ReportStatus | None = None
    category: str | None = Field(None, max_length=40, description="A category's code.")
    label: str | None = Field(None, max_length=40)
    since: datetime | None = Field(None, description="Submitted at or after.")
    until: datetime | None = Field(None, description="Submitted before.")


class ReportingTriageIn(Schema):
    """Only the fields sent are changed; any other field is refused."""

    model_config = ConfigDict(extra="forbid")

    status: ReportStatus | None = None
    category: str | None = Field(None, max_length=40, description="A category code of the report's channel.")
    routed_to_id: DbId | None = Field(None, description=(
        "The competent organisation (police, customs, a port or maritime authority); null clears it."))
    labels: list[LabelName] | None = Field(None, max_length=50, description="The report's labels, all of them.")


class ReportingStatisticsFilter(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Reports submitted in this year; all years if left out.")
    channel: str | None = Field(None, max_length=60, description="The channel's slug.")


class ReportingStatisticsRow(Schema):
    month: str = Field(..., description="YYYY-MM")
    channel: str
    category: str
    port: str
    count: int | None = Field(..., description="null: fewer than the threshold.")


class ReportingCount(Schema):
    key: str = Field(..., description="The month (YYYY-MM), the category's label or the port's name.")
    count: int | None = Field(..., description="null: fewer than the threshold.")


class ReportingStatisticsOut(Schema):
    threshold: int = Field(..., description="Counts below it are hidden (null), so no figure points at one reporter.")
    total: int | None = Field(..., description="null: fewer than the threshold (0 is shown).")
    rows: list[ReportingStatisticsRow]
    by_month: list[ReportingCount]
    by_category: list[ReportingCount]
    by_port: list[ReportingCount]
